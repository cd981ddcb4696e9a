/**
 * What both Lambdas are wrapped in: configuration read from the environment when the runtime is
 * built (cold start), not when the module is loaded, and logs as JSON lines.
 */

import { RetryPolicies } from "@cdc/pipeline/RetryPolicy"
import { it } from "@effect/vitest"
import * as Effect from "effect/Effect"
import * as Layer from "effect/Layer"
import { TestClock, TestConsole } from "effect/testing"
import { afterEach, describe, expect, it as test, vi } from "vitest"
import { invocationEnd, lambdaEnvironment, lambdaError, returnMarginMillis } from "../src/LambdaEnvironment"

// Made at import, as the handlers' live layers are.
const environment = lambdaEnvironment(Layer.empty)

const publishRetriesAtColdStart = Effect.map(Effect.service(RetryPolicies), (policies) => policies["eventbridge-publish"].maxRetries).pipe(
  Effect.provide(environment)
)

afterEach(() => {
  vi.unstubAllEnvs()
})

describe("lambdaEnvironment", () => {
  it.effect("reads CDC_RETRY_* as set when each runtime is built, not as it was at import", () =>
    Effect.gen(function* () {
      vi.stubEnv("CDC_RETRY_EVENTBRIDGE_PUBLISH_MAX_RETRIES", "7")
      expect(yield* publishRetriesAtColdStart).toBe(7)
      vi.stubEnv("CDC_RETRY_EVENTBRIDGE_PUBLISH_MAX_RETRIES", "1")
      expect(yield* publishRetriesAtColdStart).toBe(1)
    })
  )

  it.effect("prints every log call as exactly one JSON line", () =>
    Effect.gen(function* () {
      yield* Effect.logWarning("checkpoint read failed").pipe(Effect.annotateLogs({ code: "throttled" }), Effect.provide(environment))
      const printed = [...(yield* TestConsole.logLines), ...(yield* TestConsole.errorLines)]
      expect(printed).toHaveLength(1)
      expect(JSON.parse(String(printed[0]))).toMatchObject({
        message: "checkpoint read failed",
        level: "WARN",
        annotations: { code: "throttled" }
      })
    })
  )
})

describe("invocationEnd", () => {
  it.effect("is the Clock's now plus the context's remaining time, less the margin kept to return", () =>
    Effect.gen(function* () {
      yield* TestClock.setTime(1_700_000_000_000)
      // read when the program asks, not before: the cold start's build has used some of it
      let remaining = 60_000
      const context = { getRemainingTimeInMillis: () => remaining }
      remaining = 42_000
      expect(yield* invocationEnd(context)).toBe(1_700_000_000_000 + 42_000 - returnMarginMillis)
      expect(returnMarginMillis).toBe(1_000)
      // no Lambda context (tests, the local tools): no end
      expect(yield* invocationEnd(undefined)).toBeUndefined()
      expect(yield* invocationEnd({})).toBeUndefined()
    })
  )
})

describe("lambdaError", () => {
  test("passes an Error through, and names a tagged failure by its tag only, never its fields", () => {
    const error = new TypeError("boom")
    expect(lambdaError(error)).toBe(error)
    const tagged = lambdaError({ _tag: "UnknownTableError", table: "users", value: "123-45-6789" })
    expect(tagged).toBeInstanceOf(Error)
    expect(tagged).toMatchObject({ name: "UnknownTableError", message: "runtime not built: UnknownTableError" })
    expect(lambdaError("text")).toMatchObject({ name: "Error", message: "text" })
  })
})
