/**
 * Retry policies per AWS dependency: exponential backoff capped at a maximum, with a jitter
 * factor, retrying only what the error taxonomy marks `retryable` (throttling, 5xx, timeouts).
 *
 * The delay before retry `n` (1-based) is `min(base · 2^(n-1), max) · (1 + jitter · r)` with `r`
 * drawn from Effect's `Random` in `[0, 1)`, the reference design's formula. Effect's own
 * `Schedule.jittered` scales by a fixed 0.8–1.2, which would ignore the per-dependency factor.
 * Time goes through `Clock` (Effect.retry sleeps on it), so tests run on `TestClock`.
 *
 * Defaults are the reference design's table; each figure is overridable through `Config`
 * (`CDC_RETRY_<DEPENDENCY>_MAX_RETRIES`, `_BASE_DELAY_MS`, `_MAX_DELAY_MS`, `_JITTER`).
 *
 * @example
 * ```ts
 * const put = retrying("eventbridge-publish", eventBus.putEvents(entries))
 * // provided with RetryPolicies.layerConfig (env) or RetryPolicies.layer(defaultRetryPolicies)
 * ```
 */
import type { Classified } from "@cdc/domain/Classified"
import * as Config from "effect/Config"
import * as Context from "effect/Context"
import * as Duration from "effect/Duration"
import * as Effect from "effect/Effect"
import * as Layer from "effect/Layer"
import * as Metric from "effect/Metric"
import * as Random from "effect/Random"
import * as Schedule from "effect/Schedule"
import * as Schema from "effect/Schema"
import { retries } from "./Metrics"

/** The dependencies that have their own policy. */
export type Dependency = "kinesis-read" | "dynamodb-write" | "eventbridge-publish" | "state-update" | "dlq-send"

export const dependencies: ReadonlyArray<Dependency> = ["kinesis-read", "dynamodb-write", "eventbridge-publish", "state-update", "dlq-send"]

/** One dependency's figures. `maxRetries` counts retries after the first attempt. */
export interface RetryPolicy {
  readonly maxRetries: number
  readonly baseDelayMillis: number
  readonly maxDelayMillis: number
  /** Up to this fraction of the capped delay is added at random (0.3 → +0–30 %). */
  readonly jitter: number
}

/**
 * The reference design's figures. `dlq-send` (SQS) is not in the reference table; it gets the
 * state-update figures because losing a dead letter is as bad as losing a checkpoint.
 * `state-update` governs checkpoint reads, `dynamodb-write` the conditional checkpoint writes.
 */
export const defaultRetryPolicies: Readonly<Record<Dependency, RetryPolicy>> = {
  "kinesis-read": { maxRetries: 3, baseDelayMillis: 100, maxDelayMillis: 1_000, jitter: 0.2 },
  "dynamodb-write": { maxRetries: 5, baseDelayMillis: 50, maxDelayMillis: 500, jitter: 0.1 },
  "eventbridge-publish": { maxRetries: 3, baseDelayMillis: 200, maxDelayMillis: 2_000, jitter: 0.3 },
  "state-update": { maxRetries: 5, baseDelayMillis: 100, maxDelayMillis: 1_000, jitter: 0.2 },
  "dlq-send": { maxRetries: 5, baseDelayMillis: 100, maxDelayMillis: 1_000, jitter: 0.2 }
}

/**
 * The un-jittered delay before retry `attempt` (1-based).
 *
 * @example
 * ```ts
 * cappedDelayMillis(defaultRetryPolicies["eventbridge-publish"], 2) // 400
 * ```
 */
export const cappedDelayMillis = (policy: RetryPolicy, attempt: number): number =>
  Math.min(policy.baseDelayMillis * 2 ** (attempt - 1), policy.maxDelayMillis)

