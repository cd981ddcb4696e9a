import { redrivenRecordBytes } from "@cdc/domain/RedrivenRecord"
import { sampleChanges } from "@cdc/testkit/Changes"
import { dmsControlRecord, toDmsRecord } from "@cdc/testkit/InputShapes"
import { assert, describe, it } from "@effect/vitest"
import * as Effect from "effect/Effect"
import * as Fiber from "effect/Fiber"
import * as Layer from "effect/Layer"
import { TestClock } from "effect/testing"
import { schemaDriftNotice } from "../../src/DeadLetters"
import { Archive } from "../../src/dlq/Archive"
import { listEntries } from "../../src/dlq/ArchiveQuery"
import { toLambdaRecord } from "../../src/dlq/DlqRecordPath"
import { handleDlqBatch } from "../../src/dlq/DlqWorker"
import { appendRecord, MemoryStream } from "../../src/dlq/MemoryStream"
import { RecordFetcher, type StreamRecord } from "../../src/dlq/RecordFetcher"
import { RecordInjector } from "../../src/dlq/RecordInjector"
import { isIncomplete, redrive } from "../../src/dlq/Redrive"
import { decodeDeadLetter, delivery, memoryWorld, noRetries, onFailureRecord, poisonDeadLetter, recordPath, streamArn } from "./fixtures"

const encode = (value: unknown) => new TextEncoder().encode(JSON.stringify(value))
const usersUpdates = sampleChanges(400, 11).filter((change) => change.table === "users" && change.operation === "UPDATE")

