/**
 * Sends items through a batch API that can accept some items and refuse others in a successful
 * response (EventBridge `PutEvents`, SQS `SendMessageBatch`), and retries only the refused items
 * whose failure is retryable, by the dependency's {@link RetryPolicy}.
 *
 * Every item ends `Done`, `Rejected` (refused for good: the caller dead-letters it) or
 * `Unfinished` (still failing when the retries ran out, or the whole call failed): nothing is
 * dropped silently.
 *
 * @example
 * ```ts
 * const outcomes = yield* sendPartial("eventbridge-publish", entries, (batch) => bus.putEvents(batch))
 * outcomes.filter((o) => o._tag === "Unfinished") // the shard stops before the first of these
 * ```
 */
import type { Classified, ErrorCategory } from "@cdc/domain/Classified"
import * as Data from "effect/Data"
import * as Effect from "effect/Effect"
import { type Dependency, type RetryPolicies, retrying } from "./RetryPolicy"

/** Any failure of a dependency's call (AwsError in production). */
export type DependencyError = Classified

/** One item refused in an otherwise successful response. */
export interface ItemFailure {
  readonly code: string
  readonly retryable: boolean
  readonly category: ErrorCategory
}

export type ItemOutcome =
  | { readonly _tag: "Done"; readonly attempts: number }
  | { readonly _tag: "Rejected"; readonly code: string; readonly attempts: number }
  | { readonly _tag: "Unfinished"; readonly error: Classified; readonly attempts: number }

/** Some items were refused with a retryable code; drives the retry of just those items. */
export class PartialFailureError
  extends Data.TaggedError("PartialFailureError")<{
    readonly dependency: Dependency
    readonly code: string
    readonly category: ErrorCategory
    readonly failed: number
  }>
  implements Classified
{
  readonly retryable = true
  override get message(): string {
    return `${this.dependency}: ${this.failed} item(s) refused with ${this.code}`
  }
}

/**
 * Sends `items` with `send` (which answers, per item sent and in order, `undefined` for accepted
 * or an {@link ItemFailure}; an item past the end of a short answer is retried as `MissingResult`);
 * `protect` wraps each call (e.g. a circuit breaker).
 */
export const sendPartial = <A, R, E extends DependencyError = DependencyError>(
  dependency: Dependency,
  items: ReadonlyArray<A>,
  send: (batch: ReadonlyArray<A>) => Effect.Effect<ReadonlyArray<ItemFailure | undefined>, E, R>,
  protect: <X, E2, R2>(effect: Effect.Effect<X, E2, R2>) => Effect.Effect<X, E2 | DependencyError, R2> = (effect) => effect
): Effect.Effect<ReadonlyArray<ItemOutcome>, never, R | RetryPolicies> =>
  Effect.suspend(() => {
    const outcomes: Array<ItemOutcome | undefined> = items.map(() => undefined)
    const attempts = items.map(() => 0)
    let pending = items.map((_, index) => index)
    const attempt = Effect.suspend(() => {
      for (const index of pending) attempts[index] = (attempts[index] ?? 0) + 1
      return protect(send(pending.map((index) => items[index] as A)))
    }).pipe(
      Effect.flatMap((failures) => {
        const still: Array<number> = []
        let last: ItemFailure | undefined
        pending.forEach((index, position) => {
          // An answer shorter than the batch says nothing of the items past its end: retry them.
          const failure = position < failures.length ? failures[position] : missingAnswer
          const tries = attempts[index] ?? 1
          if (failure === undefined) outcomes[index] = { _tag: "Done", attempts: tries }
          else if (!failure.retryable) outcomes[index] = { _tag: "Rejected", code: failure.code, attempts: tries }
          else {
            still.push(index)
            last = failure
          }
        })
        pending = still
        return last === undefined
          ? Effect.void
          : Effect.fail(new PartialFailureError({ dependency, code: last.code, category: last.category, failed: still.length }))
      })
    )
    return retrying(dependency, attempt).pipe(
      Effect.catch((error: DependencyError) =>
        Effect.sync(() => {
          for (const index of pending) outcomes[index] = { _tag: "Unfinished", error, attempts: attempts[index] ?? 1 }
        })
      ),
      // Every item now has its outcome: answered, refused, or still pending when the retries
      // ran out (a short answer leaves its unanswered items pending, see missingAnswer).
      Effect.map(() => outcomes as ReadonlyArray<ItemOutcome>)
    )
  })

/** The failure of an item a response did not answer for: never expected, never dropped. */
const missingAnswer: ItemFailure = { code: "MissingResult", retryable: true, category: "transient" }
