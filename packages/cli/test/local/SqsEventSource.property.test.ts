/**
 * The local SQS event source mapping (src/local/SqsEventSource.ts) against Lambda's documented
 * promises, over every run fast-check can find: `npm start` and the chaos suite trust it to feed
 * the DLQ worker (and the consumers) as Lambda would.
 *
 * Generated: messages sent at once or a few seconds apart; the handler's behaviour on each
 * invocation (succeed with each shape of empty answer, report some messages in
 * `batchItemFailures`, report an identifier that names no message of the batch, throw; quickly or
 * slower than the visibility timeout); the answer of each `ReceiveMessage` (nothing though messages
 * wait, fewer than asked, an in-flight message delivered again, throttling, now and then for
 * longer than the AWS call's own retries, a 5xx) and of each `DeleteMessageBatch` (every other
 * entry failed, throttled); restarts of the poller between invocations or in the middle of one;
 * and the settings (batch size, batching window, the queue's visibility timeout and
 * `maxReceiveCount`). All on the TestClock (./support/SqsWorld).
 *
 * Judged only from outputs (./support/SqsJudge): what the handler received and answered, each
 * `DeleteMessageBatch` entry, what the redrive policy dead-lettered:
 * 1. every message is deleted after an invocation reported it successful, or dead-lettered after
 *    `maxReceiveCount` receives: nothing silently disappears and nothing is left behind, not even
 *    across restarts;
 * 2. a message reported failed, or in a batch whose handler threw or named an identifier that is no
 *    message of the batch, is not deleted (so it becomes visible again);
 * 3. every message reported successful is deleted before the next batch, a delete that SQS
 *    failed on its side tried again;
 * 4. batches never exceed the batch size (10 without a batching window), a batch short of it
 *    waits out the batching window from the end of the last invocation, and the poller deletes
 *    only receipt handles its last invocation received;
 * 5. the event source rides out throttling, as Lambda's poller does.
 *
 * Lambda's reading of the handler's answer is in ./support/SqsJudge. A `DeleteMessageBatch` entry
 * can fail while the call succeeds; SQS asks callers to "check for batch errors even when the call
 * returns an HTTP status code of 200" (API reference, DeleteMessageBatch), and Lambda documents
 * nothing of its own, so the local mapping does what SQS asks: an entry failed on SQS's side is
 * tried again, one failed by the sender's fault (a stale receipt handle) is not, and its message
 * comes back after the visibility timeout (at-least-once). Judged in 3.
 *
 * Seeded by the suite's fast-check seed (`FC_SEED`; `FC_SEED=random` explores new cases).
 */
import * as Clock from "effect/Clock"
import * as Effect from "effect/Effect"
import * as Logger from "effect/Logger"
import * as Random from "effect/Random"
import { TestClock } from "effect/testing"
import fc from "fast-check"
import { describe, it } from "vitest"
import { runSqsEventSource } from "../../src/local/SqsEventSource"
import { answersWithThrottlingRuns, drive, type Restart, restarts } from "./support/EsmDriver"
import { type Ending, judge } from "./support/SqsJudge"
import { type Answer, type Behaviour, type DeleteQuirk, makeSqsWorld, type QueueScript, type ReceiveQuirk } from "./support/SqsWorld"

interface Scenario {
  readonly queue: QueueScript
  readonly batchSize: number
  readonly batchingWindowMillis: number
  /**
   * Stop the poller once this many invocations have started, when none is running or in the middle
   * of one, and start it again once no invocation is running.
   */
  readonly restarts: ReadonlyArray<Restart>
  /** Seeds the jitter of the AWS call retries. */
  readonly seed: number
}

const answer: fc.Arbitrary<Answer> = fc.oneof(
  {
    weight: 4,
    arbitrary: fc.record({ _tag: fc.constant("Succeed"), response: fc.constantFrom("undefined", "empty", "emptyList", "nullList") })
  },
  { weight: 3, arbitrary: fc.record({ _tag: fc.constant("FailAt"), at: fc.nat({ max: 9 }), andLater: fc.boolean() }) },
  {
    weight: 1,
    arbitrary: fc.record({ _tag: fc.constant("FailOdd"), identifier: fc.constantFrom("empty", "nullId", "badKey", "unknown") })
  },
  { weight: 2, arbitrary: fc.record({ _tag: fc.constant("Throw") }) }
) as fc.Arbitrary<Answer>

