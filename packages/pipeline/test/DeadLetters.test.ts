import { DecodeError } from "@cdc/domain/Errors"
import { assert, describe, it } from "@effect/vitest"
import * as Effect from "effect/Effect"
import * as Fiber from "effect/Fiber"
import * as Schema from "effect/Schema"
import { TestClock } from "effect/testing"
import { DeadLetterMessage } from "../src/DeadLetter"
import { DeadLetterQueue, maxBatchBytes, messageBytes } from "../src/DeadLetterQueue"
import { deadLetter, publishDeadLetters, schemaDriftNotice } from "../src/DeadLetters"
import type { ItemFailure } from "../src/PartialBatch"
import { RetryPolicies } from "../src/RetryPolicy"

const at = "2024-01-15T10:30:00.000Z"
const coordinates = (n: number) => ({ streamArn: "arn:s", shardId: "shardId-0", sequenceNumber: String(n) })
const poison = (n: number) =>
  deadLetter({ error: new DecodeError({ coordinates: coordinates(n), reason: "invalid-json" }), coordinates: coordinates(n), at })

/** A queue that records each batch and refuses what `refuse` says. */
const recordingQueue = (refuse: (message: DeadLetterMessage, call: number) => ItemFailure | undefined = () => undefined) => {
  const batches: Array<ReadonlyArray<DeadLetterMessage>> = []
  const service = {
    sendBatch: (messages: ReadonlyArray<DeadLetterMessage>) =>
      Effect.sync(() => {
        batches.push(messages)
        return messages.map((m) => refuse(m, batches.length - 1))
      })
  }
  return { batches, provide: Effect.provideService(DeadLetterQueue, service) }
}

