import { assert, describe, it } from "@effect/vitest"
import * as Clock from "effect/Clock"
import * as Effect from "effect/Effect"
import { maxRetryPaceMillis, wrapUpMillis } from "../src/BatchProcessor"
import { limitsOf } from "../src/BatchTime"
import { shardKey } from "../src/CheckpointStore"
import { batch, harness, range, shard0, Throttled } from "./support/BatchHarness"
import { scripted } from "./support/TestRecordPath"

// A batch of 500 records takes 50 PutEvents requests; at 3 s each (an EventBridge answering
// slowly) that is 150 s, the processor's whole timeout. Lambda would end such an invocation and
// retry the whole batch with its checkpoint unwritten; given its end, the batch returns first.
const slowCallMillis = 3_000

describe("a batch given its end (Lambda's remaining time)", () => {
  it("keeps its limits in order: windows, then checkpoint writes and notices, then the retry pace", () => {
    assert.deepStrictEqual(limitsOf(150_000), { shards: 150_000 - wrapUpMillis, wrapUp: 150_000 - maxRetryPaceMillis, end: 150_000 })
    assert.isAbove(wrapUpMillis, maxRetryPaceMillis)
  })

  it.effect("returns by its end when PutEvents is slow: the published prefix is checkpointed, the rest left for retry", () =>
    Effect.gen(function* () {
      const h = yield* harness({ putEventsMillis: slowCallMillis })
      const started = yield* Clock.currentTimeMillis
      const endsAt = started + 60_000
      const result = yield* h.run(batch(500), { endsAt })
      assert.isAtMost((yield* Clock.currentTimeMillis) - started, 60_000, "it returned by its end")

      // requests of 10 records, one every 3 s, until the windows' limit (20 s before the end)
      const published = yield* h.seqs
      const calls = Math.floor((60_000 - wrapUpMillis) / slowCallMillis)
      assert.deepStrictEqual(published, range(1, calls * 10))
      assert.deepStrictEqual(result.batchItemFailures, [{ itemIdentifier: String(calls * 10 + 1) }])
      assert.strictEqual((yield* h.store.checkpoints).get(shardKey(shard0)), String(calls * 10))
      assert.strictEqual(result.summary.leftForRetry, 500 - calls * 10)

      // Lambda's retry from the reported record goes on where this one stopped: nothing lost, nothing twice
      yield* h.run(batch(500))
      assert.deepStrictEqual(yield* h.seqs, range(1, 500))
    })
  )

  it.effect("without an end, the same slow batch runs to its last record", () =>
    Effect.gen(function* () {
      const h = yield* harness({ putEventsMillis: slowCallMillis })
      const started = yield* Clock.currentTimeMillis
      const result = yield* h.run(batch(500))
      assert.deepStrictEqual(result.batchItemFailures, [])
      assert.deepStrictEqual(yield* h.seqs, range(1, 500))
      assert.strictEqual((yield* Clock.currentTimeMillis) - started, 50 * slowCallMillis)
    })
  )

  it.effect("a DLQ send still running at the windows' limit is interrupted, and nothing after it starts", () =>
    Effect.gen(function* () {
      // record 25 is poison; its dead letter takes 30 s to send, the windows' limit comes at 20 s
      const h = yield* harness({ dlqSendMillis: 30_000 })
      const records = batch(40)
      records[24] = scripted("not json", 25)
      const started = yield* Clock.currentTimeMillis
      const result = yield* h.run(records, { endsAt: started + wrapUpMillis + 20_000 })
      assert.strictEqual((yield* Clock.currentTimeMillis) - started, 20_000, "it stopped at the windows' limit")
      assert.deepStrictEqual(yield* h.dlq.messages, [], "the interrupted send stored nothing")
      // dead letters go first, so no request was started: Lambda resumes at the first record
      assert.deepStrictEqual(yield* h.seqs, [])
      assert.deepStrictEqual(result.batchItemFailures, [{ itemIdentifier: "1" }])
      assert.isUndefined((yield* h.store.checkpoints).get(shardKey(shard0)))
    })
  )

  it.effect("a checkpoint write that cannot end in time is given up, and the batch still returns by its end", () =>
    Effect.gen(function* () {
      const h = yield* harness({ checkpointWriteMillis: 60_000 })
      const started = yield* Clock.currentTimeMillis
      const result = yield* h.run(batch(20), { endsAt: started + 30_000 })
      assert.isAtMost((yield* Clock.currentTimeMillis) - started, 30_000)
      assert.deepStrictEqual(yield* h.seqs, range(1, 20), "everything was published")
      assert.deepStrictEqual(result.batchItemFailures, [])
      assert.strictEqual(result.shards[0]?.checkpoint, "failed")
      assert.isUndefined((yield* h.store.checkpoints).get(shardKey(shard0)))
    })
  )

  // the notices share the checkpoint writes' limit: a drift notice is lost then (its record is
  // published and the next batch of the table sees the column again), never the batch's end
  it.effect("a drift notice left no time by the checkpoint writes is not sent, and the batch still returns by its end", () =>
    Effect.gen(function* () {
      const h = yield* harness({ checkpointWriteMillis: 60_000 })
      const started = yield* Clock.currentTimeMillis
      const result = yield* h.run(
        batch(20, 20, (i) => (i === 3 ? { withheld: ["nickname"] } : {})),
        { endsAt: started + 30_000 }
      )
      assert.isAtMost((yield* Clock.currentTimeMillis) - started, 30_000)
      assert.deepStrictEqual(yield* h.seqs, range(1, 20), "the record with the undeclared column was published too")
      assert.deepStrictEqual(result.batchItemFailures, [])
      assert.strictEqual(result.summary.schemaDriftNotices, 0)
      assert.deepStrictEqual(yield* h.dlq.messages, [])
      // with the time to send it, the same batch sends its notice
      const calm = yield* harness()
      assert.strictEqual((yield* calm.run(batch(20, 20, (i) => (i === 3 ? { withheld: ["nickname"] } : {})))).summary.schemaDriftNotices, 1)
    })
  )

  it.effect("a batch given less time than the retry pace still returns by its end, publishing nothing", () =>
    Effect.gen(function* () {
      const h = yield* harness({
        plan: () => ({ _tag: "FailCall", error: new Throttled() }),
        breaker: { failureThreshold: 2, resetTimeoutMillis: 3 * 3_600_000, halfOpenSuccesses: 1 }
      })
      yield* h.run(batch(10)) // opens the circuit
      const before = yield* Clock.currentTimeMillis
      // 4 s left: less than the pace (10 s), and too little for the windows to start anything
      const result = yield* h.run(batch(10), { endsAt: before + 4_000 })
      assert.deepStrictEqual(result.batchItemFailures, [{ itemIdentifier: "1" }])
      assert.deepStrictEqual(yield* h.seqs, [])
      assert.strictEqual((yield* Clock.currentTimeMillis) - before, 4_000, "waited up to its end, not the full pace past it")
    })
  )
})