const behaviour: fc.Arbitrary<Behaviour> = fc.record({
  answer,
  // Mostly quick; shrinks towards quick; 40 s outlasts every visibility timeout generated.
  seconds: fc.constantFrom(0, 0, 0, 0, 1, 3, 10, 40)
})

/** One `ReceiveMessage` answer. */
const receive: fc.Arbitrary<ReceiveQuirk> = fc.oneof(
  { weight: 4, arbitrary: fc.constant("ok" as const) },
  { weight: 2, arbitrary: fc.constantFrom("empty" as const, "short" as const, "duplicate" as const) },
  { weight: 1, arbitrary: fc.constantFrom("throttled" as const, "unavailable" as const) }
)

/**
 * The answers of the `ReceiveMessage` calls: single quirks, and now and then a run of throttling,
 * which may end in a 5xx: only throttling is waited out however long, but it must not spend the
 * retries the 5xx is owed (it used to, and stopped the event source).
 */
const receives: fc.Arbitrary<ReadonlyArray<ReceiveQuirk>> = answersWithThrottlingRuns(receive)

const deletes: fc.Arbitrary<ReadonlyArray<DeleteQuirk>> = fc.array(
  fc.oneof({ weight: 4, arbitrary: fc.constant("ok" as const) }, fc.constantFrom("partial" as const, "throttled" as const)),
  { maxLength: 4 }
)

/** When messages are sent: most at once at the start, some a few seconds apart. */
const arrivals: fc.Arbitrary<ReadonlyArray<number>> = fc
  .array(fc.oneof({ weight: 3, arbitrary: fc.constant(0) }, fc.integer({ min: 1, max: 6 })), { minLength: 1, maxLength: 14 })
  .map((gaps) => {
    let second = 0
    return gaps.map((gap) => (second += gap))
  })

const scenario: fc.Arbitrary<Scenario> = fc.record({
  queue: fc.record({
    arrivals,
    visibilitySeconds: fc.constantFrom(2, 5, 30),
    maxReceiveCount: fc.integer({ min: 1, max: 4 }),
    receives,
    deletes,
    behaviours: fc.array(behaviour, { maxLength: 8 })
  }),
  batchSize: fc.integer({ min: 1, max: 12 }),
  batchingWindowMillis: fc.constantFrom(0, 0, 1_000, 3_000, 5_000),
  restarts: restarts(12),
  seed: fc.integer()
})

const queue = { url: "http://sqs.local/000000000000/cdc-dlq", arn: "arn:aws:sqs:us-east-1:000000000000:cdc-dlq", region: "us-east-1" }

/** Test-clock seconds a scenario may take: far more than its retries, visibility timeouts and slow handlers need. */
const limitSeconds = 1_500

/** Plays the event source over the scenario, one test-clock second at a time, restarting it as scripted. */
const play = (scenario: Scenario) =>
  Effect.gen(function* () {
    const clock = yield* Clock.Clock
    const world = makeSqsWorld(scenario.queue, () => clock.currentTimeMillisUnsafe())
    const { batchSize, batchingWindowMillis } = scenario
    const start = () =>
      Effect.forkChild(runSqsEventSource({ sqs: world.sqs, queue, batchSize, batchingWindowMillis, handler: world.handler }))
    const finished = () => world.drained() && !world.busy()
    const stopped = yield* drive({ world, restarts: scenario.restarts, limitSeconds, finished, start, onRestart: world.restarted })
    const ending: Ending = { drained: finished(), ...(stopped === undefined ? {} : { stopped }) }
    return { log: world.log, ending }
  }).pipe(Random.withSeed(scenario.seed), Effect.provide([TestClock.layer(), Logger.layer([])]))

describe("the local SQS event source mapping, as Lambda's", () => {
  it("deletes every message its handler reported successful, leaves the failed ones for the redrive policy, and loses none", async () => {
    await fc.assert(
      fc.asyncProperty(scenario, async (s) => {
        const { log, ending } = await Effect.runPromise(play(s))
        judge(
          { batchSize: s.batchSize, batchingWindowMillis: s.batchingWindowMillis, maxReceiveCount: s.queue.maxReceiveCount },
          log,
          ending
        )
      }),
      { numRuns: 300 }
    )
  }, 120_000)
})
