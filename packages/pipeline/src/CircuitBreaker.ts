/**
 * A circuit breaker on Effect's `Clock`: closed → (threshold consecutive failures) → open →
 * (reset timeout elapsed) → half-open → (enough successes) → closed; a failure while half-open
 * opens it again. While open, calls fail at once with {@link CircuitOpenError}, so a dead bus
 * stops the batch instead of burning the Lambda's time on backoff for every request (the batch
 * program then waits for the next trial once, so Lambda's retries are paced: ./BatchProcessor).
 *
 * The breaker wraps each attempt (inside the retry), and `CircuitOpenError` is not retryable,
 * so an opening breaker also stops the retry loop that tripped it. Its state lives as long as
 * the Lambda container (the handler's runtime is built once per cold start).
 *
 * @example
 * ```ts
 * const breaker = yield* CircuitBreaker.make("eventbridge", { failureThreshold: 5, resetTimeoutMillis: 10_000, halfOpenSuccesses: 1 })
 * const result = yield* breaker.protect(putEvents(entries))
 * ```
 */
import type { Classified, ErrorCategory } from "@cdc/domain/Classified"
import * as Clock from "effect/Clock"
import * as Config from "effect/Config"
import * as Context from "effect/Context"
import * as Data from "effect/Data"
import * as Effect from "effect/Effect"
import * as Layer from "effect/Layer"
import * as Ref from "effect/Ref"
import * as Schema from "effect/Schema"

export type CircuitState = "closed" | "open" | "half-open"

export interface CircuitBreakerOptions {
  /** Consecutive failures that open the circuit. */
  readonly failureThreshold: number
  /** How long the circuit stays open before letting a trial call through. */
  readonly resetTimeoutMillis: number
  /** Successful trial calls needed, while half-open, to close the circuit. */
  readonly halfOpenSuccesses: number
}

export const defaultCircuitBreakerOptions: CircuitBreakerOptions = {
  failureThreshold: 5,
  resetTimeoutMillis: 10_000,
  halfOpenSuccesses: 1
}

/** The call was refused because the circuit is open. Lambda's retry of the batch is the retry. */
export class CircuitOpenError
  extends Data.TaggedError("CircuitOpenError")<{ readonly circuit: string; readonly retryInMillis: number }>
  implements Classified
{
  readonly category: ErrorCategory = "transient"
  readonly code = "circuit-open"
  /** Retrying inside this invocation is exactly what the breaker forbids. */
  readonly retryable = false
  override get message(): string {
    return `circuit ${this.circuit} is open; next trial in ${this.retryInMillis} ms`
  }
}

interface Internal {
  readonly state: CircuitState
  readonly failures: number
  readonly successes: number
  readonly openedAt: number
  /**
   * Bumped on every change of state. A call's outcome counts only in the state it was let through
   * in: a call started before the circuit opened that fails after it would otherwise push the next
   * trial back (or, arriving while half-open, open the circuit again in the trial's place).
   */
  readonly generation: number
}

export interface CircuitBreaker {
  /** Runs `effect` unless the circuit is open; records its outcome. */
  readonly protect: <A, E, R>(effect: Effect.Effect<A, E, R>) => Effect.Effect<A, E | CircuitOpenError, R>
  /** The state as of now (an open circuit whose timeout elapsed reads as half-open). */
  readonly state: Effect.Effect<CircuitState>
  /** Milliseconds until an open circuit lets a trial call through; 0 when it is not open. */
  readonly untilTrial: Effect.Effect<number>
}

/**
 * A breaker named `circuit` (the name appears in errors and logs).
 *
 * @example
 * ```ts
 * const breaker = yield* make("eventbridge", defaultCircuitBreakerOptions)
 * ```
 */
