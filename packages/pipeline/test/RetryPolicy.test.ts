import { assert, describe, it } from "@effect/vitest"
import * as Clock from "effect/Clock"
import * as ConfigProvider from "effect/ConfigProvider"
import * as Data from "effect/Data"
import * as Effect from "effect/Effect"
import * as Fiber from "effect/Fiber"
import * as Metric from "effect/Metric"
import * as Random from "effect/Random"
import { TestClock } from "effect/testing"
import { retries } from "../src/Metrics"
import {
  cappedDelayMillis,
  type Dependency,
  defaultRetryPolicies,
  dependencies,
  RetryPolicies,
  retrying,
  retryPolicyConfig
} from "../src/RetryPolicy"

class Flaky extends Data.TaggedError("Flaky")<{ readonly retryable: boolean }> {}

/** Fails `failures` times (with the given retryability), recording the Clock time of every attempt. */
const attemptsOf = (dependency: Dependency, failures: number, retryable = true, registry = new Map()) =>
  Effect.gen(function* () {
    const times: Array<number> = []
    const attempt = Effect.flatMap(Clock.currentTimeMillis, (now) => {
      times.push(now)
      return times.length <= failures ? Effect.fail(new Flaky({ retryable })) : Effect.succeed("ok")
    })
    const fiber = yield* Effect.forkChild(Effect.exit(retrying(dependency, attempt)))
    yield* TestClock.adjust("1 hour")
    const exit = yield* Fiber.join(fiber)
    const delays = times.slice(1).map((t, i) => t - (times[i] as number))
    return { exit, delays, attempts: times.length }
  }).pipe(Effect.provide(RetryPolicies.layer()), Effect.provideService(Metric.MetricRegistry, registry))

const fixedRandom = (r: number): Random.Random => ({ nextDoubleUnsafe: () => r, nextIntUnsafe: () => 0 })

describe("RetryPolicy", () => {
  it("has the reference design's figures as defaults", () => {
    assert.deepStrictEqual(
      dependencies.slice(0, 4).map((d) => Object.values(defaultRetryPolicies[d])),
      [
        [3, 100, 1000, 0.2],
        [5, 50, 500, 0.1],
        [3, 200, 2000, 0.3],
        [5, 100, 1000, 0.2]
      ]
    )
  })

  it("gives dlq-send, which no reference figure covers, the state-update figures (a lost dead letter is a lost checkpoint)", () => {
    assert.deepStrictEqual(Object.values(defaultRetryPolicies["dlq-send"]), [5, 100, 1000, 0.2])
  })

  for (const dependency of dependencies) {
    const policy = defaultRetryPolicies[dependency]
    const capped = Array.from({ length: policy.maxRetries }, (_, i) => cappedDelayMillis(policy, i + 1))

    it.effect(`${dependency}: exponential delays capped at the maximum, no jitter when Random gives 0`, () =>
      Effect.gen(function* () {
        const { delays, exit } = yield* attemptsOf(dependency, policy.maxRetries)
        assert.strictEqual(exit._tag, "Success")
        assert.deepStrictEqual(delays, capped)
      }).pipe(Effect.provideService(Random.Random, fixedRandom(0)))
    )

    it.effect(`${dependency}: jitter adds at most ${policy.jitter * 100} % of the capped delay`, () =>
      Effect.gen(function* () {
        const { delays } = yield* attemptsOf(dependency, policy.maxRetries)
        delays.forEach((delay, i) => {
          const base = capped[i] as number
          assert.isAtLeast(delay, base * (1 + policy.jitter * 0.999) - 1)
          assert.isAtMost(delay, base * (1 + policy.jitter))
        })
      }).pipe(Effect.provideService(Random.Random, fixedRandom(0.999)))
    )

    it.effect(`${dependency}: gives up after ${policy.maxRetries} retries and counts them`, () =>
      Effect.gen(function* () {
        const { exit, attempts } = yield* attemptsOf(dependency, 100)
        assert.strictEqual(exit._tag, "Failure")
        assert.strictEqual(attempts, policy.maxRetries + 1)
      })
    )
  }

  it.effect("seeded jitter stays within [capped, capped · (1 + jitter)]", () =>
    Effect.gen(function* () {
      const policy = defaultRetryPolicies["eventbridge-publish"]
      const { delays } = yield* attemptsOf("eventbridge-publish", 3)
      assert.strictEqual(delays.length, 3)
      delays.forEach((delay, i) => {
        const base = cappedDelayMillis(policy, i + 1)
        assert.isAtLeast(delay, base)
        assert.isAtMost(delay, base * 1.3)
      })
    }).pipe(Random.withSeed("jitter"))
  )

  it.effect("does not retry an error that is not retryable", () =>
    Effect.gen(function* () {
      const { exit, attempts } = yield* attemptsOf("dynamodb-write", 5, false)
      assert.strictEqual(exit._tag, "Failure")
      assert.strictEqual(attempts, 1)
    })
  )

  it.effect("counts retries per dependency", () =>
    Effect.gen(function* () {
      const registry = new Map()
      yield* attemptsOf("dlq-send", 2, true, registry)
      const value = yield* Metric.value(Metric.withAttributes(retries, { dependency: "dlq-send" })).pipe(
        Effect.provideService(Metric.MetricRegistry, registry)
      )
      assert.strictEqual(value.count, 2)
    })
  )

  it.effect("reads overrides from CDC_RETRY_<DEPENDENCY>_* and rejects negative figures", () =>
    Effect.gen(function* () {
      const provider = ConfigProvider.fromEnv({
        env: { CDC_RETRY_EVENTBRIDGE_PUBLISH_MAX_RETRIES: "7", CDC_RETRY_EVENTBRIDGE_PUBLISH_JITTER: "0.5" }
      })
      const policy = yield* retryPolicyConfig("eventbridge-publish").parse(provider)
      assert.deepStrictEqual(policy, { maxRetries: 7, baseDelayMillis: 200, maxDelayMillis: 2000, jitter: 0.5 })
      const bad = yield* Effect.exit(
        retryPolicyConfig("kinesis-read").parse(ConfigProvider.fromEnv({ env: { CDC_RETRY_KINESIS_READ_MAX_RETRIES: "-1" } }))
      )
      assert.strictEqual(bad._tag, "Failure")
    })
  )

  it.effect("waits base · 2^(n-1) before retry n, up to the cap: 200, 400, 800 ms for PutEvents; 50 … 500 ms for checkpoint writes", () =>
    Effect.gen(function* () {
      assert.deepStrictEqual((yield* attemptsOf("eventbridge-publish", 3)).delays, [200, 400, 800])
      assert.deepStrictEqual((yield* attemptsOf("dynamodb-write", 5)).delays, [50, 100, 200, 400, 500])
    }).pipe(Effect.provideService(Random.Random, fixedRandom(0)))
  )
})
