import { redrivenRecordBytes } from "@cdc/domain/Input"
import { sampleChanges } from "@cdc/testkit/Changes"
import { toDmsRecord } from "@cdc/testkit/InputShapes"
import { assert, describe, it } from "@effect/vitest"
import { Effect, Layer } from "effect"
import { schemaDriftNotice } from "../../src/DeadLetters"
import { Archive } from "../../src/dlq/Archive"
import { listEntries } from "../../src/dlq/ArchiveQuery"
import { toLambdaRecord } from "../../src/dlq/DlqRecordPath"
import { handleDlqBatch } from "../../src/dlq/DlqWorker"
import { appendRecord, MemoryStream } from "../../src/dlq/MemoryStream"
import type { StreamRecord } from "../../src/dlq/RecordFetcher"
import { RecordInjector } from "../../src/dlq/RecordInjector"
import { isIncomplete, redrive } from "../../src/dlq/Redrive"
import { delivery, memoryWorld, onFailureRecord, poisonDeadLetter, recordPath, streamArn } from "./fixtures"

const encode = (value: unknown) => new TextEncoder().encode(JSON.stringify(value))
const usersUpdates = sampleChanges(400, 11).filter((change) => change.table === "users" && change.operation === "UPDATE")

/** The sequence numbers of the redriven records, in the order they were put. */
const putAfter = (records: ReadonlyArray<StreamRecord>, count: number) => records.slice(count)

