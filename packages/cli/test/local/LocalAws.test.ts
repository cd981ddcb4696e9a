import { it } from "@effect/vitest"
import { Effect, Fiber } from "effect"
import { describe, expect } from "vitest"
import { call } from "../../src/local/LocalAws"
import { advance } from "./fakeRunning"

/** A send that fails `failures` times with an AWS error of this name and status, then succeeds. */
const flaky = (failures: number, name: string, status: number) => {
  let attempts = 0
  const send = async () => {
    attempts += 1
    if (attempts <= failures) throw Object.assign(new Error("no"), { name, $metadata: { httpStatusCode: status } })
    return "done"
  }
  return { send, attempts: () => attempts }
}

describe("call", () => {
  it.effect("retries a throttled call with backoff, up to 6 times", () =>
    Effect.gen(function* () {
      const recovers = flaky(6, "ThrottlingException", 400)
      const fiber = yield* Effect.forkChild(call("Kinesis", "PutRecords", recovers.send))
      yield* advance(60_000, 1_000)
      expect(yield* Fiber.join(fiber)).toBe("done")
      expect(recovers.attempts()).toBe(7)

      const never = flaky(100, "ThrottlingException", 400)
      const failing = yield* Effect.forkChild(Effect.flip(call("Kinesis", "PutRecords", never.send)))
      yield* advance(60_000, 1_000)
      expect((yield* Fiber.join(failing)).code).toBe("ThrottlingException")
      expect(never.attempts()).toBe(7)
    })
  )

  it.effect("does not retry a permanent error", () =>
    Effect.gen(function* () {
      const denied = flaky(100, "AccessDeniedException", 400)
      const fiber = yield* Effect.forkChild(Effect.flip(call("SQS", "SendMessage", denied.send)))
      yield* advance(60_000, 1_000)
      expect((yield* Fiber.join(fiber)).code).toBe("AccessDeniedException")
      expect(denied.attempts()).toBe(1)
    })
  )
})
