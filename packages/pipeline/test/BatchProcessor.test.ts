import { assert, describe, it } from "@effect/vitest"
import * as Clock from "effect/Clock"
import * as Effect from "effect/Effect"
import * as Metric from "effect/Metric"
import * as Schema from "effect/Schema"
import { TestClock } from "effect/testing"
import { maxRetryPaceMillis, wrapUpMillis } from "../src/BatchProcessor"
import { shardKey } from "../src/CheckpointStore"
import { maxRequestBytes } from "../src/Chunker"
import { DeadLetterMessage } from "../src/DeadLetter"
import * as Metrics from "../src/Metrics"
import { batch, harness, range, shard0, Throttled } from "./support/BatchHarness"
import { scripted, throwingData } from "./support/TestRecordPath"

describe("processBatch", () => {
  it.effect("publishes every record once, in order, ten per PutEvents, with one checkpoint read and write", () =>
    Effect.gen(function* () {
      const h = yield* harness()
      const result = yield* h.run(batch(95))
      assert.deepStrictEqual(result.batchItemFailures, [])
      assert.deepStrictEqual(yield* h.seqs, range(1, 95))
      assert.strictEqual(yield* h.bus.calls, 10)
      assert.strictEqual(yield* h.store.reads, 1)
      assert.strictEqual(yield* h.store.writes, 1)
      assert.strictEqual((yield* h.store.checkpoints).get(shardKey(shard0)), "95")
      assert.strictEqual(yield* h.metric(Metrics.published), 95)
      assert.strictEqual(yield* h.metric(Metrics.recordsIn), 95)
    })
  )

  it.effect("a poison record in the middle goes to the DLQ without values and does not block the shard", () =>
    Effect.gen(function* () {
      const h = yield* harness()
      const records = batch(20)
      records[9] = scripted('{"ssn":"123-45-6789"', 10)
      const result = yield* h.run(records)
      assert.deepStrictEqual(result.batchItemFailures, [])
      assert.deepStrictEqual(
        yield* h.seqs,
        range(1, 20).filter((s) => s !== "10")
      )
      const messages = yield* h.dlq.messages
      assert.strictEqual(messages.length, 1)
      const message = Schema.decodeUnknownSync(DeadLetterMessage)(JSON.parse(JSON.stringify(messages[0])))
      assert.strictEqual(message.reason, "invalid-json")
      assert.strictEqual(message.category, "poison")
      assert.deepStrictEqual(message.coordinates.sequenceNumber, "10")
      assert.notInclude(JSON.stringify(messages), "123-45-6789")
      assert.strictEqual((yield* h.store.checkpoints).get(shardKey(shard0)), "20")
      assert.strictEqual(yield* h.metric(Metric.withAttributes(Metrics.deadLettered, { reason: "invalid-json" })), 1)
    })
  )

  it.effect("the same poison record gets the same dead-letter id on a retried batch", () =>
    Effect.gen(function* () {
      const first = yield* harness()
      const second = yield* harness()
      const records = [scripted("not json", 7)]
      yield* first.run(records)
      yield* second.run(records)
      const [a] = yield* first.dlq.messages
      const [b] = yield* second.dlq.messages
      assert.strictEqual(a?.id, b?.id)
    })
  )

  it.effect("retries only the entries a 200 response refused with a retryable code", () =>
    Effect.gen(function* () {
      const h = yield* harness({
        plan: (_entries, call) =>
          call === 0
            ? { _tag: "FailEntries", failures: new Map([[3, { code: "ThrottlingException", retryable: true, category: "throttling" }]]) }
            : undefined
      })
      const result = yield* h.run(batch(10))
      assert.deepStrictEqual(result.batchItemFailures, [])
      const seqs = yield* h.seqs
      assert.deepStrictEqual(
        [...seqs].sort((a, b) => Number(a) - Number(b)),
        range(1, 10)
      )
      assert.deepStrictEqual(seqs.slice(-1), ["4"], "only the refused entry is sent again")
      assert.strictEqual(yield* h.bus.calls, 2)
      assert.strictEqual(yield* h.metric(Metric.withAttributes(Metrics.retries, { dependency: "eventbridge-publish" })), 1)
    })
  )

  it.effect("dead-letters entries refused for good (publish-rejected) and goes on", () =>
    Effect.gen(function* () {
      const h = yield* harness({
        plan: (_entries, call) =>
          call === 0
            ? { _tag: "FailEntries", failures: new Map([[1, { code: "MalformedDetail", retryable: false, category: "permanent" }]]) }
            : undefined
      })
      const result = yield* h.run(batch(12))
      assert.deepStrictEqual(result.batchItemFailures, [])
      assert.deepStrictEqual(
        yield* h.seqs,
        range(1, 12).filter((s) => s !== "2")
      )
      const [message] = yield* h.dlq.messages
      assert.deepStrictEqual([message?.reason, message?.category, message?.retryable], ["publish-rejected", "permanent", false])
      assert.include(message?.message ?? "", "MalformedDetail")
      assert.isDefined(message?.event, "the redacted entry is kept for redrive")
      assert.strictEqual((yield* h.store.checkpoints).get(shardKey(shard0)), "12")
    })
  )

  it.effect("an entry refused for good that the DLQ cannot take stops the shard before a later change of its entity", () =>
    Effect.gen(function* () {
      let outage = true
      const h = yield* harness({
        // record 1 (entity 0) is refused for good once; the DLQ is down during the same outage
        plan: (_entries, call) =>
          outage && call === 0
            ? { _tag: "FailEntries", failures: new Map([[0, { code: "AccessDeniedException", retryable: false, category: "permanent" }]]) }
            : undefined,
        dlqRefuses: (message) => outage && message.reason === "publish-rejected"
      })
      const records = batch(4, 2) // entities 0, 1, 0, 1: records 1 and 3 are entity 0
      const first = yield* h.run(records)
      assert.deepStrictEqual(first.batchItemFailures, [{ itemIdentifier: "1" }])
      assert.deepStrictEqual(yield* h.seqs, ["2"], "record 3 (entity 0) is not published ahead of record 1")
      outage = false
      yield* h.run(records) // Lambda retries the shard from record 1
      const entity0 = (yield* h.seqs).filter((seq) => Number(seq) % 2 === 1)
      assert.deepStrictEqual(entity0, ["1", "3"])
    })
  )

  it.effect("when publishing exhausts its retries, reports the earliest unpublished record and publishes nothing after it", () =>
    Effect.gen(function* () {
      let calls = 0
      const h = yield* harness({
        plan: (_entries, call) => (++calls && call >= 2 ? { _tag: "FailCall", error: new Throttled() } : undefined)
      })
      const result = yield* h.run(batch(40))
      assert.deepStrictEqual(result.batchItemFailures, [{ itemIdentifier: "21" }])
      assert.deepStrictEqual(yield* h.seqs, range(1, 20))
      assert.strictEqual(calls, 2 + 4, "first attempt plus three retries on the third request")
      assert.strictEqual((yield* h.store.checkpoints).get(shardKey(shard0)), "20")
      assert.strictEqual(yield* h.metric(Metrics.leftForRetry), 20)
    })
  )

  it.effect("a PutEvents call refused whole for good (access denied) is not retried and dead-letters nothing: the shard stops there", () =>
    Effect.gen(function* () {
      let calls = 0
      // a whole-call refusal says nothing against any one entry: an IAM or bus problem, for an operator
      const accessDenied = {
        _tag: "AwsError",
        code: "AccessDeniedException",
        category: "permanent",
        retryable: false,
        message: "EventBridge.PutEvents failed: AccessDeniedException (HTTP 400)"
      } as const
      const h = yield* harness({ plan: (_entries, call) => (++calls && call >= 1 ? { _tag: "FailCall", error: accessDenied } : undefined) })
      const result = yield* h.run(batch(30))
      assert.deepStrictEqual(result.batchItemFailures, [{ itemIdentifier: "11" }])
      assert.deepStrictEqual(yield* h.seqs, range(1, 10))
      assert.strictEqual(calls, 2, "one call for the first request, one, not retried, for the second")
      assert.deepStrictEqual(yield* h.dlq.messages, [])
      assert.strictEqual((yield* h.store.checkpoints).get(shardKey(shard0)), "10")
    })
  )

  it.effect("a retried batch skips what was published before the failure: every record exactly once", () =>
    Effect.gen(function* () {
      let down = true
      const h = yield* harness({ plan: (_entries, call) => (down && call >= 3 ? { _tag: "FailCall", error: new Throttled() } : undefined) })
      const records = batch(50, 7)
      const first = yield* h.run(records)
      assert.deepStrictEqual(first.batchItemFailures.length, 1)
      down = false
      const failedAt = Number(first.batchItemFailures[0]?.itemIdentifier)
      // Lambda retries the shard from the reported record; here it re-delivers the whole batch to prove the checkpoint.
      const second = yield* h.run(records)
      assert.deepStrictEqual(second.batchItemFailures, [])
      assert.deepStrictEqual(yield* h.seqs, range(1, 50))
      assert.strictEqual(second.summary.duplicates, failedAt - 1)
      assert.strictEqual(yield* h.metric(Metrics.skippedDuplicate), failedAt - 1)
    })
  )

  it.effect("keeps per-key order and never sends one key twice in a request", () =>
    Effect.gen(function* () {
      const h = yield* harness()
      yield* h.run(batch(60, 3))
      const entries = yield* h.bus.published
      const byKey = new Map<string, Array<number>>()
      for (const e of entries) {
        const d = JSON.parse(e.Detail) as { entityId: string; seq: string }
        byKey.set(d.entityId, [...(byKey.get(d.entityId) ?? []), Number(d.seq)])
      }
      for (const seqs of byKey.values())
        assert.deepStrictEqual(
          seqs,
          [...seqs].sort((a, b) => a - b)
        )
      assert.strictEqual(yield* h.bus.calls, 20, "3 keys → 3 entries per request")
    })
  )

  it.effect("an oversized event goes to the DLQ with reason oversized, not truncated", () =>
    Effect.gen(function* () {
      const h = yield* harness()
      const result = yield* h.run(batch(3, 3, (i) => (i === 2 ? { pad: maxRequestBytes } : {})))
      assert.deepStrictEqual(result.batchItemFailures, [])
      assert.deepStrictEqual(yield* h.seqs, ["1", "3"])
      const [message] = yield* h.dlq.messages
      // permanent: archived, not alerted, and not worth retrying as it is
      assert.deepStrictEqual([message?.reason, message?.category, message?.retryable], ["oversized", "permanent", false])
      assert.isDefined(message?.eventId)
      assert.isUndefined(message?.event, "a 256 KB event is not copied into SQS")
    })
  )

  it.effect("a dead letter whose record-given text exceeds SQS's 256 KiB is clipped to fit, and the shard goes on", () =>
    Effect.gen(function* () {
      const h = yield* harness()
      // a Kinesis record takes up to 1 MiB: an unknown table's name can be most of it
      const table = `t${"x".repeat(400_000)}`
      const result = yield* h.run(batch(3, 3, (i) => (i === 2 ? { as: "unknown-table", table } : {})))
      assert.deepStrictEqual(result.batchItemFailures, [])
      assert.deepStrictEqual(yield* h.seqs, ["1", "3"])
      const [message] = yield* h.dlq.messages
      assert.deepStrictEqual([message?.reason, message?.coordinates.sequenceNumber], ["unknown-table", "2"])
      assert.isTrue(message?.coordinates.table?.startsWith("txxx"))
      assert.isTrue(message?.coordinates.table?.endsWith("… (399745 more characters)"))
      assert.isBelow(message?.message.length ?? Number.POSITIVE_INFINITY, 2_100)
      assert.strictEqual((yield* h.store.checkpoints).get(shardKey(shard0)), "3")
    })
  )

  it.effect("a schema-drift notice naming thousands of long undeclared columns still reaches the DLQ", () =>
    Effect.gen(function* () {
      const h = yield* harness()
      const withheld = Array.from({ length: 3_000 }, (_, i) => `column_${i}_${"c".repeat(100)}`)
      const result = yield* h.run(batch(2, 2, (i) => (i === 1 ? { withheld } : {})))
      assert.deepStrictEqual(result.batchItemFailures, [])
      const [notice] = yield* h.dlq.messages
      assert.strictEqual(notice?.kind, "cdc.schema-drift")
      assert.strictEqual(notice?.columns?.length, 100)
      assert.match(notice?.message ?? "", /^table users has 3000 undeclared column\(s\)/)
    })
  )

  it.effect("filtered records count and advance the checkpoint; schema drift sends one notice per table and columns", () =>
    Effect.gen(function* () {
      const h = yield* harness()
      const result = yield* h.run(
        batch(6, 6, (i) =>
          i === 1 ? { as: "skip" } : i <= 4 ? { withheld: ["nickname"] } : i === 5 ? { as: "ddl", withheld: ["nickname"] } : {}
        )
      )
      assert.deepStrictEqual(result.batchItemFailures, [])
      assert.strictEqual(result.summary.filtered, 2)
      assert.deepStrictEqual(yield* h.seqs, ["2", "3", "4", "6"])
      const notices = (yield* h.dlq.messages).filter((m) => m.kind === "cdc.schema-drift")
      assert.deepStrictEqual(
        notices.map((n) => [n.reason, n.columns]),
        [
          ["undeclared-columns", ["nickname"]],
          ["ddl-add-column", ["nickname"]]
        ]
      )
      assert.strictEqual((yield* h.store.checkpoints).get(shardKey(shard0)), "6")
    })
  )

  it.effect("compares checkpoints as integers: checkpoint 9 does not hide record 10", () =>
    Effect.gen(function* () {
      const h = yield* harness({ checkpoints: new Map([[shardKey(shard0), "9"]]) })
      const records = [8, 9, 10, 11].map((n) => scripted({ table: "users", id: String(n) }, n))
      const result = yield* h.run(records)
      assert.strictEqual(result.summary.duplicates, 2)
      assert.deepStrictEqual(yield* h.seqs, ["10", "11"])
    })
  )

  it.effect("a failing shard does not stop another shard of the same batch", () =>
    Effect.gen(function* () {
      const h = yield* harness({
        plan: (entries) =>
          entries.some((e) => e.Source === "cdc-pipeline.orders") ? { _tag: "FailCall", error: new Throttled() } : undefined
      })
      const a = Array.from({ length: 5 }, (_, i) => scripted({ table: "users", id: String(i) }, 100 + i, "shardId-a"))
      const b = Array.from({ length: 5 }, (_, i) => scripted({ table: "orders", id: String(i) }, 200 + i, "shardId-b"))
      const result = yield* h.run([...a, ...b])
      assert.deepStrictEqual(result.batchItemFailures, [{ itemIdentifier: "200" }])
      assert.deepStrictEqual(yield* h.seqs, range(100, 104))
    })
  )

  it.effect("an open circuit stops the batch without calling the dead bus, and paces Lambda's retry", () =>
    Effect.gen(function* () {
      let calls = 0
      const h = yield* harness({
        plan: () => (++calls ? { _tag: "FailCall", error: new Throttled() } : undefined),
        breaker: { failureThreshold: 2, resetTimeoutMillis: 3 * 3_600_000, halfOpenSuccesses: 1 }
      })
      const first = yield* h.run(batch(10))
      assert.deepStrictEqual(first.batchItemFailures, [{ itemIdentifier: "1" }])
      assert.strictEqual(calls, 2, "the breaker opened after two failures and cut the retries")
      const before = yield* Clock.currentTimeMillis
      const second = yield* h.run(batch(10))
      assert.deepStrictEqual(second.batchItemFailures, [{ itemIdentifier: "1" }])
      assert.strictEqual(calls, 2, "the next batch does not call the dead bus at all")
      assert.strictEqual((yield* Clock.currentTimeMillis) - before, maxRetryPaceMillis, "it returns after the capped pace, not at once")
    })
  )

  it.effect("paces Lambda's retry when the bus keeps throttling entries or the DLQ refuses, with the circuit closed", () =>
    Effect.gen(function* () {
      const throttled = { code: "ThrottlingException", retryable: true, category: "throttling" as const }
      const entries = yield* harness({ plan: (batch) => ({ _tag: "FailEntries", failures: new Map(batch.map((_, i) => [i, throttled])) }) })
      const dlq = yield* harness({ dlqRefuses: (message) => message.reason === "invalid-json" })
      const poisoned = batch(10)
      poisoned[0] = scripted("not json", 1)
      for (const [h, records] of [
        [entries, batch(10)],
        [dlq, poisoned]
      ] as const) {
        const started = yield* Clock.currentTimeMillis
        const result = yield* h.run(records)
        assert.deepStrictEqual(result.batchItemFailures, [{ itemIdentifier: "1" }])
        // the entries' own backoff took ≈ 2 s of it; the DLQ's refusal none
        assert.isAtLeast((yield* Clock.currentTimeMillis) - started, maxRetryPaceMillis, "Lambda's 20 retries would be spent in a minute")
      }
    })
  )

  it.effect("does not pace a batch that only ran out of time: Lambda's retry goes on at once", () =>
    Effect.gen(function* () {
      const h = yield* harness({ putEventsMillis: 3_000 })
      const started = yield* Clock.currentTimeMillis
      const result = yield* h.run(batch(100), { endsAt: started + wrapUpMillis + 10_000 })
      assert.notDeepEqual(result.batchItemFailures, [])
      // the windows stop 10 s in (and the chunk under way with them); no pace follows
      assert.isAtMost((yield* Clock.currentTimeMillis) - started, 11_000)
    })
  )

  it.effect("waits for the circuit's trial before returning, so Lambda's retries outlast a short outage", () =>
    Effect.gen(function* () {
      let down = true
      let calls = 0
      const h = yield* harness({
        plan: () => (++calls && down ? { _tag: "FailCall", error: new Throttled() } : undefined),
        breaker: { failureThreshold: 2, resetTimeoutMillis: 4_000, halfOpenSuccesses: 1 }
      })
      const records = batch(10)
      const started = yield* Clock.currentTimeMillis
      const first = yield* h.run(records)
      assert.deepStrictEqual(first.batchItemFailures, [{ itemIdentifier: "1" }])
      const took = (yield* Clock.currentTimeMillis) - started
      assert.isAtLeast(took, 4_000, "the invocation ended when the circuit would let a trial through")
      down = false
      const retried = yield* h.run(records) // Lambda's retry finds the circuit ready for a trial
      assert.deepStrictEqual(retried.batchItemFailures, [])
      assert.deepStrictEqual(yield* h.seqs, range(1, 10))
    })
  )

  it.effect("when the DLQ refuses two poison records, nothing from the earlier one on is published and Lambda resumes there", () =>
    Effect.gen(function* () {
      const h = yield* harness({ dlqRefuses: (message) => message.reason === "invalid-json" })
      const records = batch(10)
      records[2] = scripted("not json", 3)
      records[6] = scripted("not json", 7)
      const result = yield* h.run(records)
      assert.deepStrictEqual(result.batchItemFailures, [{ itemIdentifier: "3" }])
      assert.deepStrictEqual(yield* h.seqs, ["1", "2"], "records 4 to 6 wait behind poison record 3")
      assert.strictEqual((yield* h.store.checkpoints).get(shardKey(shard0)), "2")
    })
  )

  it.effect("a record path that throws on one record parks that record (record-path-defect) and publishes the rest", () =>
    Effect.gen(function* () {
      const h = yield* harness()
      const records = batch(5)
      records[2] = scripted(throwingData, 3)
      const result = yield* h.run(records)
      assert.deepStrictEqual(result.batchItemFailures, [])
      assert.deepStrictEqual(yield* h.seqs, ["1", "2", "4", "5"])
      assert.deepStrictEqual(
        // poison: a bug in the record path, which the DLQ worker alerts on
        (yield* h.dlq.messages).map((m) => [m.reason, m.category, m.coordinates.sequenceNumber]),
        [["record-path-defect", "poison", "3"]]
      )
      assert.strictEqual((yield* h.store.checkpoints).get(shardKey(shard0)), "5")
    })
  )

  it.effect("compares 56-digit sequence numbers exactly: the record right after the checkpoint is published", () =>
    Effect.gen(function* () {
      const checkpoint = "49590338271490256608559692538361571095921575989136588898"
      const next = String(BigInt(checkpoint) + 1n)
      const h = yield* harness({ checkpoints: new Map([[shardKey(shard0), checkpoint]]) })
      const result = yield* h.run([checkpoint, next].map((n) => scripted({ table: "users", id: "1" }, n)))
      assert.strictEqual(result.summary.duplicates, 1)
      assert.deepStrictEqual(yield* h.seqs, [next])
      assert.strictEqual((yield* h.store.checkpoints).get(shardKey(shard0)), next)
    })
  )

  it.effect("a throttled checkpoint read is retried, so records at or below the checkpoint are still skipped", () =>
    Effect.gen(function* () {
      const h = yield* harness({ checkpoints: new Map([[shardKey(shard0), "5"]]), checkpointReadFailures: 2 })
      const result = yield* h.run(batch(10))
      assert.deepStrictEqual(result.batchItemFailures, [])
      assert.strictEqual(result.summary.duplicates, 5)
      assert.deepStrictEqual(yield* h.seqs, range(6, 10))
    })
  )

  it.effect("when the checkpoint cannot be read at all, nothing is published: the shard is left whole for a paced retry", () =>
    Effect.gen(function* () {
      // Published without its checkpoint, the batch could put older changes after newer ones an
      // earlier (killed) invocation had published and checkpointed, which the next one would skip.
      const h = yield* harness({ checkpoints: new Map([[shardKey(shard0), "5"]]), checkpointReadFailures: Infinity })
      const started = yield* Clock.currentTimeMillis
      const result = yield* h.run(batch(10))
      assert.deepStrictEqual(result.batchItemFailures, [{ itemIdentifier: "1" }])
      assert.deepStrictEqual(yield* h.seqs, [])
      assert.strictEqual(result.summary.leftForRetry, 10)
      assert.strictEqual((yield* h.store.checkpoints).get(shardKey(shard0)), "5")
      // paced, so Lambda's retries outlast a short outage of the checkpoint store
      assert.isAtLeast((yield* Clock.currentTimeMillis) - started, maxRetryPaceMillis)
    })
  )

  it.effect("a batch left for retry by an unreadable checkpoint is published by the next invocation, duplicates skipped", () =>
    Effect.gen(function* () {
      // the first invocation's read fails for good (6 attempts); the next one reads the checkpoint
      const h = yield* harness({ checkpoints: new Map([[shardKey(shard0), "5"]]), checkpointReadFailures: 6 })
      const records = batch(10)
      assert.deepStrictEqual((yield* h.run(records)).batchItemFailures, [{ itemIdentifier: "1" }])
      const second = yield* h.run(records)
      assert.deepStrictEqual(second.batchItemFailures, [])
      assert.strictEqual(second.summary.duplicates, 5)
      assert.deepStrictEqual(yield* h.seqs, range(6, 10))
      assert.strictEqual((yield* h.store.checkpoints).get(shardKey(shard0)), "10")
    })
  )

  it.effect("a throttled checkpoint write is retried: the checkpoint still reaches the last record", () =>
    Effect.gen(function* () {
      const h = yield* harness({ checkpointWriteFailures: 2 })
      const result = yield* h.run(batch(10))
      assert.deepStrictEqual(result.batchItemFailures, [])
      assert.strictEqual(result.shards[0]?.checkpoint, "advanced")
      assert.strictEqual((yield* h.store.checkpoints).get(shardKey(shard0)), "10")
    })
  )

  it.effect("when the checkpoint cannot be written, the published batch still succeeds and the checkpoint stays where it was", () =>
    Effect.gen(function* () {
      const h = yield* harness({ checkpoints: new Map([[shardKey(shard0), "2"]]), checkpointWriteFailures: Infinity })
      const result = yield* h.run(batch(10))
      assert.deepStrictEqual(result.batchItemFailures, [])
      assert.deepStrictEqual(yield* h.seqs, range(3, 10))
      assert.strictEqual(result.shards[0]?.checkpoint, "failed")
      assert.strictEqual((yield* h.store.checkpoints).get(shardKey(shard0)), "2")
    })
  )

  it.effect("a redelivered batch that stops again leaves only its fresh records for retry, not the skipped duplicates", () =>
    Effect.gen(function* () {
      const h = yield* harness({ plan: (_entries, call) => (call >= 2 ? { _tag: "FailCall", error: new Throttled() } : undefined) })
      const records = batch(40)
      const first = yield* h.run(records)
      assert.strictEqual(first.summary.leftForRetry, 20)
      const second = yield* h.run(records)
      assert.deepStrictEqual(second.batchItemFailures, [{ itemIdentifier: "21" }])
      assert.strictEqual(second.summary.duplicates, 20)
      assert.strictEqual(second.summary.leftForRetry, 20)
      assert.strictEqual(second.shards[0]?.leftForRetry, 20)
    })
  )

  it.effect("schema drift seen on two shards of one batch sends one notice per table and column set, at its first sighting", () =>
    Effect.gen(function* () {
      const h = yield* harness()
      const result = yield* h.run([
        scripted({ table: "users", id: "1", withheld: ["nickname", "avatar"] }, 100, "shardId-a"),
        scripted({ table: "users", id: "2", withheld: ["avatar", "nickname"] }, 200, "shardId-b"),
        scripted({ table: "orders", id: "3", withheld: ["nickname"] }, 201, "shardId-b")
      ])
      const notices = (yield* h.dlq.messages).filter((m) => m.kind === "cdc.schema-drift")
      assert.deepStrictEqual(
        notices.map((n) => [n.coordinates.table, n.columns, n.coordinates.shardId, n.coordinates.sequenceNumber]),
        [
          ["users", ["avatar", "nickname"], "shardId-a", "100"],
          ["orders", ["nickname"], "shardId-b", "201"]
        ]
      )
      assert.strictEqual(result.summary.schemaDriftNotices, 2)
    })
  )

  it.effect("a dead letter carries the record's Kinesis arrival time in epoch millis, which dates its archive key", () =>
    Effect.gen(function* () {
      const h = yield* harness()
      const records = batch(2)
      records[1] = scripted("not json", 2) // approximateArrivalTimestamp 1_705_314_600 (seconds): 2024-01-15
      yield* h.run(records)
      const [message] = yield* h.dlq.messages
      assert.strictEqual(message?.coordinates.arrivalTime, 1_705_314_600_000)
    })
  )

  it.effect("a schema-drift notice names the first record of the shard that showed the drift, not a later one", () =>
    Effect.gen(function* () {
      const h = yield* harness()
      yield* h.run(batch(3, 3, () => ({ withheld: ["nickname"] })))
      const notices = (yield* h.dlq.messages).filter((m) => m.kind === "cdc.schema-drift")
      assert.deepStrictEqual(
        notices.map((n) => n.coordinates.sequenceNumber),
        ["1"]
      )
    })
  )

  it.effect("an entry throttled, then refused for good, is dead-lettered with every attempt it took", () =>
    Effect.gen(function* () {
      const h = yield* harness({
        plan: (_entries, call) =>
          call === 0
            ? { _tag: "FailEntries", failures: new Map([[1, { code: "ThrottlingException", retryable: true, category: "throttling" }]]) }
            : call === 1
              ? { _tag: "FailEntries", failures: new Map([[0, { code: "MalformedDetail", retryable: false, category: "permanent" }]]) }
              : undefined
      })
      const result = yield* h.run(batch(3))
      assert.deepStrictEqual(result.batchItemFailures, [])
      const [message] = yield* h.dlq.messages
      assert.deepStrictEqual([message?.reason, message?.coordinates.sequenceNumber, message?.attempts], ["publish-rejected", "2", 2])
    })
  )

  it.effect("after a DLQ batch left a poison record unstored, no later DLQ batch of the window is sent", () =>
    Effect.gen(function* () {
      // records 1 to 12 are poison: the first SendMessageBatch holds 1 to 10, and the DLQ refuses 1
      const h = yield* harness({ dlqRefuses: (message) => message.coordinates.sequenceNumber === "1" })
      const result = yield* h.run(Array.from({ length: 12 }, (_, i) => scripted("not json", i + 1)))
      assert.deepStrictEqual(result.batchItemFailures, [{ itemIdentifier: "1" }])
      assert.deepStrictEqual(
        (yield* h.dlq.messages).map((m) => m.coordinates.sequenceNumber),
        range(2, 10),
        "records 11 and 12 come again with Lambda's retry: not sent now, not counted twice"
      )
      assert.strictEqual(yield* h.metric(Metric.withAttributes(Metrics.deadLettered, { reason: "invalid-json" })), 9)
    })
  )

  it.effect("reports the iterator age in milliseconds: the batch's start less its newest record's arrival", () =>
    Effect.gen(function* () {
      const h = yield* harness()
      yield* TestClock.setTime(1_705_314_600_000 + 7_500) // the records arrived at 1_705_314_600 (seconds)
      yield* h.run(batch(2))
      assert.strictEqual(yield* h.gauge(Metrics.iteratorAge), 7_500)
    })
  )
})