describe("redrive", () => {
  it.effect("puts an entity's failures back in their stream order, each record once, keeping their event ids", () => {
    const world = memoryWorld()
    // entity 1 changes twice (v1, v2), entity 2 once; every record failed
    const [a, b, c] = usersUpdates
    if (!a || !b || !c) throw new Error("too few users updates")
    const v1 = appendRecord(world.stream, { partitionKey: "users#1", data: encode(toDmsRecord(a)), arrivalTime: 1 })
    const w1 = appendRecord(world.stream, { partitionKey: "users#2", data: encode(toDmsRecord(b)), arrivalTime: 2 })
    const v2 = appendRecord(world.stream, { partitionKey: "users#1", data: encode(toDmsRecord(c)), arrivalTime: 3 })
    const before = world.stream.records.length
    return Effect.gen(function* () {
      // v2 and v1 reach the DLQ as dead letters in the wrong order, and the discarded batch names
      // all three again (two archive objects each for v1 and v2)
      yield* handleDlqBatch([
        delivery(poisonDeadLetter(v2.sequenceNumber)),
        delivery(poisonDeadLetter(v1.sequenceNumber)),
        delivery(onFailureRecord(v1.sequenceNumber, v2.sequenceNumber, 3))
      ])
      const entries = yield* listEntries({})
      assert.strictEqual(entries.length, 5)
      const report = yield* redrive(entries, { dryRun: false })
      assert.strictEqual(report.counts.redriven, 3)
      assert.strictEqual(report.counts.duplicate, 2)
      const put = putAfter(world.stream.records, before)
      const firstOf = (data: Uint8Array) => JSON.parse(new TextDecoder().decode(data)).redriveOf.sequenceNumber as string
      assert.deepStrictEqual(
        put.filter((record) => record.partitionKey === "users#1").map((record) => firstOf(record.data)),
        [v1.sequenceNumber, v2.sequenceNumber]
      )
      assert.strictEqual(put.length, 3, "each record once")
      // the redriven records publish under the ids of the originals
      const idOf = (record: StreamRecord) => {
        const outcome = recordPath.fromKinesis(toLambdaRecord(record), 0)
        return outcome._tag === "Publish" ? outcome.eventId : outcome._tag
      }
      assert.deepStrictEqual(put.map(idOf).sort(), [v1, w1, v2].map(idOf).sort())
      // duplicates are marked with their record: a second run puts nothing
      const again = yield* redrive(yield* listEntries({}), { dryRun: false })
      assert.strictEqual(again.counts["already-redriven"], 5)
      assert.strictEqual(world.stream.records.length, before + 3)
    }).pipe(Effect.provide(world.layer))
  })

  it.effect("stops an entity at its first failed put, so a later change is not put ahead of it", () => {
    const world = memoryWorld()
    const v1 = appendRecord(world.stream, { partitionKey: "users#1", data: encode({ v: 1 }), arrivalTime: 1 })
    const v2 = appendRecord(world.stream, { partitionKey: "users#1", data: encode({ v: 2 }), arrivalTime: 2 })
    const w1 = appendRecord(world.stream, { partitionKey: "users#2", data: encode({ w: 1 }), arrivalTime: 3 })
    const before = world.stream.records.length
    const memory = MemoryStream.layer(world.stream)
    // the stream refuses the put of entity 1's first change
    const refusing = Layer.effect(
      RecordInjector,
      Effect.map(Effect.service(RecordInjector), (injector) =>
        RecordInjector.of({
          stream: injector.stream,
          put: (record) =>
            new TextDecoder().decode(record.data).includes(Buffer.from('{"v":1}').toString("base64"))
              ? Effect.fail(poisonLike)
              : injector.put(record)
        })
      )
    ).pipe(Layer.provide(memory))
    return Effect.gen(function* () {
      yield* handleDlqBatch([v2, v1, w1].map((record) => delivery(poisonDeadLetter(record.sequenceNumber))))
      const report = yield* redrive(yield* listEntries({}), { dryRun: false })
      assert.deepStrictEqual(put(world.stream.records.slice(before)), [["users#2", w1.sequenceNumber]])
      const status = (sequenceNumber: string) => report.items.find((item) => item.key.includes(poisonDeadLetter(sequenceNumber).id))?.status
      assert.strictEqual(status(v1.sequenceNumber), "failed")
      assert.strictEqual(status(v2.sequenceNumber), "failed")
      assert.strictEqual(
        report.items.find((item) => item.reason === "earlier-record-of-key-failed")?.key.includes(poisonDeadLetter(v2.sequenceNumber).id),
        true
      )
      assert.strictEqual(status(w1.sequenceNumber), "redriven")
    }).pipe(Effect.provide(Layer.merge(world.layer, refusing)))
  })

  it.effect("keeps a record that failed again after a redrive in its first place among its entity's changes", () => {
    const world = memoryWorld()
    const v1 = appendRecord(world.stream, { partitionKey: "users#1", data: encode({ v: 1 }), arrivalTime: 1 })
    const v2 = appendRecord(world.stream, { partitionKey: "users#1", data: encode({ v: 2 }), arrivalTime: 2 })
    // v1 was redriven before the fix and failed again: it now sits after v2, wrapped with its first position
    const again = appendRecord(world.stream, {
      partitionKey: "users#1",
      data: redrivenRecordBytes(v1.data, { streamArn, shardId: v1.shardId, sequenceNumber: v1.sequenceNumber }),
      arrivalTime: 3
    })
    const before = world.stream.records.length
    return Effect.gen(function* () {
      yield* handleDlqBatch([v2, again].map((record) => delivery(poisonDeadLetter(record.sequenceNumber))))
      const report = yield* redrive(yield* listEntries({}), { dryRun: false })
      assert.strictEqual(report.counts.redriven, 2)
      assert.deepStrictEqual(put(world.stream.records.slice(before)), [
        ["users#1", v1.sequenceNumber],
        ["users#1", v2.sequenceNumber]
      ])
    }).pipe(Effect.provide(world.layer))
  })

  it.effect("skips schema-drift notices: their record was published, putting it back would publish it twice", () => {
    const world = memoryWorld()
    const record = appendRecord(world.stream, { partitionKey: "users#1", data: encode({ v: 1 }), arrivalTime: 1 })
    const before = world.stream.records.length
    return Effect.gen(function* () {
      yield* handleDlqBatch([
        delivery(
          schemaDriftNotice({
            table: "users",
            columns: ["nickname"],
            reason: "undeclared-columns",
            coordinates: { streamArn, shardId: record.shardId, sequenceNumber: record.sequenceNumber },
            at: "2026-01-15T00:00:01.000Z"
          })
        )
      ])
      const report = yield* redrive(yield* listEntries({ table: "users" }), { dryRun: false })
      assert.deepStrictEqual(
        report.items.map((item) => [item.status, item.reason]),
        [["skipped", "schema-drift-notice"]]
      )
      assert.strictEqual(world.stream.records.length, before)
    }).pipe(Effect.provide(world.layer))
  })
})

const put = (records: ReadonlyArray<StreamRecord>) =>
  records.map((record) => [record.partitionKey, JSON.parse(new TextDecoder().decode(record.data)).redriveOf.sequenceNumber])

