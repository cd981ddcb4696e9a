/**
 * What the model-based tests of the local event source mappings share to drive a run on the
 * TestClock: the generated restarts of the poller, and a way to let everything take its turn.
 *
 * @example
 * ```ts
 * fc.record({ restarts: restarts(20), ... })
 * yield* TestClock.adjust("1 second"); world.tick(second); yield* settle
 * ```
 */
import { Effect } from "effect"
import fc from "fast-check"

/** A restart of the poller once `after` invocations started, between invocations or in the middle of one. */
export interface Restart {
  readonly after: number
  readonly midInvocation: boolean
}

/** Up to three restarts, in order, after at most `maxAfter` invocations. */
export const restarts = (maxAfter: number): fc.Arbitrary<ReadonlyArray<Restart>> =>
  fc
    .uniqueArray(fc.record({ after: fc.integer({ min: 1, max: maxAfter }), midInvocation: fc.boolean() }), {
      selector: (restart) => restart.after,
      maxLength: 3
    })
    .map((generated) => [...generated].sort((a, b) => a.after - b.after))

/** Lets the pollers, the fakes and the handlers take their turns (promises, then fibers). */
export const settle = Effect.promise(async () => {
  for (let i = 0; i < 3; i++) await new Promise<void>((resolve) => setImmediate(resolve))
})
