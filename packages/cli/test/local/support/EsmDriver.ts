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
import * as Effect from "effect/Effect"
import * as Exit from "effect/Exit"
import * as Fiber from "effect/Fiber"
import { TestClock } from "effect/testing"
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

/**
 * The answers of a poller's calls: up to 8 single `quirk`s, and now and then a run of 2 to 10
 * throttled answers ending in one more `quirk` (a 5xx, say): throttling is waited out however
 * long, but must not spend the retries the answer after it is owed.
 *
 * @example
 * ```ts
 * const receives = answersWithThrottlingRuns(fc.constantFrom("ok", "empty", "throttled", "unavailable"))
 * ```
 */
export const answersWithThrottlingRuns = <Q>(quirk: fc.Arbitrary<Q>): fc.Arbitrary<ReadonlyArray<Q | "throttled">> =>
  fc
    .array(
      fc.oneof(
        { weight: 6, arbitrary: quirk.map((q): ReadonlyArray<Q | "throttled"> => [q]) },
        {
          weight: 1,
          arbitrary: fc
            .tuple(fc.integer({ min: 2, max: 10 }), quirk)
            .map(([n, after]): ReadonlyArray<Q | "throttled"> => [...Array.from({ length: n }, () => "throttled" as const), after])
        }
      ),
      { maxLength: 8 }
    )
    .map((runs) => runs.flat())

/** Lets the pollers, the fakes and the handlers take their turns (promises, then fibers). */
export const settle = Effect.promise(async () => {
  for (let i = 0; i < 3; i++) await new Promise<void>((resolve) => setImmediate(resolve))
})

/** What {@link drive} needs of a test world. */
export interface DrivenWorld {
  /** Advances the world's own script (arrivals, slow handlers) to `second`. */
  readonly tick: (second: number) => void
  /** Invocations started so far. */
  readonly invocations: () => number
  /** Whether an invocation is running. */
  readonly busy: () => boolean
}

/**
 * Runs an event source one test-clock second at a time until `finished`, the poller stops on its
 * own, or `limitSeconds` pass; stops and starts it again as `restarts` say. A stopping poller
 * waits a while for its invocation under way, the world's time going on meanwhile (past that
 * wait, its answer is lost); as Lambda never runs two batches of one
 * shard at once, and as the chaos run does, the next poller starts after it (`onRestart` first).
 * Returns why the poller stopped on its own, if it did.
 */
export const drive = <E>(options: {
  readonly world: DrivenWorld
  readonly restarts: ReadonlyArray<Restart>
  readonly limitSeconds: number
  readonly finished: () => boolean
  readonly start: () => Effect.Effect<Fiber.Fiber<unknown, E>>
  readonly onRestart: () => void
}) =>
  Effect.gen(function* () {
    const { world, finished } = options
    const pending = [...options.restarts]
    let fiber = yield* options.start()
    let stopped = false
    // a stopping poller may wait for the invocation under way (the world's time goes on meanwhile)
    let stopping: Fiber.Fiber<unknown> | undefined
    for (let second = 1; second <= options.limitSeconds && !finished() && (stopped || fiber.pollUnsafe() === undefined); second++) {
      yield* TestClock.adjust("1 second")
      world.tick(second)
      yield* settle
      const restart = pending[0]
      if (!stopped && restart !== undefined && world.invocations() >= restart.after && (restart.midInvocation || !world.busy())) {
        pending.shift()
        stopping = yield* Effect.forkChild(Fiber.interrupt(fiber))
        yield* settle
        stopped = true
      }
      if (stopped && !world.busy() && stopping?.pollUnsafe() !== undefined) {
        options.onRestart()
        fiber = yield* options.start()
        stopped = false
      }
    }
    const exit = stopped ? undefined : fiber.pollUnsafe()
    // the last stop, too, may wait for an invocation under way: the world's time goes on until it is done
    const last = yield* Effect.forkChild(Fiber.interrupt(fiber))
    for (let second = options.limitSeconds + 1; last.pollUnsafe() === undefined; second++) {
      yield* TestClock.adjust("1 second")
      world.tick(second)
      yield* settle
    }
    return exit === undefined ? undefined : Exit.isFailure(exit) ? String(exit.cause) : "it returned"
  })
