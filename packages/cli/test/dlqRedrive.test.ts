import { Archive } from "@cdc/pipeline/dlq/Archive"
import { handleDlqBatch } from "@cdc/pipeline/dlq/DlqWorker"
import { appendRecord, MemoryStream } from "@cdc/pipeline/dlq/MemoryStream"
import { RecordInjector } from "@cdc/pipeline/dlq/RecordInjector"
import type { RedriveReport, RedriveStatus } from "@cdc/pipeline/dlq/Redrive"
import { sampleChanges } from "@cdc/testkit/Changes"
import { toDmsRecord } from "@cdc/testkit/InputShapes"
import { assert, describe, expect, it } from "@effect/vitest"
import * as Effect from "effect/Effect"
import * as Fiber from "effect/Fiber"
import * as Layer from "effect/Layer"
import { delivery, memoryWorld, poisonDeadLetter } from "../../pipeline/test/dlq/fixtures"
import { interruptedRedrive, RedriveIncomplete, redriveArchived, redriveJson, renderReport } from "../src/commands/dlqRedrive"

const statuses: ReadonlyArray<RedriveStatus> = [
  "redriven",
  "would-redrive",
  "already-redriven",
  "duplicate",
  "skipped",
  "not-redrivable",
  "unavailable",
  "failed"
]
const report = (dryRun: boolean): RedriveReport => ({
  stream: "cdc-changes",
  dryRun,
  counts: { ...Object.fromEntries(statuses.map((s) => [s, 0])), failed: 1, "not-redrivable": 2, redriven: 1 } as Record<
    RedriveStatus,
    number
  >,
  items: [
    { key: "failures/orders/a.json", table: "orders", code: "invalid-json", status: "not-redrivable", reason: "malformed-record" },
    { key: "failures/orders/b.json", table: "orders", code: "invalid-json", status: "not-redrivable", reason: "malformed-record" },
    { key: "failures/users/c.json", table: "users", code: "not-an-integer", status: "failed", reason: "kinesis-throttled" },
    { key: "failures/users/d.json", table: "users", code: "not-an-integer", status: "redriven", notMarked: "s3-slow-down" }
  ]
})

describe("cdc dlq redrive --json", () => {
  it("writes every item field, null where an item has no value, as `dlq list --json` does", () => {
    const items = redriveJson(report(false)).items
    const keys = ["key", "table", "code", "status", "shardId", "sequenceNumber", "reason", "duplicateOf", "notMarked"]
    for (const item of items) expect(Object.keys(item)).toEqual(keys)
    expect(items[0]).toMatchObject({ status: "not-redrivable", reason: "malformed-record", shardId: null, notMarked: null })
    expect(items[3]).toMatchObject({ status: "redriven", reason: null, notMarked: "s3-slow-down" })
    // what a script parses: the same document, undefined written as null rather than left out
    const parsed = JSON.parse(JSON.stringify(redriveJson(report(true))))
    expect(parsed.items.map((item: Record<string, unknown>) => Object.keys(item).length)).toEqual([9, 9, 9, 9])
    expect(parsed).toMatchObject({ stream: "cdc-changes", dryRun: true, counts: { failed: 1, redriven: 1 } })
  })
})

describe("cdc dlq redrive: the exit-1 message", () => {
  it("says what a next run has to do, and in a dry run that nothing was written", () => {
    expect(new RedriveIncomplete({ report: report(false) }).message).toBe(
      "redrive incomplete: 1 failed, 1 redriven but not marked; run it again"
    )
    expect(new RedriveIncomplete({ report: report(true) }).message).toBe(
      "dry run: 1 matching failure(s) would not be redriven this run (nothing was written); run it again"
    )
  })
})

describe("cdc dlq redrive: the report", () => {
  it("lists each failure not put back, for now or for good, and each record put but not marked", () => {
    const text = renderReport(report(false))
    expect(text).toContain("not redrivable 2, failed 1 (stream cdc-changes)")
    expect(text).toContain("  not-redrivable (malformed-record): failures/orders/a.json\n")
    expect(text).toContain("  failed (kinesis-throttled): failures/users/c.json\n")
    expect(text).toContain("  redriven but not marked (s3-slow-down; a next run puts it again, same event ids): failures/users/d.json\n")
  })
})