export const make = (circuit: string, options: CircuitBreakerOptions): Effect.Effect<CircuitBreaker> =>
  Effect.map(Ref.make<Internal>({ state: "closed", failures: 0, successes: 0, openedAt: 0, generation: 0 }), (ref) => {
    const current = Effect.flatMap(Clock.currentTimeMillis, (now) =>
      Ref.modify(ref, (s): readonly [Internal & { now: number }, Internal] => {
        const next: Internal =
          s.state === "open" && now - s.openedAt >= options.resetTimeoutMillis
            ? { ...s, state: "half-open", successes: 0, generation: s.generation + 1 }
            : s
        return [{ ...next, now }, next]
      })
    )
    const onSuccess = (generation: number) =>
      Ref.update(ref, (s): Internal => {
        if (s.generation !== generation) return s
        if (s.state !== "half-open") return { ...s, failures: 0 }
        const successes = s.successes + 1
        return successes >= options.halfOpenSuccesses
          ? { state: "closed", failures: 0, successes: 0, openedAt: 0, generation: generation + 1 }
          : { ...s, successes }
      })
    const onFailure = (generation: number) =>
      Effect.flatMap(Clock.currentTimeMillis, (now) =>
        Ref.update(ref, (s): Internal => {
          if (s.generation !== generation) return s
          const failures = s.failures + 1
          return s.state === "half-open" || failures >= options.failureThreshold
            ? { state: "open", failures, successes: 0, openedAt: now, generation: generation + 1 }
            : { ...s, failures }
        })
      )
    return {
      state: Effect.map(current, (s) => s.state),
      untilTrial: Effect.map(current, (s) => (s.state === "open" ? Math.max(0, s.openedAt + options.resetTimeoutMillis - s.now) : 0)),
      protect: <A, E, R>(effect: Effect.Effect<A, E, R>): Effect.Effect<A, E | CircuitOpenError, R> =>
        Effect.flatMap(
          current,
          (s): Effect.Effect<A, E | CircuitOpenError, R> =>
            s.state === "open"
              ? Effect.fail(new CircuitOpenError({ circuit, retryInMillis: Math.max(0, s.openedAt + options.resetTimeoutMillis - s.now) }))
              : effect.pipe(
                  Effect.tap(() => onSuccess(s.generation)),
                  Effect.tapError(() => onFailure(s.generation))
                )
        )
    }
  })

const atLeast = (min: number) => Schema.Int.check(Schema.isGreaterThanOrEqualTo(min))

/**
 * Breaker options from the environment: `CDC_BREAKER_FAILURE_THRESHOLD` (5, at least 1),
 * `CDC_BREAKER_RESET_TIMEOUT_MS` (10000, at least 0), `CDC_BREAKER_HALF_OPEN_SUCCESSES` (1, at
 * least 1). A value out of range is a `ConfigError` naming the variable (a threshold of 0 or
 * less would open the circuit on no failure at all, and keep it open).
 */
export const circuitBreakerConfig: Config.Config<CircuitBreakerOptions> = Config.all({
  failureThreshold: Config.schema(atLeast(1), "CDC_BREAKER_FAILURE_THRESHOLD").pipe(
    Config.withDefault(defaultCircuitBreakerOptions.failureThreshold)
  ),
  resetTimeoutMillis: Config.schema(atLeast(0), "CDC_BREAKER_RESET_TIMEOUT_MS").pipe(
    Config.withDefault(defaultCircuitBreakerOptions.resetTimeoutMillis)
  ),
  halfOpenSuccesses: Config.schema(atLeast(1), "CDC_BREAKER_HALF_OPEN_SUCCESSES").pipe(
    Config.withDefault(defaultCircuitBreakerOptions.halfOpenSuccesses)
  )
})

/** The breaker around EventBridge publishing, one per runtime. */
export class PublishBreaker extends Context.Service<PublishBreaker, CircuitBreaker>()("@cdc/pipeline/PublishBreaker") {
  static readonly layer = (options: CircuitBreakerOptions = defaultCircuitBreakerOptions) =>
    Layer.effect(PublishBreaker, make("eventbridge", options))

  static readonly layerConfig = Layer.effect(
    PublishBreaker,
    Effect.flatMap(circuitBreakerConfig, (options) => make("eventbridge", options))
  )
}