describe("DeadLetters", () => {
  it("builds messages the DLQ worker can decode, with deterministic ids per record and reason", () => {
    const message = Schema.decodeUnknownSync(DeadLetterMessage)(JSON.parse(JSON.stringify(poison(7))))
    assert.strictEqual(message.reason, "invalid-json")
    assert.strictEqual(message.errorTag, "DecodeError")
    assert.strictEqual(poison(7).id, message.id)
    assert.notStrictEqual(poison(8).id, message.id)
    // the id is the archive key, written once: one record refused for two reasons is two failures
    const asJson = deadLetter({
      error: new DecodeError({ coordinates: coordinates(7), reason: "not-an-object" }),
      coordinates: coordinates(7),
      at
    })
    assert.notStrictEqual(asJson.id, message.id)
    const drift = schemaDriftNotice({ table: "users", columns: ["b", "a"], reason: "undeclared-columns", coordinates: coordinates(1), at })
    assert.deepStrictEqual([drift.kind, drift.category, drift.columns], ["cdc.schema-drift", "schema-drift", ["a", "b"]])
    Schema.decodeUnknownSync(DeadLetterMessage)(drift)
  })

  it.effect("sends at most 10 messages per batch", () =>
    Effect.gen(function* () {
      const queue = recordingQueue()
      const outcomes = yield* publishDeadLetters(Array.from({ length: 23 }, (_, i) => poison(i))).pipe(queue.provide)
      assert.deepStrictEqual(
        queue.batches.map((b) => b.length),
        [10, 10, 3]
      )
      assert.isTrue(outcomes.every((o) => o._tag === "Done"))
    }).pipe(Effect.provide(RetryPolicies.layer()))
  )

  it.effect("drops the event copy of a message too large for SQS, and keeps batches under 256 KiB", () =>
    Effect.gen(function* () {
      const queue = recordingQueue()
      const big = (n: number) =>
        deadLetter({
          error: new DecodeError({ coordinates: coordinates(n), reason: "invalid-json" }),
          coordinates: coordinates(n),
          at,
          eventId: `evt_${n}`,
          event: { Source: "s", DetailType: "t", Detail: "x".repeat(n === 1 ? maxBatchBytes : 100_000), Time: at, EventBusName: "b" }
        })
      yield* publishDeadLetters([big(1), big(2), big(3), big(4)]).pipe(queue.provide)
      const sent = queue.batches.flat()
      assert.isUndefined(sent[0]?.event)
      assert.strictEqual(sent[0]?.eventId, "evt_1")
      assert.isDefined(sent[1]?.event)
      for (const batch of queue.batches)
        assert.isAtMost(
          batch.reduce((total, message) => total + messageBytes(message), 0),
          maxBatchBytes
        )
    }).pipe(Effect.provide(RetryPolicies.layer()))
  )

  /** A publish-rejected style dead letter whose event copy has a detail of `length` characters. */
  const withDetail = (length: number) =>
    deadLetter({
      error: new DecodeError({ coordinates: coordinates(1), reason: "invalid-json" }),
      coordinates: coordinates(1),
      at,
      event: { Source: "s", DetailType: "t", Detail: "x".repeat(length), Time: at, EventBusName: "b" }
    })

  it.effect("counts the message attributes, as SQS does: a body just under the limit loses its event copy", () =>
    Effect.gen(function* () {
      const queue = recordingQueue()
      const bodyOf = (length: number) => Buffer.byteLength(JSON.stringify(withDetail(length)))
      const justUnder = maxBatchBytes - 10 - bodyOf(0) // body 10 bytes under the limit, attributes over it
      assert.isBelow(bodyOf(justUnder), maxBatchBytes)
      assert.isAbove(messageBytes(withDetail(justUnder)), maxBatchBytes)
      yield* publishDeadLetters([withDetail(justUnder)]).pipe(queue.provide)
      assert.isUndefined(queue.batches.flat()[0]?.event)
    }).pipe(Effect.provide(RetryPolicies.layer()))
  )

  it.effect("keeps the event copy of a message of exactly 256 KiB, which SQS takes", () =>
    Effect.gen(function* () {
      const queue = recordingQueue()
      const exactly = maxBatchBytes - messageBytes(withDetail(0))
      assert.strictEqual(messageBytes(withDetail(exactly)), maxBatchBytes)
      yield* publishDeadLetters([withDetail(exactly), withDetail(exactly + 1)]).pipe(queue.provide)
      const [atLimit, overLimit] = queue.batches.flat()
      assert.strictEqual(atLimit?.event?.Detail.length, exactly)
      assert.isUndefined(overLimit?.event)
    }).pipe(Effect.provide(RetryPolicies.layer()))
  )

  it.effect("retries refused messages that are retryable and reports the others as not stored", () =>
    Effect.gen(function* () {
      const queue = recordingQueue((m, call) =>
        m.coordinates.sequenceNumber === "1" && call === 0
          ? { code: "InternalError", retryable: true, category: "transient" }
          : m.coordinates.sequenceNumber === "2"
            ? { code: "InvalidParameterValue", retryable: false, category: "permanent" }
            : undefined
      )
      const fiber = yield* Effect.forkChild(publishDeadLetters([poison(0), poison(1), poison(2)]).pipe(queue.provide))
      yield* TestClock.adjust("1 minute")
      const outcomes = yield* Fiber.join(fiber)
      assert.deepStrictEqual(
        outcomes.map((o) => o._tag),
        ["Done", "Done", "Rejected"]
      )
      assert.deepStrictEqual(
        queue.batches.map((b) => b.map((m) => m.coordinates.sequenceNumber)),
        [["0", "1", "2"], ["1"]]
      )
    }).pipe(Effect.provide(RetryPolicies.layer()))
  )

  it.effect("untilFirstFailure sends no batch after one that left a message unstored (records in order: the shard stops there)", () =>
    Effect.gen(function* () {
      // message 12 (second batch) is refused for good: the third batch is not sent at all
      const queue = recordingQueue((m) =>
        m.coordinates.sequenceNumber === "12" ? { code: "KMS.DisabledException", retryable: false, category: "permanent" } : undefined
      )
      const messages = Array.from({ length: 25 }, (_, i) => poison(i))
      const outcomes = yield* publishDeadLetters(messages, { untilFirstFailure: true }).pipe(queue.provide)
      assert.deepStrictEqual(
        queue.batches.map((b) => b.length),
        [10, 10]
      )
      assert.strictEqual(outcomes.length, 20, "the unsent have no outcome")
      assert.strictEqual(outcomes[12]?._tag, "Rejected")
      // without it (independent notices), every batch is tried
      const every = recordingQueue((m) =>
        m.coordinates.sequenceNumber === "12" ? { code: "KMS.DisabledException", retryable: false, category: "permanent" } : undefined
      )
      assert.strictEqual((yield* publishDeadLetters(messages).pipe(every.provide)).length, 25)
      assert.strictEqual(every.batches.length, 3)
    }).pipe(Effect.provide(RetryPolicies.layer()))
  )
})