describe("cdc dlq redrive: interrupted", () => {
  const usersUpdates = sampleChanges(400, 11).filter((change) => change.table === "users" && change.operation === "UPDATE")

  it.effect("says how far it got, and a second run puts back the rest, none twice", () => {
    const world = memoryWorld()
    // two failed changes of one entity (put in order, one after the other) and one of another
    const records = usersUpdates.slice(0, 3).map((change, index) =>
      appendRecord(world.stream, {
        partitionKey: index < 2 ? "users#0" : "users#1",
        data: new TextEncoder().encode(JSON.stringify(toDmsRecord(change))),
        arrivalTime: index
      })
    )
    const before = world.stream.records.length
    // the first put of users#0 goes through; every other hangs, as a stream that stopped answering
    let putsOfFirst = 0
    let hanging = 0
    const stalling = Layer.effect(
      RecordInjector,
      Effect.map(Effect.service(RecordInjector), (injector) =>
        RecordInjector.of({
          ...injector,
          put: (record) =>
            Effect.suspend(() =>
              record.partitionKey === "users#0" && ++putsOfFirst === 1
                ? injector.put(record)
                : Effect.andThen(
                    Effect.sync(() => hanging++),
                    Effect.never
                  )
            )
        })
      )
    ).pipe(Layer.provide(MemoryStream.layer(world.stream)))
    const output = { out: [] as Array<string>, err: [] as Array<string> }
    const real = { out: process.stdout.write, err: process.stderr.write }
    const capture = Effect.acquireRelease(
      Effect.sync(() => {
        process.stdout.write = ((text: string) => output.out.push(text) > 0) as typeof process.stdout.write
        process.stderr.write = ((text: string) => output.err.push(text) > 0) as typeof process.stderr.write
      }),
      () =>
        Effect.sync(() => {
          process.stdout.write = real.out
          process.stderr.write = real.err
        })
    )
    const marked = () => [...world.archive.objects.values()].filter((object) => object.metadata["cdc-redriven-at"] !== undefined).length
    return Effect.gen(function* () {
      yield* handleDlqBatch(records.map((record) => delivery(poisonDeadLetter(record.sequenceNumber))))
      yield* capture
      const fiber = yield* Effect.forkChild(redriveArchived({}, { dryRun: false, json: true }).pipe(Effect.provide(stalling)))
      for (let turn = 0; turn < 1_000 && !(hanging === 2 && marked() === 1); turn++) yield* Effect.yieldNow
      assert.deepStrictEqual({ hanging, marked: marked() }, { hanging: 2, marked: 1 })
      yield* Fiber.interrupt(fiber)
      assert.deepStrictEqual(
        output.err.filter((line) => line.startsWith("cdc dlq redrive:")),
        [
          "cdc dlq redrive: interrupted after 1 of 3 matching failure(s) handled; each failure put back was marked as it went " +
            "(a marked one is never put again; one put but not yet marked is put again, with the same event ids): run the same command again to finish\n"
        ]
      )
      assert.deepStrictEqual(
        output.out.map((line) => JSON.parse(line)),
        [{ interrupted: true, stage: "redriving", dryRun: false, handled: 1, matching: 3 }]
      )
      // counted as it was settled, though its entity's next change was still under way; run
      // again, the stream answering: the two left are put back, the first is not put twice
      yield* redriveArchived({}, { dryRun: false, json: false }).pipe(Effect.provide(MemoryStream.layer(world.stream)))
      assert.include(output.out.at(-1), "redriven 2, already redriven 1")
      assert.deepStrictEqual(
        world.stream.records
          .slice(before)
          .map((record) => record.partitionKey)
          .sort(),
        ["users#0", "users#0", "users#1"]
      )
    }).pipe(Effect.provide(world.layer), Effect.scoped)
  })

  it("while listing, says nothing was put back", () => {
    expect(interruptedRedrive({ _tag: "Listing" }).line).toBe(
      "cdc dlq redrive: interrupted while listing the archive; nothing was put back"
    )
    expect(interruptedRedrive({ _tag: "Redriving", dryRun: true, handled: 2, matching: 5 }).line).toBe(
      "cdc dlq redrive: dry run interrupted after 2 of 5 matching failure(s); nothing was written"
    )
  })
})

describe("cdc dlq redrive: a stream it cannot write to", () => {
  it.effect("fails before reading the archive, dry run too (a large archive was listed in full first)", () => {
    const world = memoryWorld()
    const record = appendRecord(world.stream, { partitionKey: "users#1", data: new TextEncoder().encode("{}"), arrivalTime: 1 })
    const missing = {
      _tag: "KinesisRefused",
      category: "configuration",
      code: "ResourceNotFoundException",
      retryable: false,
      message: "no stream"
    }
    let archiveReads = 0
    const counted = <A, E>(effect: Effect.Effect<A, E>) =>
      Effect.andThen(
        Effect.sync(() => archiveReads++),
        effect
      )
    const noStream = Layer.mergeAll(
      Layer.effect(
        RecordInjector,
        Effect.map(Effect.service(RecordInjector), (injector) => RecordInjector.of({ ...injector, check: Effect.fail(missing as never) }))
      ).pipe(Layer.provide(MemoryStream.layer(world.stream))),
      Layer.effect(
        Archive,
        Effect.map(Effect.service(Archive), (archive) =>
          Archive.of({
            ...archive,
            listKeys: (prefix) => counted(archive.listKeys(prefix)),
            describe: (key) => counted(archive.describe(key)),
            get: (key) => counted(archive.get(key))
          })
        )
      )
    )
    return Effect.gen(function* () {
      yield* handleDlqBatch([delivery(poisonDeadLetter(record.sequenceNumber))])
      for (const dryRun of [true, false]) {
        const error = yield* Effect.flip(redriveArchived({}, { dryRun, json: false }).pipe(Effect.provide(noStream)))
        assert.strictEqual(error as unknown, missing)
      }
      assert.strictEqual(archiveReads, 0)
    }).pipe(Effect.provide(world.layer))
  })
})
