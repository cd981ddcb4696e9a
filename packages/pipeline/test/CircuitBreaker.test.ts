import { assert, describe, it } from "@effect/vitest"
import * as Deferred from "effect/Deferred"
import * as Effect from "effect/Effect"
import * as Fiber from "effect/Fiber"
import { TestClock } from "effect/testing"
import { CircuitOpenError, make } from "../src/CircuitBreaker"

const options = { failureThreshold: 3, resetTimeoutMillis: 5_000, halfOpenSuccesses: 2 }

describe("CircuitBreaker", () => {
  it.effect("closed → open after the threshold → half-open after the timeout → closed after the trial successes", () =>
    Effect.gen(function* () {
      const breaker = yield* make("eventbridge", options)
      let calls = 0
      const failing = Effect.suspend(() => {
        calls++
        return Effect.fail("down" as const)
      })
      const ok = Effect.sync(() => {
        calls++
        return "up"
      })
      assert.strictEqual(yield* breaker.state, "closed")
      for (let i = 0; i < 3; i++) yield* Effect.exit(breaker.protect(failing))
      assert.strictEqual(yield* breaker.state, "open")

      const refused = yield* Effect.flip(breaker.protect(ok))
      assert.instanceOf(refused, CircuitOpenError)
      assert.strictEqual(calls, 3, "an open circuit does not call through")
      assert.include((refused as CircuitOpenError).message, "5000 ms")
      assert.isFalse((refused as CircuitOpenError).retryable)

      yield* TestClock.adjust("4999 millis")
      assert.strictEqual(yield* breaker.state, "open")
      yield* TestClock.adjust("1 millis")
      assert.strictEqual(yield* breaker.state, "half-open")

      assert.strictEqual(yield* breaker.protect(ok), "up")
      assert.strictEqual(yield* breaker.state, "half-open", "needs two trial successes")
      yield* breaker.protect(ok)
      assert.strictEqual(yield* breaker.state, "closed")
      assert.strictEqual(calls, 5)
    })
  )

  it.effect("a failure while half-open opens the circuit again for a full timeout", () =>
    Effect.gen(function* () {
      const breaker = yield* make("eventbridge", options)
      for (let i = 0; i < 3; i++) yield* Effect.exit(breaker.protect(Effect.fail("down")))
      yield* TestClock.adjust("5 seconds")
      yield* Effect.exit(breaker.protect(Effect.fail("still down")))
      assert.strictEqual(yield* breaker.state, "open")
      yield* TestClock.adjust("4 seconds")
      assert.strictEqual(yield* breaker.state, "open")
      yield* TestClock.adjust("1 second")
      assert.strictEqual(yield* breaker.state, "half-open")
    })
  )

  it.effect("a failed trial opens the circuit again for a full timeout from the trial, however long ago it first opened", () =>
    Effect.gen(function* () {
      const breaker = yield* make("eventbridge", options)
      yield* TestClock.adjust("1 minute") // as in production, the circuit opens at a time that is not 0
      for (let i = 0; i < 3; i++) yield* Effect.exit(breaker.protect(Effect.fail("down")))
      yield* TestClock.adjust("1 minute")
      assert.strictEqual(yield* breaker.state, "half-open")
      yield* Effect.exit(breaker.protect(Effect.fail("still down")))
      assert.strictEqual(yield* breaker.state, "open")
      assert.strictEqual(yield* breaker.untilTrial, 5_000)
      const refused = yield* Effect.flip(breaker.protect(Effect.void))
      assert.instanceOf(refused, CircuitOpenError)
    })
  )

  it.effect("a success resets the consecutive failure count while closed", () =>
    Effect.gen(function* () {
      const breaker = yield* make("eventbridge", options)
      for (let i = 0; i < 2; i++) yield* Effect.exit(breaker.protect(Effect.fail("down")))
      yield* breaker.protect(Effect.void)
      for (let i = 0; i < 2; i++) yield* Effect.exit(breaker.protect(Effect.fail("down")))
      assert.strictEqual(yield* breaker.state, "closed")
    })
  )

  // shards publish concurrently: calls let through before the circuit opened finish after it
  it.effect("a call started before the circuit opened neither pushes the trial back nor takes the trial's place", () =>
    Effect.gen(function* () {
      const breaker = yield* make("eventbridge", options)
      const lateFailure = yield* Deferred.make<void>()
      const lateSuccess = yield* Deferred.make<void>()
      const failingLate = yield* Effect.forkChild(breaker.protect(Effect.andThen(Deferred.await(lateFailure), Effect.fail("down"))))
      const succeedingLate = yield* Effect.forkChild(breaker.protect(Deferred.await(lateSuccess)))
      yield* Effect.yieldNow
      for (let i = 0; i < 3; i++) yield* Effect.exit(breaker.protect(Effect.fail("down")))
      assert.strictEqual(yield* breaker.state, "open")

      yield* TestClock.adjust("4 seconds")
      yield* Deferred.succeed(lateFailure, undefined)
      yield* Fiber.await(failingLate)
      yield* TestClock.adjust("1 second")
      assert.strictEqual(yield* breaker.state, "half-open", "the trial is due 5 s after the circuit opened")

      // half-open with two trial successes needed: a late success is not a trial
      yield* Deferred.succeed(lateSuccess, undefined)
      yield* Fiber.await(succeedingLate)
      yield* breaker.protect(Effect.void)
      assert.strictEqual(yield* breaker.state, "half-open", "one trial success of the two needed")
      yield* breaker.protect(Effect.void)
      assert.strictEqual(yield* breaker.state, "closed")
    })
  )

  it.effect("a late failure arriving while half-open does not open the circuit again", () =>
    Effect.gen(function* () {
      const breaker = yield* make("eventbridge", options)
      const late = yield* Deferred.make<void>()
      const failingLate = yield* Effect.forkChild(breaker.protect(Effect.andThen(Deferred.await(late), Effect.fail("down"))))
      yield* Effect.yieldNow
      for (let i = 0; i < 3; i++) yield* Effect.exit(breaker.protect(Effect.fail("down")))
      yield* TestClock.adjust("5 seconds")
      assert.strictEqual(yield* breaker.state, "half-open")
      yield* Deferred.succeed(late, undefined)
      yield* Fiber.await(failingLate)
      assert.strictEqual(yield* breaker.state, "half-open")
    })
  )

  // the batch's deadline interrupts a PutEvents call in flight: that says nothing of the bus
  it.effect("a trial call interrupted while half-open counts for nothing: the next call is the trial", () =>
    Effect.gen(function* () {
      const breaker = yield* make("eventbridge", { ...options, halfOpenSuccesses: 1 })
      for (let i = 0; i < 3; i++) yield* Effect.exit(breaker.protect(Effect.fail("down")))
      yield* TestClock.adjust("5 seconds")
      const trial = yield* Effect.forkChild(breaker.protect(Effect.never))
      yield* Effect.yieldNow
      yield* Fiber.interrupt(trial)
      assert.strictEqual(yield* breaker.state, "half-open")
      yield* breaker.protect(Effect.void)
      assert.strictEqual(yield* breaker.state, "closed")
    })
  )
})
