import { it } from "@effect/vitest"
import * as Effect from "effect/Effect"
import * as Fiber from "effect/Fiber"
import { describe, expect } from "vitest"
import { call, pollerCall, pollerRetries } from "../../src/local/LocalAws"
import { advance } from "./fakeRunning"

/** A send that fails with these AWS errors (name and status), one an attempt, then succeeds. */
const scripted = (errors: ReadonlyArray<readonly [name: string, status: number]>) => {
  let attempts = 0
  const send = async () => {
    const error = errors[attempts]
    attempts += 1
    if (error) throw Object.assign(new Error("no"), { name: error[0], $metadata: { httpStatusCode: error[1] } })
    return "done"
  }
  return { send, attempts: () => attempts }
}

/** A send that fails `failures` times with an AWS error of this name and status, then succeeds. */
const flaky = (failures: number, name: string, status: number) => scripted(Array.from({ length: failures }, () => [name, status] as const))

const throttled = ["ProvisionedThroughputExceededException", 400] as const
const unavailable = ["ServiceUnavailable", 503] as const

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

  it.effect("does not retry a permanent error, nor does a poller's call", () =>
    Effect.gen(function* () {
      for (const send of [call, pollerCall]) {
        const denied = flaky(100, "AccessDeniedException", 400)
        const fiber = yield* Effect.forkChild(Effect.flip(send("SQS", "SendMessage", denied.send)))
        yield* advance(60_000, 1_000)
        expect((yield* Fiber.join(fiber)).code).toBe("AccessDeniedException")
        expect(denied.attempts()).toBe(1)
      }
    })
  )
})

describe("pollerCall", () => {
  it.effect("waits out throttling without spending the retries of a 5xx that follows it", () =>
    Effect.gen(function* () {
      // The event source stopped on a 5xx after six throttles: they had spent the call's retries.
      const recovers = scripted([...Array.from({ length: 20 }, () => throttled), unavailable, unavailable, throttled, unavailable])
      const fiber = yield* Effect.forkChild(pollerCall("Kinesis", "GetRecords", recovers.send))
      yield* advance(120_000, 1_000)
      expect(yield* Fiber.join(fiber)).toBe("done")
      expect(recovers.attempts()).toBe(25)
    })
  )

  it.effect("fails once a 5xx outlasts its retries: a dead emulator ends the run loudly", () =>
    Effect.gen(function* () {
      const dead = flaky(100, "ECONNREFUSED", 0)
      const fiber = yield* Effect.forkChild(Effect.flip(pollerCall("SQS", "ReceiveMessage", dead.send)))
      yield* advance(60_000, 1_000)
      expect((yield* Fiber.join(fiber)).code).toBe("ECONNREFUSED")
      expect(dead.attempts()).toBe(pollerRetries + 1)
    })
  )
})