/** The event id a stored record publishes under (or the outcome's tag when it publishes none). */
const idOf = (record: StreamRecord) => {
  const outcome = recordPath.fromKinesis(toLambdaRecord(record), 0)
  return outcome._tag === "Publish" ? outcome.eventId : outcome._tag
}

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
          ...injector,
          put: (record) =>
            JSON.parse(new TextDecoder().decode(record.data)).record?.v === 1 ? Effect.fail(poisonLike) : injector.put(record)
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
      assertPutInOrder(report, world.stream.records.slice(before), [v1, v2])
    }).pipe(Effect.provide(world.layer))
  })

  it.effect("puts back a record close to Kinesis's 1 MiB limit, which in base64 would be refused", () => {
    const world = memoryWorld()
    const [change] = usersUpdates
    if (!change) throw new Error("no users update")
    // ≈ 900 KB: 1.2 MB in base64, so only the record form fits the stream
    const large = { ...change, after: { ...change.after, note: "x".repeat(900_000) } }
    const record = appendRecord(world.stream, { partitionKey: "users#1", data: encode(toDmsRecord(large)), arrivalTime: 1 })
    const before = world.stream.records.length
    return Effect.gen(function* () {
      yield* handleDlqBatch([delivery(poisonDeadLetter(record.sequenceNumber))])
      const report = yield* redrive(yield* listEntries({}), { dryRun: false })
      assert.deepStrictEqual(
        report.items.map((item) => [item.status, item.reason]),
        [["redriven", undefined]]
      )
      const [put] = putAfter(world.stream.records, before)
      if (!put) throw new Error("nothing put")
      assert.match(idOf(put), /^evt_/)
      assert.strictEqual(idOf(put), idOf(record))
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

  it.effect("skips a discarded batch's records the processor does not publish: a DDL would alert again", () => {
    const world = memoryWorld()
    const [change] = usersUpdates
    if (!change) throw new Error("no users update")
    const ddl = dmsControlRecord({ table: "users", operation: "add-column", columns: ["nickname"], changeTimeMillis: 0 })
    const first = appendRecord(world.stream, { partitionKey: "users#1", data: encode(ddl), arrivalTime: 1 })
    const insert = { ...toDmsRecord(change), metadata: { ...toDmsRecord(change).metadata, operation: "insert" } }
    appendRecord(world.stream, {
      partitionKey: "inventory#1",
      data: encode({ ...insert, metadata: { ...insert.metadata, "table-name": "inventory" } }),
      arrivalTime: 2
    })
    const last = appendRecord(world.stream, { partitionKey: "users#1", data: encode(toDmsRecord(change)), arrivalTime: 3 })
    const before = world.stream.records.length
    return Effect.gen(function* () {
      yield* handleDlqBatch([delivery(onFailureRecord(first.sequenceNumber, last.sequenceNumber, 3))])
      const entries = yield* listEntries({})
      assert.deepStrictEqual(entries.map((entry) => entry.code).sort(), [
        "retry-attempts-exhausted",
        "skipped-control-record",
        "skipped-operation-not-published"
      ])
      for (const dryRun of [true, false]) {
        const report = yield* redrive(entries, { dryRun })
        assert.deepStrictEqual(report.items.map((item) => [item.code, item.status, item.reason]).sort(), [
          ["retry-attempts-exhausted", dryRun ? "would-redrive" : "redriven", undefined],
          ["skipped-control-record", "skipped", "not-published"],
          ["skipped-operation-not-published", "skipped", "not-published"]
        ])
      }
      // only the users update was put back
      const put = putAfter(world.stream.records, before)
      assert.deepStrictEqual(
        put.map((record) => idOf(record)),
        [idOf(last)]
      )
    }).pipe(Effect.provide(world.layer))
  })

  it.effect("does not put back a record whose bytes are not a JSON object: it could only fail again", () => {
    const world = memoryWorld()
    const record = appendRecord(world.stream, { partitionKey: "users#1", data: new TextEncoder().encode("{not json"), arrivalTime: 1 })
    const before = world.stream.records.length
    return Effect.gen(function* () {
      yield* handleDlqBatch([delivery(decodeDeadLetter(record.sequenceNumber))])
      for (const dryRun of [true, false]) {
        const report = yield* redrive(yield* listEntries({}), { dryRun })
        assert.deepStrictEqual(
          report.items.map((item) => [item.code, item.status, item.reason]),
          [["invalid-json", "not-redrivable", "malformed-record"]]
        )
        assert.isFalse(isIncomplete(report), "reported, but no next run can put it back (exit 0)")
      }
      assert.strictEqual(world.stream.records.length, before)
    }).pipe(Effect.provide(world.layer))
  })

  it.effect("orders an entity's failures by sequence number as an integer, not as text", () => {
    const world = memoryWorld()
    world.stream.nextSequence = 8_000n // the next records are 9000 and 10000: "10000" < "9000" as text
    const v1 = appendRecord(world.stream, { partitionKey: "users#1", data: encode({ v: 1 }), arrivalTime: 1 })
    const v2 = appendRecord(world.stream, { partitionKey: "users#1", data: encode({ v: 2 }), arrivalTime: 2 })
    const before = world.stream.records.length
    return Effect.gen(function* () {
      yield* handleDlqBatch([v2, v1].map((record) => delivery(poisonDeadLetter(record.sequenceNumber))))
      yield* redrive(yield* listEntries({}), { dryRun: false })
      assert.deepStrictEqual(put(world.stream.records.slice(before)), [
        ["users#1", "9000"],
        ["users#1", "10000"]
      ])
    }).pipe(Effect.provide(world.layer))
  })

  it.effect("puts a resharded entity's change from its parent shard before the later one from its child shard", () => {
    const world = memoryWorld()
    const v1 = appendRecord(world.stream, { partitionKey: "users#1", data: encode({ v: 1 }), arrivalTime: 1_000 })
    // after a split the entity's next change lands on a child shard, whose sequence numbers may be lower
    const v2: StreamRecord = {
      streamArn,
      shardId: "shardId-000000000001",
      sequenceNumber: String(BigInt(v1.sequenceNumber) - 1n),
      partitionKey: "users#1",
      data: encode({ v: 2 }),
      arrivalTime: 2_000
    }
    world.stream.records.push(v2)
    const before = world.stream.records.length
    return Effect.gen(function* () {
      yield* handleDlqBatch([
        delivery(poisonDeadLetter(v2.sequenceNumber, "users", v2.shardId)),
        delivery(poisonDeadLetter(v1.sequenceNumber, "users", v1.shardId))
      ])
      const report = yield* redrive(yield* listEntries({}), { dryRun: false })
      assertPutInOrder(report, world.stream.records.slice(before), [v1, v2])
    }).pipe(Effect.provide(world.layer))
  })

  it.effect(
    "reports a record past retention and a malformed message as never redrivable, without leaving work for a next run (exit 0)",
    () => {
      /** The redrive of what one DLQ batch archived, in a fresh world. */
      const redriveOf = (deliveries: (world: ReturnType<typeof memoryWorld>) => ReadonlyArray<ReturnType<typeof delivery>>) => {
        const world = memoryWorld()
        return Effect.gen(function* () {
          yield* handleDlqBatch(deliveries(world))
          return yield* redrive(yield* listEntries({}), { dryRun: false })
        }).pipe(Effect.provide(world.layer))
      }
      return Effect.gen(function* () {
        // the record of this dead letter is no longer in the stream
        const expired = yield* redriveOf(() => [delivery(poisonDeadLetter("999"))])
        assert.deepStrictEqual(
          expired.items.map((item) => [item.status, item.reason]),
          [["unavailable", "record-expired"]]
        )
        // no later run can put it back: exit 1 on every run would hide the runs that have work left
        assert.isFalse(isIncomplete(expired))

        const malformed = yield* redriveOf(() => [delivery("junk")])
        assert.deepStrictEqual(
          malformed.items.map((item) => [item.status, item.reason]),
          [["not-redrivable", "malformed-message"]]
        )
        assert.isFalse(isIncomplete(malformed))

        // one record named twice (its dead letter and its discarded batch), and a drift notice
        const done = yield* redriveOf((world) => {
          const record = appendRecord(world.stream, { partitionKey: "users#1", data: encode({ v: 1 }), arrivalTime: 1 })
          const notice = schemaDriftNotice({
            table: "users",
            columns: ["nickname"],
            reason: "undeclared-columns",
            coordinates: { streamArn, shardId: record.shardId, sequenceNumber: record.sequenceNumber },
            at: "2026-01-15T00:00:01.000Z"
          })
          return [
            delivery(poisonDeadLetter(record.sequenceNumber)),
            delivery(onFailureRecord(record.sequenceNumber, record.sequenceNumber, 1)),
            delivery(notice)
          ]
        })
        assert.deepStrictEqual([done.counts.redriven, done.counts.duplicate, done.counts.skipped, done.items.length], [1, 1, 1, 3])
        assert.isFalse(isIncomplete(done))
      })
    }
  )
})

const put = (records: ReadonlyArray<StreamRecord>) =>
  records.map((record) => [record.partitionKey, JSON.parse(new TextDecoder().decode(record.data)).redriveOf.sequenceNumber])

/** The redrive put back exactly `expected`, as `users#1`, in that order. */
const assertPutInOrder = (
  report: { readonly counts: { readonly redriven: number } },
  written: ReadonlyArray<StreamRecord>,
  expected: ReadonlyArray<StreamRecord>
) => {
  assert.strictEqual(report.counts.redriven, expected.length)
  assert.deepStrictEqual(
    put(written),
    expected.map((record) => ["users#1", record.sequenceNumber])
  )
}

/** A put the stream refused for good. */
const poisonLike = { _tag: "KinesisRefused", category: "permanent", code: "put-refused", retryable: false, message: "refused" } as never

describe("redrive, when a call fails", () => {
  /** The memory world's archive, with `get` and `markRedriven` failing for the keys chosen (each time asked). */
  const faultyArchive = (
    world: ReturnType<typeof memoryWorld>,
    fails: { get?: (key: string) => boolean; mark?: (key: string) => boolean }
  ) =>
    Layer.effect(
      Archive,
      Effect.map(Effect.service(Archive), (archive) =>
        Archive.of({
          ...archive,
          // asked on each run of the call, so a retried call can succeed
          get: (key) => Effect.suspend(() => (fails.get?.(key) ? Effect.fail(s3SlowDown) : archive.get(key))),
          markRedriven: (key, at) => Effect.suspend(() => (fails.mark?.(key) ? Effect.fail(s3SlowDown) : archive.markRedriven(key, at)))
        })
      )
    ).pipe(Layer.provide(Archive.layerMemory(world.archive)))

  it.effect("keeps a record redriven onto a child shard, then failed again, before its entity's later change on that shard", () => {
    const world = memoryWorld()
    const v1 = appendRecord(world.stream, { partitionKey: "users#1", data: encode({ v: 1 }), arrivalTime: 1_000 })
    // after a split the entity's changes land on a child shard: v2, then v1 redriven there (before
    // the fix), which failed again; its arrival is the redrive's, after v2's, its first position before
    const child = (sequenceNumber: bigint, data: Uint8Array, arrivalTime: number): StreamRecord => ({
      streamArn,
      shardId: "shardId-000000000001",
      sequenceNumber: String(sequenceNumber),
      partitionKey: "users#1",
      data,
      arrivalTime
    })
    const v2 = child(7n, encode({ v: 2 }), 2_000)
    const again = child(8n, redrivenRecordBytes(v1.data, { streamArn, shardId: v1.shardId, sequenceNumber: v1.sequenceNumber }), 3_000)
    world.stream.records.push(v2, again)
    const before = world.stream.records.length
    return Effect.gen(function* () {
      yield* handleDlqBatch([v2, again].map((record) => delivery(poisonDeadLetter(record.sequenceNumber, "users", record.shardId))))
      const report = yield* redrive(yield* listEntries({}), { dryRun: false })
      assertPutInOrder(report, world.stream.records.slice(before), [v1, v2])
    }).pipe(Effect.provide(world.layer))
  })

  it.effect(
    "keeps a key's first-shard records before its child-shard change whatever the order the failures are listed in, however the two shards' clocks disagree",
    () =>
      Effect.forEach([false, true], (reversed) => {
        const world = memoryWorld()
        const v1 = appendRecord(world.stream, { partitionKey: "users#1", data: encode({ v: 1 }), arrivalTime: 1_000 })
        const x = appendRecord(world.stream, { partitionKey: "users#1", data: encode({ v: "x" }), arrivalTime: 1_001 })
        const child = (sequenceNumber: bigint, data: Uint8Array, arrivalTime: number): StreamRecord => ({
          streamArn,
          shardId: "shardId-000000000001",
          sequenceNumber: String(sequenceNumber),
          partitionKey: "users#1",
          data,
          arrivalTime
        })
        // the child's first record is stamped 1 ms before the parent's last one (another host's clock)
        const v2 = child(7n, encode({ v: 2 }), 999)
        const again = child(8n, redrivenRecordBytes(x.data, { streamArn, shardId: x.shardId, sequenceNumber: x.sequenceNumber }), 3_000)
        world.stream.records.push(v2, again)
        const before = world.stream.records.length
        return Effect.gen(function* () {
          const failed = [v1, v2, again]
          yield* handleDlqBatch(
            (reversed ? [...failed].reverse() : failed).map((record) =>
              delivery(poisonDeadLetter(record.sequenceNumber, "users", record.shardId))
            )
          )
          const entries = yield* listEntries({})
          const report = yield* redrive(reversed ? [...entries].reverse() : entries, { dryRun: false })
          assertPutInOrder(report, world.stream.records.slice(before), [v1, x, v2])
        }).pipe(Effect.provide(world.layer))
      })
  )

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
      const preview = yield* redrive(yield* listEntries({}), { dryRun: true }).pipe(
        Effect.provide(faultyArchive(world, { get: (key) => key.includes(v1Id) }))
      )
      assert.deepStrictEqual(
        preview.items.map((item) => [item.table, item.status, item.reason]).sort(),
        [
          ["orders", "would-redrive", undefined],
          ["users", "failed", "lookup-failed-in-table"],
          ["users", "failed", "s3-slow-down"]
        ],
        "a dry run holds what the run would hold"
      )
      assert.strictEqual(world.stream.records.length, before, "a dry run puts nothing")
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

  /**
   * An entity's two failures archived under different tables: a record of no known shape (under
   * `_unknown`, code unknown-shape) and a later products change with an invalid price. Both share
   * the partition key DMS gave them.
   */
  const entityAcrossTables = (world: ReturnType<typeof memoryWorld>) => {
    const dms = (data: unknown) => ({
      data,
      metadata: { timestamp: "2026-01-14T00:00:00.000000Z", "record-type": "data", operation: "insert", "table-name": "products" }
    })
    const first = appendRecord(world.stream, { partitionKey: "products#2", data: encode({ row: { product_id: "p-2" } }), arrivalTime: 1 })
    const second = appendRecord(world.stream, {
      partitionKey: "products#2",
      data: encode(dms({ product_id: "p-2", price: "not-a-value" })),
      arrivalTime: 2
    })
    return { first, second, before: world.stream.records.length }
  }
  /** Two runs, the first with one lookup failing; the records put, by first sequence number, in order. */
  const twoRuns = (world: ReturnType<typeof memoryWorld>, firstRun: (first: StreamRecord) => Layer.Layer<never>) =>
    Effect.gen(function* () {
      const { first, second, before } = entityAcrossTables(world)
      yield* handleDlqBatch([delivery(onFailureRecord(first.sequenceNumber, second.sequenceNumber, 2))])
      const run1 = yield* redrive(yield* listEntries({}), { dryRun: false }).pipe(Effect.provide(firstRun(first)))
      yield* redrive(yield* listEntries({}), { dryRun: false })
      const order = put(world.stream.records.slice(before)).map(([, sequenceNumber]) => sequenceNumber)
      return { run1, order, expected: [first.sequenceNumber, second.sequenceNumber] }
    }).pipe(Effect.provide(world.layer))

  it.effect("holds an entity's later change archived under another table when a record of its key cannot be read back", () => {
    const world = memoryWorld()
    // the stream read of the first record (of no known shape) fails in the first run
    const unreadableFirst = (first: StreamRecord) =>
      Layer.effect(
        RecordFetcher,
        Effect.map(Effect.service(RecordFetcher), (inner) =>
          RecordFetcher.of({
            ...inner,
            fetchOne: (c) => (c.sequenceNumber === first.sequenceNumber ? Effect.fail(kinesisThrottled) : inner.fetchOne(c))
          })
        )
      ).pipe(Layer.provide(MemoryStream.layer(world.stream)))
    return Effect.map(twoRuns(world, unreadableFirst), ({ run1, order, expected }) => {
      assert.deepStrictEqual(order, expected, "the products change waits for the _unknown record of its key")
      assert.deepStrictEqual(run1.items.map((item) => [item.table, item.status, item.reason]).sort(), [
        ["_unknown", "failed", "kinesis-throttled"],
        ["products", "failed", "lookup-failed-for-key"]
      ])
    })
  })

  it.effect("holds the _unknown records when a failure of a table cannot be read: they may be that table's entities", () => {
    const world = memoryWorld()
    const productsUnreadable = () => faultyArchive(world, { get: (key) => key.includes("/products/") })
    return Effect.map(twoRuns(world, productsUnreadable), ({ run1, order, expected }) => {
      assert.deepStrictEqual(order, expected, "the _unknown record is not put while its key's products change is unknown")
      assert.deepStrictEqual(run1.items.map((item) => [item.table, item.status, item.reason]).sort(), [
        ["_unknown", "failed", "lookup-failed-in-table"],
        ["products", "failed", "s3-slow-down"]
      ])
    })
  })

  it.effect("holds every table's records when an _unknown failure cannot be read: it may be any entity's earlier change", () => {
    const world = memoryWorld()
    const unknownUnreadable = () => faultyArchive(world, { get: (key) => key.includes("/_unknown/") })
    return Effect.map(twoRuns(world, unknownUnreadable), ({ run1, order, expected }) => {
      assert.deepStrictEqual(order, expected, "the products change waits for the _unknown record, whose key is unknown")
      assert.deepStrictEqual(run1.items.map((item) => [item.table, item.status, item.reason]).sort(), [
        ["_unknown", "failed", "s3-slow-down"],
        ["products", "failed", "lookup-failed-in-table"]
      ])
    })
  })

  it.effect("holds, under any table, the later changes of a key whose record is held with its table", () => {
    const world = memoryWorld()
    // users#1 changes three times; the third is archived under another table (as a record that
    // named a table of its own would be)
    const v1 = appendRecord(world.stream, { partitionKey: "users#1", data: encode({ v: 1 }), arrivalTime: 1 })
    const v2 = appendRecord(world.stream, { partitionKey: "users#1", data: encode({ v: 2 }), arrivalTime: 2 })
    const v3 = appendRecord(world.stream, { partitionKey: "users#1", data: encode({ v: 3 }), arrivalTime: 3 })
    const before = world.stream.records.length
    const v1Id = poisonDeadLetter(v1.sequenceNumber).id
    return Effect.gen(function* () {
      yield* handleDlqBatch([
        delivery(poisonDeadLetter(v1.sequenceNumber)),
        delivery(poisonDeadLetter(v2.sequenceNumber)),
        delivery(poisonDeadLetter(v3.sequenceNumber, "accounts"))
      ])
      const report = yield* redrive(yield* listEntries({}), { dryRun: false }).pipe(
        Effect.provide(faultyArchive(world, { get: (key) => key.includes(v1Id) }))
      )
      assert.deepStrictEqual(put(world.stream.records.slice(before)), [], "v3 waits for v2, held with its table, and for v1")
      assert.deepStrictEqual(report.items.map((item) => [item.table, item.status, item.reason]).sort(), [
        ["accounts", "failed", "lookup-failed-for-key"],
        ["users", "failed", "lookup-failed-in-table"],
        ["users", "failed", "s3-slow-down"]
      ])
    }).pipe(Effect.provide(world.layer))
  })

  it.effect("fails before reading or putting anything when the stream to write to cannot be written (dry run too)", () => {
    const world = memoryWorld()
    const v1 = appendRecord(world.stream, { partitionKey: "users#1", data: encode({ v: 1 }), arrivalTime: 1 })
    const before = world.stream.records.length
    let reads = 0
    const missing = Layer.mergeAll(
      Layer.effect(
        RecordInjector,
        Effect.map(Effect.service(RecordInjector), (injector) => RecordInjector.of({ ...injector, check: Effect.fail(poisonLike) }))
      ),
      Layer.effect(
        RecordFetcher,
        Effect.map(Effect.service(RecordFetcher), (fetcher) =>
          RecordFetcher.of({
            ...fetcher,
            fetchOne: (c) =>
              Effect.suspend(() => {
                reads++
                return fetcher.fetchOne(c)
              })
          })
        )
      )
    ).pipe(Layer.provide(MemoryStream.layer(world.stream)))
    return Effect.gen(function* () {
      yield* handleDlqBatch([delivery(poisonDeadLetter(v1.sequenceNumber))])
      const entries = yield* listEntries({})
      for (const dryRun of [true, false]) {
        const error = yield* Effect.flip(redrive(entries, { dryRun }).pipe(Effect.provide(missing)))
        assert.strictEqual(error, poisonLike)
      }
      assert.strictEqual(reads, 0, "nothing read")
      assert.strictEqual(world.stream.records.length, before, "nothing put")
      assert.isUndefined((yield* listEntries({}))[0]?.redrivenAt, "nothing marked")
    }).pipe(Effect.provide(world.layer))
  })

  it.effect("reports a stray object of the archive as not redrivable, holding nothing for it (it names no record)", () => {
    const world = memoryWorld()
    const v1 = appendRecord(world.stream, { partitionKey: "users#1", data: encode({ v: 1 }), arrivalTime: 1 })
    const before = world.stream.records.length
    // under `_unknown`, an unreadable failure would hold every table; a file that is no failure must not
    const stray = "failed-events/_unknown/2026/01/02/notes.json"
    world.archive.objects.set(stray, { body: "hello", metadata: {} })
    return Effect.gen(function* () {
      yield* handleDlqBatch([delivery(poisonDeadLetter(v1.sequenceNumber))])
      const report = yield* redrive(yield* listEntries({}), { dryRun: false })
      assert.deepStrictEqual(put(world.stream.records.slice(before)), [["users#1", v1.sequenceNumber]])
      assert.deepStrictEqual(report.items.map((item) => [item.table, item.status, item.reason]).sort(), [
        ["_unknown", "not-redrivable", "archive-object-not-a-failure"],
        ["users", "redriven", undefined]
      ])
      assert.isFalse(isIncomplete(report), "nothing a next run could do")
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

  it.effect("reports a record put but not marked as left to do (exit 1), even when it is the only one", () => {
    const world = memoryWorld()
    const v1 = appendRecord(world.stream, { partitionKey: "users#1", data: encode({ v: 1 }), arrivalTime: 1 })
    return Effect.gen(function* () {
      yield* handleDlqBatch([delivery(poisonDeadLetter(v1.sequenceNumber))])
      const report = yield* redrive(yield* listEntries({}), { dryRun: false }).pipe(
        Effect.provide(faultyArchive(world, { mark: () => true }))
      )
      assert.deepStrictEqual(
        report.items.map((item) => [item.status, item.notMarked]),
        [["redriven", "s3-slow-down"]]
      )
      assert.isTrue(isIncomplete(report))
    }).pipe(Effect.provide(world.layer))
  })

  it.effect("retries a throttled archive read and mark on the Clock, so the record is put once and marked", () => {
    const world = memoryWorld({ ...noRetries, "dlq-send": { maxRetries: 1, baseDelayMillis: 100, maxDelayMillis: 1_000, jitter: 0 } })
    const v1 = appendRecord(world.stream, { partitionKey: "users#1", data: encode({ v: 1 }), arrivalTime: 1 })
    const before = world.stream.records.length
    /** Fails the first call only. */
    const once = () => {
      let calls = 0
      return () => calls++ === 0
    }
    return Effect.gen(function* () {
      yield* handleDlqBatch([delivery(poisonDeadLetter(v1.sequenceNumber))])
      const entries = yield* listEntries({})
      const fiber = yield* Effect.forkChild(
        redrive(entries, { dryRun: false }).pipe(Effect.provide(faultyArchive(world, { get: once(), mark: once() })))
      )
      yield* TestClock.adjust("100 millis")
      yield* TestClock.adjust("100 millis")
      const report = yield* Fiber.join(fiber)
      assert.deepStrictEqual(
        report.items.map((item) => [item.status, item.notMarked]),
        [["redriven", undefined]]
      )
      assert.isFalse(isIncomplete(report))
      assert.deepStrictEqual(put(world.stream.records.slice(before)), [["users#1", v1.sequenceNumber]])
      assert.isDefined((yield* listEntries({}))[0]?.redrivenAt)
    }).pipe(Effect.provide(world.layer))
  })
})

/** An archive call that failed after its retries. */
const s3SlowDown = { _tag: "AwsError", category: "throttling", code: "s3-slow-down", retryable: true, message: "S3 SlowDown" } as never
const kinesisThrottled = {
  _tag: "AwsError",
  category: "throttling",
  code: "kinesis-throttled",
  retryable: true,
  message: "Kinesis ProvisionedThroughputExceeded"
} as never
