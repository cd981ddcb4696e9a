import { assert, describe, it } from "@effect/vitest"
import * as Effect from "effect/Effect"
import * as Layer from "effect/Layer"
import { Archive } from "../../src/dlq/Archive"
import { findKey, groupEntries, listArchive, listEntries } from "../../src/dlq/ArchiveQuery"
import { handleDlqBatch } from "../../src/dlq/DlqWorker"
import { appendRecord } from "../../src/dlq/MemoryStream"
import { redrive } from "../../src/dlq/Redrive"
import { AwsLikeFault } from "./faults"
import { decodeDeadLetter, delivery, memoryWorld, noRetries, poisonDeadLetter } from "./fixtures"

describe("DLQ operator tools", () => {
  it.effect(
    "a throttled or failed-for-a-moment listing call is retried (dlq-send policy), not the end of `list`, `show` or `redrive`",
    () => {
      const world = memoryWorld({ ...noRetries, "dlq-send": { maxRetries: 2, baseDelayMillis: 0, maxDelayMillis: 0, jitter: 0 } })
      return Effect.gen(function* () {
        yield* handleDlqBatch([delivery(poisonDeadLetter("1", "users")), delivery(poisonDeadLetter("2", "orders"))])
        const archive = yield* Archive
        // S3 answering one HEAD, one LIST and one GET of many with 503 SlowDown, as it does under load
        let headFaults = 1
        let listFaults = 2
        const flaky = Archive.of({
          ...archive,
          listKeys: (prefix) =>
            Effect.suspend(() => (listFaults-- > 0 ? Effect.fail(new AwsLikeFault({ code: "SlowDown" })) : archive.listKeys(prefix))),
          describe: (key) =>
            Effect.suspend(() => (headFaults-- > 0 ? Effect.fail(new AwsLikeFault({ code: "SlowDown" })) : archive.describe(key)))
        })
        const retried = Effect.provide(Layer.succeed(Archive, flaky))
        assert.strictEqual((yield* listEntries({}).pipe(retried)).length, 2)
        assert.strictEqual(listFaults, -1, "the listing's two faults were retried")
        const id = poisonDeadLetter("2", "orders").id
        // `show`'s lookup meets a fault of its own
        listFaults = 1
        assert.strictEqual(yield* findKey(id).pipe(retried), `failed-events/orders/2026/01/14/${id}.json`)
        assert.strictEqual(listFaults, -1)
      }).pipe(Effect.provide(world.layer))
    }
  )

  it.effect("lists by table, date and category, and groups by problem with counts", () => {
    const world = memoryWorld()
    return Effect.gen(function* () {
      yield* handleDlqBatch([
        delivery(poisonDeadLetter("1", "users")),
        delivery(poisonDeadLetter("2", "users")),
        delivery(poisonDeadLetter("3", "orders")),
        delivery(decodeDeadLetter("4")),
        delivery("junk")
      ])
      const progress: Array<string> = []
      const all = yield* listEntries({}, (done, total) => Effect.sync(() => progress.push(`${done}/${total}`)))
      assert.strictEqual(all.length, 5)
      assert.deepStrictEqual(progress.at(-1), "5/5")
      assert.deepStrictEqual(
        groupEntries(all).map((group) => [group.table, group.category, group.code, group.count]),
        [
          ["users", "poison", "not-an-integer", 2],
          ["_unknown", "poison", "invalid-json", 1],
          ["_unknown", "poison", "malformed-message", 1],
          ["orders", "poison", "not-an-integer", 1]
        ]
      )
      assert.strictEqual((yield* listEntries({ table: "users" })).length, 2)
      assert.strictEqual((yield* listEntries({ since: "2026-01-15" })).length, 1, "only the malformed message is from the 15th")
      assert.strictEqual((yield* listEntries({ category: "configuration" })).length, 0)
      const id = poisonDeadLetter("3", "orders").id
      assert.strictEqual(yield* findKey(id), `failed-events/orders/2026/01/14/${id}.json`)
      assert.strictEqual(yield* findKey(`${id}.json`), `failed-events/orders/2026/01/14/${id}.json`, "the file name")
      assert.strictEqual((yield* Effect.flip(findKey("nope")))._tag, "FailureNotFound")
      // an alert's location, pasted as it is
      const listed = world.archive.listings
      assert.strictEqual(
        yield* findKey(`memory://archive/failed-events/orders/2026/01/14/${id}.json`),
        `failed-events/orders/2026/01/14/${id}.json`
      )
      assert.strictEqual(world.archive.listings, listed, "a location names its key: nothing is listed")
      const elsewhere = yield* Effect.flip(findKey(`s3://another-bucket/failed-events/orders/2026/01/14/${id}.json`))
      assert.strictEqual(
        elsewhere.message,
        `s3://another-bucket/failed-events/orders/2026/01/14/${id}.json is not in this archive (memory://archive/); name its bucket with --bucket`
      )
      // a location in this bucket, but where no failure is kept: not taken for another bucket's
      for (const location of ["memory://archive/", "memory://archive/notes/readme.json"]) {
        const outside = yield* Effect.flip(findKey(location))
        assert.strictEqual(
          outside.message,
          `${location} is no archived failure: the archive keeps them under memory://archive/failed-events/`
        )
      }
    }).pipe(Effect.provide(world.layer))
  })

  it.effect("skips and counts objects outside the key layout, such as a console's folder marker", () => {
    const world = memoryWorld()
    const message = poisonDeadLetter("1", "users")
    return Effect.gen(function* () {
      yield* handleDlqBatch([delivery(message)])
      const key = `failed-events/users/2026/01/14/${message.id}.json`
      for (const foreign of ["failed-events/users/", "failed-events/users/notes.txt", `failed-events/backup/${message.id}.json`]) {
        world.archive.objects.set(foreign, { body: "", metadata: {} })
      }
      const listing = yield* listArchive({})
      assert.deepStrictEqual(
        listing.entries.map((entry) => entry.key),
        [key]
      )
      assert.strictEqual(listing.skipped, 3)
      assert.deepStrictEqual(
        (yield* listEntries({ table: "users", since: "2026-01-01" })).map((entry) => entry.key),
        [key]
      )
      assert.strictEqual(yield* findKey(message.id), key, "a foreign object ending like the failure is not taken for it")
      const report = yield* redrive(yield* listEntries({}), { dryRun: true })
      assert.deepStrictEqual(
        report.items.map((item) => item.key),
        [key]
      )
    }).pipe(Effect.provide(world.layer))
  })

  it.effect("redrives a failure from its raw record once, marks it, and skips it on a second run", () => {
    const world = memoryWorld()
    const data = new TextEncoder().encode('{"raw":"record"}')
    const original = appendRecord(world.stream, { partitionKey: "users#7", data, arrivalTime: 0 })
    return Effect.gen(function* () {
      yield* handleDlqBatch([delivery(poisonDeadLetter(original.sequenceNumber)), delivery("junk"), delivery(poisonDeadLetter("999"))])
      const entries = yield* listEntries({})
      const dry = yield* redrive(entries, { dryRun: true })
      assert.deepStrictEqual(dry.counts, {
        redriven: 0,
        "would-redrive": 1,
        "already-redriven": 0,
        duplicate: 0,
        skipped: 0,
        "not-redrivable": 1,
        unavailable: 1,
        failed: 0
      })
      assert.strictEqual(world.stream.records.length, 1, "a dry run writes nothing")

      const first = yield* redrive(entries, { dryRun: false })
      assert.strictEqual(first.counts.redriven, 1)
      const [, again] = world.stream.records
      assert.strictEqual(again?.partitionKey, "users#7")
      // the original record, as written, under its first position, so its events keep their ids
      const firstPosition = { streamArn: original.streamArn, shardId: original.shardId, sequenceNumber: original.sequenceNumber }
      assert.strictEqual(
        new TextDecoder().decode(again?.data),
        `{"redriveOf":${JSON.stringify(firstPosition)},"record":${new TextDecoder().decode(data)}}`
      )
      assert.strictEqual(first.items.find((item) => item.status === "redriven")?.sequenceNumber, again?.sequenceNumber)

      const second = yield* redrive(yield* listEntries({}), { dryRun: false })
      assert.strictEqual(second.counts.redriven, 0)
      assert.strictEqual(second.counts["already-redriven"], 1)
      assert.strictEqual(world.stream.records.length, 2, "running it twice re-injects nothing twice")
      const marked = (yield* listEntries({})).filter((entry) => entry.redrivenAt !== undefined)
      assert.strictEqual(marked.length, 1)
      assert.deepStrictEqual(groupEntries(marked)[0]?.redriven, 1)
    }).pipe(Effect.provide(world.layer))
  })

  it.effect("reports an object gone since the listing as not redrivable without stopping the others", () => {
    const world = memoryWorld()
    return Effect.gen(function* () {
      yield* handleDlqBatch([delivery(poisonDeadLetter("1"))])
      const entries = yield* listEntries({})
      const report = yield* redrive([{ ...entries[0]!, key: "failed-events/users/2026/01/14/gone.json" }, ...entries], {
        dryRun: true
      })
      assert.deepStrictEqual(
        report.items.map((item) => [item.status, item.reason]),
        [
          ["not-redrivable", "archive-object-not-found"],
          ["unavailable", "record-expired"]
        ]
      )
    }).pipe(Effect.provide(world.layer))
  })

  it.effect("lists the failures of tables whose names are not key-safe, also by those names", () => {
    const world = memoryWorld()
    // Names that a lossy clean-up would merge: each must stay its own table.
    const tables = ["a/b", "a_b", "a b", "", "用户", "订单", "."]
    const messages = tables.map((table, n) => poisonDeadLetter(String(n + 1), table))
    return Effect.gen(function* () {
      yield* handleDlqBatch(messages.map((message) => delivery(message)))
      const listing = yield* listArchive({})
      assert.deepStrictEqual(
        listing.entries.map((entry) => [entry.table, entry.code]).sort(),
        tables.map((table) => [table, "not-an-integer"]).sort()
      )
      assert.strictEqual(listing.skipped, 0)
      for (const [n, table] of tables.entries()) {
        assert.deepStrictEqual(
          (yield* listEntries({ table })).map((entry) => entry.id),
          [messages[n]?.id],
          `--table ${JSON.stringify(table)}`
        )
      }
    }).pipe(Effect.provide(world.layer))
  })

  it.effect("lists only the table asked for, not another whose name begins the same", () => {
    const world = memoryWorld()
    return Effect.gen(function* () {
      yield* handleDlqBatch([delivery(poisonDeadLetter("1", "user")), delivery(poisonDeadLetter("2", "users"))])
      assert.deepStrictEqual(
        (yield* listEntries({ table: "user" })).map((entry) => entry.table),
        ["user"]
      )
      const report = yield* redrive(yield* listEntries({ table: "user" }), { dryRun: true })
      assert.deepStrictEqual(
        report.items.map((item) => item.table),
        ["user"]
      )
    }).pipe(Effect.provide(world.layer))
  })

  it.effect("groups a problem over the first and last days its records failed", () => {
    const world = memoryWorld()
    const sentOn = (day: number, messageId: string) => ({ ...delivery("junk", messageId), sentTimestamp: Date.UTC(2026, 0, day, 12) })
    return Effect.gen(function* () {
      yield* handleDlqBatch([sentOn(16, "m-2"), sentOn(17, "m-3"), sentOn(15, "m-1")])
      assert.deepStrictEqual(
        groupEntries(yield* listEntries({})).map((group) => [group.code, group.count, group.firstDate, group.lastDate]),
        [["malformed-message", 3, "2026-01-15", "2026-01-17"]]
      )
    }).pipe(Effect.provide(world.layer))
  })

  it.effect("still lists a redriven failure under its problem and category, counted as redriven", () => {
    const world = memoryWorld()
    const original = appendRecord(world.stream, { partitionKey: "users#7", data: new TextEncoder().encode('{"v":1}'), arrivalTime: 0 })
    return Effect.gen(function* () {
      yield* handleDlqBatch([delivery(poisonDeadLetter(original.sequenceNumber))])
      assert.strictEqual((yield* redrive(yield* listEntries({}), { dryRun: false })).counts.redriven, 1)
      const poison = yield* listEntries({ category: "poison" })
      assert.deepStrictEqual(
        poison.map((entry) => [entry.kind, entry.table, entry.category, entry.code, entry.redrivenAt]),
        [["cdc.dead-letter", "users", "poison", "not-an-integer", "1970-01-01T00:00:00.000Z"]]
      )
      assert.deepStrictEqual(
        groupEntries(poison).map((group) => [group.table, group.category, group.code, group.count, group.redriven]),
        [["users", "poison", "not-an-integer", 1, 1]]
      )
    }).pipe(Effect.provide(world.layer))
  })
})
