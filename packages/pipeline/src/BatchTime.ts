/**
 * A batch's time: Lambda ends an invocation at its timeout whatever it is doing, and then retries
 * the whole batch with its checkpoint unwritten. Given when the invocation must have returned
 * (`endsAt`, from the context's remaining time), the batch program ends each part by its own
 * limit instead ({@link limitsOf}), and runs a part under {@link endingByOr}.
 *
 * @example
 * ```ts
 * const limits = limitsOf(started + context.getRemainingTimeInMillis() - 1_000)
 * const written = yield* endingByOr(limits.wrapUp, store.advance(shard, sequenceNumber), () => Effect.succeed("late"))
 * ```
 */
import * as Clock from "effect/Clock"
import * as Effect from "effect/Effect"
import * as Option from "effect/Option"

/** The longest an invocation waits for the bus's circuit before returning its failures. */
export const maxRetryPaceMillis = 10_000

/**
 * What a batch keeps, before its end, for the work after the shards' windows: the checkpoint
 * writes and the drift notices (up to {@link maxRetryPaceMillis} before the end: ten seconds,
 * room for a write's retries at their longest delays), then the retry pace.
 */
export const wrapUpMillis = 20_000

/**
 * `effect`, or `None` when it has not ended by `at` (epoch millis, as the Clock reads them): it
 * is interrupted then, or not started when `at` has passed.
 */
const endingBy = <A, E, R>(at: number, effect: Effect.Effect<A, E, R>): Effect.Effect<Option.Option<A>, E, R> =>
  Effect.flatMap(Clock.currentTimeMillis, (now) =>
    at === Number.POSITIVE_INFINITY ? Effect.asSome(effect) : now >= at ? Effect.succeedNone : Effect.timeoutOption(effect, at - now)
  )

/**
 * `effect`, or what `late` gives when it has not ended by `at` (epoch millis, as the Clock reads
 * them): the effect is interrupted then, or not started when `at` has passed.
 *
 * @example
 * ```ts
 * const state = yield* endingByOr(limits.wrapUp, store.advance(shard, sequenceNumber), () => Effect.succeed("failed" as const))
 * ```
 */
export const endingByOr = <A, E, R, B, E2, R2>(
  at: number,
  effect: Effect.Effect<A, E, R>,
  late: () => Effect.Effect<B, E2, R2>
): Effect.Effect<A | B, E | E2, R | R2> =>
  Effect.flatMap(endingBy(at, effect), (done): Effect.Effect<A | B, E2, R2> => (Option.isSome(done) ? Effect.succeed(done.value) : late()))

/** When each part of a batch must have ended (epoch millis; all infinite without a deadline). */
export interface Limits {
  /** The checkpoint read and the shards' windows. */
  readonly shards: number
  /** The checkpoint writes and the schema-drift notices. */
  readonly wrapUp: number
  /** The invocation's return. */
  readonly end: number
}

/**
 * The limits of a batch that must have returned by `endsAt`: its windows stop
 * {@link wrapUpMillis} before, its checkpoint writes and notices {@link maxRetryPaceMillis}
 * before, which leaves the retry pace its time.
 *
 * @example
 * ```ts
 * limitsOf(150_000) // { shards: 130_000, wrapUp: 140_000, end: 150_000 }
 * ```
 */
export const limitsOf = (endsAt: number | undefined): Limits =>
  endsAt === undefined
    ? { shards: Number.POSITIVE_INFINITY, wrapUp: Number.POSITIVE_INFINITY, end: Number.POSITIVE_INFINITY }
    : { shards: endsAt - wrapUpMillis, wrapUp: endsAt - maxRetryPaceMillis, end: endsAt }
