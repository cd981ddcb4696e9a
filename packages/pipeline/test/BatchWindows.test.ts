/**
 * The batch program works a shard in windows of `recordWindow` records (memory bounded by the
 * window, not the batch). These tests cross window boundaries: the shard still stops at its
 * earliest unhandled record, poison never blocks, per-key order holds, one checkpoint write.
 */
import { assert, describe, it } from "@effect/vitest"
import * as Effect from "effect/Effect"
import { shardKey } from "../src/CheckpointStore"
import type { EventEntry } from "../src/EventBus"
import * as Metrics from "../src/Metrics"
import { recordWindow } from "../src/ShardWindow"
import { batch, harness, range, shard0, Throttled } from "./support/BatchHarness"
import { scripted } from "./support/TestRecordPath"

const seqOf = (entry: EventEntry) => Number((JSON.parse(entry.Detail) as { seq: string }).seq)
const total = 2 * recordWindow + recordWindow / 2

describe("processBatch in windows", () => {
  it.effect("a failure in a later window stops the shard there; earlier windows are published and checkpointed once", () =>
    Effect.gen(function* () {
      const failFrom = recordWindow + recordWindow / 2 + 1
      const sent: Array<number> = []
      const h = yield* harness({
        plan: (entries) => {
          sent.push(...entries.map(seqOf))
          return entries.some((e) => seqOf(e) >= failFrom) ? { _tag: "FailCall", error: new Throttled() } : undefined
        }
      })
      const result = yield* h.run(batch(total, total, (i) => (i === 2 * recordWindow + 10 ? { withheld: ["nickname"] } : {})))
      assert.deepStrictEqual(result.batchItemFailures, [{ itemIdentifier: String(failFrom) }])
      assert.deepStrictEqual(yield* h.seqs, range(1, failFrom - 1))
      assert.isBelow(Math.max(...sent), 2 * recordWindow + 1, "the third window is never sent")
      assert.strictEqual((yield* h.store.checkpoints).get(shardKey(shard0)), String(failFrom - 1))
      assert.strictEqual(yield* h.store.writes, 1)
      assert.strictEqual(result.summary.leftForRetry, total - failFrom + 1)
      assert.strictEqual(yield* h.metric(Metrics.published), failFrom - 1)
      assert.deepStrictEqual(yield* h.dlq.messages, [], "the third window is not even read: its drift is seen on Lambda's retry")
    })
  )

  it.effect("a poison record in the second window goes to the DLQ and does not block the rest of the batch", () =>
    Effect.gen(function* () {
      const poison = recordWindow + 7
      const h = yield* harness()
      const records = batch(total)
      records[poison - 1] = scripted('{"ssn":"123-45-6789"', poison)
      const result = yield* h.run(records)
      assert.deepStrictEqual(result.batchItemFailures, [])
      assert.deepStrictEqual(
        yield* h.seqs,
        range(1, total).filter((s) => s !== String(poison))
      )
      const messages = yield* h.dlq.messages
      assert.deepStrictEqual(
        messages.map((m) => [m.reason, m.coordinates.sequenceNumber]),
        [["invalid-json", String(poison)]]
      )
      assert.strictEqual((yield* h.store.checkpoints).get(shardKey(shard0)), String(total))
      assert.strictEqual(yield* h.store.writes, 1)
    })
  )

  it.effect("a poison record the DLQ refuses in the second window: the first window is handled, nothing from it on is published", () =>
    Effect.gen(function* () {
      const poison = recordWindow + 7
      const h = yield* harness({ dlqRefuses: (m) => m.coordinates.sequenceNumber === String(poison) })
      const records = batch(total)
      records[poison - 1] = scripted("not json", poison)
      const result = yield* h.run(records)
      assert.deepStrictEqual(result.batchItemFailures, [{ itemIdentifier: String(poison) }])
      assert.deepStrictEqual(yield* h.seqs, range(1, poison - 1))
      assert.strictEqual((yield* h.store.checkpoints).get(shardKey(shard0)), String(poison - 1))
    })
  )

  it.effect("per-key order holds across window boundaries, with refused entries retried at the boundary", () =>
    Effect.gen(function* () {
      let refused = false
      const h = yield* harness({
        // The request that ends the first window has its last record refused (retryable) once.
        plan: (entries) => {
          const at = entries.findIndex((e) => seqOf(e) === recordWindow)
          if (refused || at === -1) return undefined
          refused = true
          return {
            _tag: "FailEntries",
            failures: new Map([[at, { code: "ThrottlingException", retryable: true, category: "throttling" }]])
          }
        }
      })
      const result = yield* h.run(batch(total, 3))
      assert.deepStrictEqual(result.batchItemFailures, [])
      const entries = yield* h.bus.published
      const byKey = new Map<string, Array<number>>()
      for (const e of entries) {
        const d = JSON.parse(e.Detail) as { entityId: string; seq: string }
        byKey.set(d.entityId, [...(byKey.get(d.entityId) ?? []), Number(d.seq)])
      }
      assert.strictEqual(byKey.size, 3)
      for (const seqs of byKey.values())
        assert.deepStrictEqual(
          seqs,
          [...seqs].sort((a, b) => a - b)
        )
      assert.strictEqual(entries.length, total)
      const positions = entries.map(seqOf)
      assert.isBelow(positions.indexOf(recordWindow), positions.indexOf(recordWindow + 1), "window 1 is done before window 2 starts")
    })
  )

  it.effect("1,000 records take 100 PutEvents requests however the windows fall", () =>
    Effect.gen(function* () {
      const h = yield* harness()
      yield* h.run(batch(1_000, 997))
      assert.isAtMost(yield* h.bus.calls, 101)
    })
  )

  it.effect("a failure at the very first record of a later window still checkpoints the windows before it", () =>
    Effect.gen(function* () {
      const h = yield* harness({
        plan: (entries) => (entries.some((e) => seqOf(e) > recordWindow) ? { _tag: "FailCall", error: new Throttled() } : undefined)
      })
      const result = yield* h.run(batch(total))
      assert.deepStrictEqual(result.batchItemFailures, [{ itemIdentifier: String(recordWindow + 1) }])
      assert.deepStrictEqual(yield* h.seqs, range(1, recordWindow))
      assert.strictEqual(result.shards[0]?.checkpoint, "advanced")
      assert.strictEqual((yield* h.store.checkpoints).get(shardKey(shard0)), String(recordWindow))
      assert.strictEqual(yield* h.store.writes, 1)
    })
  )
})