/** A put the stream refused for good. */
const poisonLike = { _tag: "KinesisRefused", category: "permanent", code: "put-refused", retryable: false, message: "refused" } as never

describe("redrive, when a call fails", () => {
  /** The memory world's archive, with `get` and `markRedriven` failing for the keys chosen. */
  const faultyArchive = (
    world: ReturnType<typeof memoryWorld>,
    fails: { get?: (key: string) => boolean; mark?: (key: string) => boolean }
  ) =>
    Layer.effect(
      Archive,
      Effect.map(Effect.service(Archive), (archive) =>
        Archive.of({
          ...archive,
          get: (key) => (fails.get?.(key) ? Effect.fail(s3SlowDown) : archive.get(key)),
          markRedriven: (key, at) => (fails.mark?.(key) ? Effect.fail(s3SlowDown) : archive.markRedriven(key, at))
        })
      )
    ).pipe(Layer.provide(Archive.layerMemory(world.archive)))

  it.effect("puts nothing of a table one of whose failures could not be read back: its entity is unknown", () => {
    const world = memoryWorld()
    const v1 = appendRecord(world.stream, { partitionKey: "users#1", data: encode({ v: 1 }), arrivalTime: 1 })
    const v2 = appendRecord(world.stream, { partitionKey: "users#1", data: encode({ v: 2 }), arrivalTime: 2 })
    const o1 = appendRecord(world.stream, { partitionKey: "orders#1", data: encode({ o: 1 }), arrivalTime: 3 })
    const before = world.stream.records.length
    const v1Id = poisonDeadLetter(v1.sequenceNumber).id
    return Effect.gen(function* () {
      yield* handleDlqBatch([
        delivery(poisonDeadLetter(v1.sequenceNumber)),
        delivery(poisonDeadLetter(v2.sequenceNumber)),
        delivery(poisonDeadLetter(o1.sequenceNumber, "orders"))
      ])
      const report = yield* redrive(yield* listEntries({}), { dryRun: false }).pipe(
        Effect.provide(faultyArchive(world, { get: (key) => key.includes(v1Id) }))
      )
      assert.deepStrictEqual(
        put(world.stream.records.slice(before)),
        [["orders#1", o1.sequenceNumber]],
        "v2 waits: v1, whose entity is unknown, may be its earlier change"
      )
      assert.deepStrictEqual(report.items.map((item) => [item.table, item.status, item.reason]).sort(), [
        ["orders", "redriven", undefined],
        ["users", "failed", "lookup-failed-in-table"],
        ["users", "failed", "s3-slow-down"]
      ])
      assert.isTrue(isIncomplete(report))
    }).pipe(Effect.provide(world.layer))
  })

  it.effect("reports a record put but not marked as redriven, unmarked, and stops its entity there", () => {
    const world = memoryWorld()
    const v1 = appendRecord(world.stream, { partitionKey: "users#1", data: encode({ v: 1 }), arrivalTime: 1 })
    const v2 = appendRecord(world.stream, { partitionKey: "users#1", data: encode({ v: 2 }), arrivalTime: 2 })
    const before = world.stream.records.length
    const v1Id = poisonDeadLetter(v1.sequenceNumber).id
    return Effect.gen(function* () {
      yield* handleDlqBatch([v1, v2].map((record) => delivery(poisonDeadLetter(record.sequenceNumber))))
      const entries = yield* listEntries({})
      const report = yield* redrive([...entries, ...entries], { dryRun: false }).pipe(
        Effect.provide(faultyArchive(world, { mark: (key) => key.includes(v1Id) }))
      )
      assert.deepStrictEqual(put(world.stream.records.slice(before)), [["users#1", v1.sequenceNumber]])
      const first = report.items.find((item) => item.key.includes(v1Id))
      assert.strictEqual(first?.status, "redriven")
      assert.strictEqual(first?.notMarked, "s3-slow-down")
      assert.strictEqual(report.items.length, 2, "a key given twice is one item")
      assert.strictEqual(report.items.find((item) => !item.key.includes(v1Id))?.reason, "earlier-record-of-key-failed")
      assert.isTrue(isIncomplete(report))
    }).pipe(Effect.provide(world.layer))
  })
})

/** An archive call that failed after its retries. */
const s3SlowDown = { _tag: "AwsError", category: "throttling", code: "s3-slow-down", retryable: true, message: "S3 SlowDown" } as never