/**
 * The policy as a `Schedule`: at most `maxRetries` recurrences, jittered exponential delays.
 *
 * @example
 * ```ts
 * Effect.retry(call, { schedule: retrySchedule(policy), while: (e) => e.retryable })
 * ```
 */
export const retrySchedule = (policy: RetryPolicy): Schedule.Schedule<Duration.Duration> =>
  Schedule.exponential(Duration.millis(policy.baseDelayMillis)).pipe(
    Schedule.modifyDelay(({ attempt }) =>
      Effect.map(Random.next, (r) => Duration.millis(cappedDelayMillis(policy, attempt) * (1 + policy.jitter * r)))
    ),
    Schedule.upTo({ times: policy.maxRetries })
  )

const envName = (dependency: Dependency) => `CDC_RETRY_${dependency.toUpperCase().replaceAll("-", "_")}`

const NonNegativeInt = Schema.Int.check(Schema.isGreaterThanOrEqualTo(0))
const NonNegative = Schema.Finite.check(Schema.isGreaterThanOrEqualTo(0))

/**
 * One dependency's policy from the environment, defaulting to {@link defaultRetryPolicies}.
 *
 * @example
 * ```ts
 * // CDC_RETRY_EVENTBRIDGE_PUBLISH_MAX_RETRIES=5
 * const policy = yield* retryPolicyConfig("eventbridge-publish")
 * ```
 */
export const retryPolicyConfig = (dependency: Dependency): Config.Config<RetryPolicy> => {
  const prefix = envName(dependency)
  const defaults = defaultRetryPolicies[dependency]
  const field = (suffix: string, fallback: number, schema: typeof NonNegative) =>
    Config.schema(schema, `${prefix}_${suffix}`).pipe(Config.withDefault(fallback))
  return Config.all({
    maxRetries: field("MAX_RETRIES", defaults.maxRetries, NonNegativeInt),
    baseDelayMillis: field("BASE_DELAY_MS", defaults.baseDelayMillis, NonNegative),
    maxDelayMillis: field("MAX_DELAY_MS", defaults.maxDelayMillis, NonNegative),
    jitter: field("JITTER", defaults.jitter, NonNegative)
  })
}

/** The policies of every dependency, as a service so tests and the handler choose them. */
export class RetryPolicies extends Context.Service<RetryPolicies, Readonly<Record<Dependency, RetryPolicy>>>()(
  "@cdc/pipeline/RetryPolicies"
) {
  /** Fixed policies (tests, benchmarks). */
  static readonly layer = (policies: Readonly<Record<Dependency, RetryPolicy>> = defaultRetryPolicies) =>
    Layer.succeed(RetryPolicies, policies)

  /** Policies read once from the environment (`CDC_RETRY_*`), with the defaults. */
  static readonly layerConfig = Layer.effect(
    RetryPolicies,
    Effect.gen(function* () {
      const entries = yield* Effect.forEach(dependencies, (dependency) =>
        Effect.map(retryPolicyConfig(dependency), (policy) => [dependency, policy] as const)
      )
      return Object.fromEntries(entries) as Record<Dependency, RetryPolicy>
    })
  )
}

/**
 * Retries `effect` by the dependency's policy while its error is `retryable`; every retry is
 * counted in the `cdc_retries` metric with the dependency as dimension.
 *
 * @example
 * ```ts
 * const checkpoint = retrying("dynamodb-write", store.advance(shardId, sequenceNumber))
 * ```
 */
export const retrying = <A, E extends Pick<Classified, "retryable">, R>(
  dependency: Dependency,
  effect: Effect.Effect<A, E, R>
): Effect.Effect<A, E, R | RetryPolicies> =>
  Effect.flatMap(Effect.service(RetryPolicies), (policies) =>
    Effect.retry(effect, {
      schedule: retrySchedule(policies[dependency]).pipe(
        Schedule.tap(() => Metric.update(Metric.withAttributes(retries, { dependency }), 1))
      ),
      while: (error: E) => error.retryable
    })
  )
