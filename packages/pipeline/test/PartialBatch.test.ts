import { assert, describe, it } from "@effect/vitest"
import * as Effect from "effect/Effect"
import * as Fiber from "effect/Fiber"
import { TestClock } from "effect/testing"
import { sendPartial } from "../src/PartialBatch"
import { defaultRetryPolicies, RetryPolicies } from "../src/RetryPolicy"

const policies = RetryPolicies.layer({
  ...defaultRetryPolicies,
  "eventbridge-publish": { maxRetries: 1, baseDelayMillis: 100, maxDelayMillis: 1_000, jitter: 0 }
})

describe("sendPartial", () => {
  it.effect("retries the items a short answer leaves out, and never counts them as sent", () =>
    Effect.gen(function* () {
      const sent: Array<ReadonlyArray<string>> = []
      // The first response answers for "a" only; the retry answers for everything it is sent.
      const send = (batch: ReadonlyArray<string>) =>
        Effect.sync(() => {
          sent.push(batch)
          return sent.length === 1 ? [undefined] : batch.map(() => undefined)
        })
      const fiber = yield* Effect.forkChild(sendPartial("eventbridge-publish", ["a", "b", "c"], send))
      yield* TestClock.adjust("1 second")
      const outcomes = yield* Fiber.join(fiber)
      assert.deepStrictEqual(sent, [
        ["a", "b", "c"],
        ["b", "c"]
      ])
      assert.deepStrictEqual(
        outcomes.map((outcome) => [outcome._tag, outcome.attempts]),
        [
          ["Done", 1],
          ["Done", 2],
          ["Done", 2]
        ]
      )
    }).pipe(Effect.provide(policies))
  )

  it.effect("leaves items unanswered to the end Unfinished, so the shard stops before them", () =>
    Effect.gen(function* () {
      const fiber = yield* Effect.forkChild(sendPartial("eventbridge-publish", ["a", "b"], () => Effect.succeed([])))
      yield* TestClock.adjust("1 second")
      const outcomes = yield* Fiber.join(fiber)
      assert.deepStrictEqual(
        outcomes.map((outcome) => (outcome._tag === "Unfinished" ? [outcome._tag, outcome.error.code] : [outcome._tag])),
        [
          ["Unfinished", "MissingResult"],
          ["Unfinished", "MissingResult"]
        ]
      )
    }).pipe(Effect.provide(policies))
  )
})
