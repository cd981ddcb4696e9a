/**
 * The local Kinesis event source mapping (src/local/KinesisEventSource.ts) against Lambda's
 * documented promises, over every run fast-check can find: `npm start`, the chaos suite and the
 * end-to-end benchmark trust it to deliver the stream as Lambda would.
 *
 * Generated: a few shards of records whose sequence numbers vary in length (9 then 10: compared as
 * strings they would go backwards), put on the stream at once or over time; per shard, the
 * handler's behaviour on each invocation (succeed, report a failure at a record, report an
 * identifier that names no record of the batch, throw; quickly or slowly) and the answer of each
 * `GetRecords` call (no records though some wait, fewer than asked, an expired iterator,
 * throttling, now and then for longer than the AWS call's own retries, a 5xx, also right after
 * such a run); restarts of the poller
 * between invocations or in the middle of one (a new run on the same position file); and the
 * settings (batch size, batching window, `maximumRetryAttempts` from -1 to 3, `bisectOnError`).
 * All on the TestClock (./support/EsmWorld).
 *
 * Judged only from outputs (./support/EsmJudge): what the handler received, the on-failure
 * destination, the PositionStore:
 * 1. every record is processed by an invocation that acknowledged it, or sent to the on-failure
 *    destination, and only after `maximumRetryAttempts` retries (never with -1);
 * 2. batches are consecutive records in sequence order, at most `batchSize`, and one shard's
 *    invocations never overlap; a retry is exactly the failed records, and after a function error
 *    with `bisectOnError` each half of them in turn, before anything newer;
 * 3. each invocation starts right after the acknowledged position, so nothing is skipped and an
 *    acknowledged record is never delivered again, not even after a restart; after a reported
 *    failure at record R the next invocation starts at R;
 * 4. the PositionStore never moves backwards, and acknowledges only what was processed;
 * 5. the event source rides out what Lambda rides out (expired iterators, throttling) and reads
 *    every shard to its end.
 *
 * Lambda's reading of the handler's answer is in ./support/EsmJudge. Retries are of the batch:
 * Lambda "retries processing the batch up to the retry limit" (partial batch response guide), and
 * `MaximumRetryAttempts` is "the number of times to retry a record before it is bypassed" (SAM), so
 * a record goes to the on-failure destination only once it was delivered `maximumRetryAttempts` + 1
 * times. With `BisectBatchOnFunctionError`, Lambda "breaks the impacted batch of records into two
 * when a function returns an error, and retries them separately" (AWS, 2019-11-25), and
 * "splitting batches doesn't consume the retry quota" (Lambda developer guide, "Retain discarded
 * batch records for a Kinesis Data Streams event source"): a split is no retry, and only a failure
 * that is not split (a reported one, or a function error on one record) spends one.
 *
 * Seeded by the suite's fast-check seed (`FC_SEED`; `FC_SEED=random` explores new cases).
 */
import { mkdtempSync, rmSync } from "node:fs"
import { tmpdir } from "node:os"
import path from "node:path"
import * as Effect from "effect/Effect"
import * as Logger from "effect/Logger"
import * as Random from "effect/Random"
import { TestClock } from "effect/testing"
import fc from "fast-check"
import { describe, it } from "vitest"
import { type KinesisSourceSettings, runKinesisEventSource } from "../../src/local/KinesisEventSource"
import { makeLiveStats } from "../../src/local/LiveStats"
import { openPositionStore, type PositionStore } from "../../src/local/PositionStore"
import { answersWithThrottlingRuns, drive, type Restart, restarts } from "./support/EsmDriver"
import { type Ending, judge } from "./support/EsmJudge"
import { type Answer, type Behaviour, type GetRecordsQuirk, makeEsmWorld, type ShardScript } from "./support/EsmWorld"

interface Scenario {
  readonly shards: ReadonlyArray<ShardScript>
  readonly settings: KinesisSourceSettings
  /**
   * Stop the poller once this many invocations have started, when none is running or in the middle
   * of one, and start it again once no invocation is running.
   */
  readonly restarts: ReadonlyArray<Restart>
  /** Seeds the jitter of the AWS call retries. */
  readonly seed: number
}

/** A real Kinesis sequence number (56 digits), for shards whose numbers all have one length. */
const realistic = 49_590_338_271_490_256_608_559_692_538_361_571_095_921_575_989_136_588_898n

/** Ascending sequence numbers: small ones crossing digit counts (9 → 10 → 100), or realistic ones. */
const sequenceNumbers: fc.Arbitrary<ReadonlyArray<string>> = fc
  .record({
    start: fc.bigInt({ min: 0n, max: 12n }),
    gaps: fc.array(fc.oneof({ weight: 3, arbitrary: fc.bigInt({ min: 1n, max: 3n }) }, fc.bigInt({ min: 4n, max: 200n })), {
      maxLength: 12
    }),
    long: fc.boolean()
  })
  .map(({ start, gaps, long }) => {
    let next = start + (long ? realistic : 0n)
    return [next, ...gaps.map((gap) => (next += gap))].map(String)
  })

const answer: fc.Arbitrary<Answer> = fc.oneof(
  {
    weight: 4,
    arbitrary: fc.record({ _tag: fc.constant("Succeed"), response: fc.constantFrom("undefined", "empty", "emptyList", "nullList") })
  },
  { weight: 3, arbitrary: fc.record({ _tag: fc.constant("FailAt"), at: fc.nat({ max: 7 }), andLater: fc.boolean() }) },
  {
    weight: 1,
    arbitrary: fc.record({
      _tag: fc.constant("FailOdd"),
      identifier: fc.constantFrom("empty", "badKey", "zeroPadded", "beforeBatch", "afterBatch")
    })
  },
  { weight: 2, arbitrary: fc.record({ _tag: fc.constant("Throw") }) }
) as fc.Arbitrary<Answer>

const behaviour: fc.Arbitrary<Behaviour> = fc.record({
  answer,
  // Mostly quick; shrinks towards quick.
  seconds: fc.constantFrom(0, 0, 0, 0, 1, 3, 5, 30)
})

const quirk: fc.Arbitrary<GetRecordsQuirk> = fc.oneof(
  { weight: 4, arbitrary: fc.constant("ok" as const) },
  { weight: 2, arbitrary: fc.constantFrom("empty" as const, "short" as const) },
  { weight: 1, arbitrary: fc.constantFrom("expired" as const, "throttled" as const, "unavailable" as const) }
)

/**
 * The answers of a shard's `GetRecords` calls: single quirks, and now and then a run of throttling
 * (which may end in a 5xx: throttling must not spend the retries the 5xx is owed).
 */
const quirks: fc.Arbitrary<ReadonlyArray<GetRecordsQuirk>> = answersWithThrottlingRuns(quirk)

/** When records are put on the stream: most at once at the start, some a few seconds apart. */
const arrivals: fc.Arbitrary<ReadonlyArray<number>> = fc
  .array(fc.oneof({ weight: 3, arbitrary: fc.constant(0) }, fc.integer({ min: 1, max: 6 })), { maxLength: 13 })
  .map((gaps) => {
    let second = 0
    return gaps.map((gap) => (second += gap))
  })

const shardScript = fc.record({ sequenceNumbers, arrivals, quirks, behaviours: fc.array(behaviour, { maxLength: 8 }) })

/** One to three shards, named as Kinesis names them (each may shrink away, one stays). */
const maybeShard = fc.option(shardScript, { freq: 3, nil: undefined })
const shards: fc.Arbitrary<ReadonlyArray<ShardScript>> = fc
  .tuple(maybeShard, maybeShard, maybeShard)
  .map((scripts) => scripts.filter((script) => script !== undefined))
  .filter((scripts) => scripts.length > 0)
  .map((scripts) => scripts.map((script, i) => ({ shardId: `shardId-${String(i).padStart(12, "0")}`, ...script })))

const scenario: fc.Arbitrary<Scenario> = fc.record({
  shards,
  settings: fc.record({
    batchSize: fc.integer({ min: 1, max: 6 }),
    batchingWindowMillis: fc.constantFrom(0, 1_000, 3_000),
    maximumRetryAttempts: fc.integer({ min: -1, max: 3 }),
    bisectOnError: fc.boolean()
  }),
  restarts: restarts(20),
  seed: fc.integer()
})

const stream = { name: "cdc-stream", arn: "arn:aws:kinesis:us-east-1:000000000000:stream/cdc-stream", region: "us-east-1" }

/** Test-clock seconds a scenario may take: far more than its retries and slow handlers need. */
const limitSeconds = 2_000

/** Plays the event source over the scenario, one test-clock second at a time, restarting it as scripted. */
const play = (scenario: Scenario) =>
  Effect.gen(function* () {
    const world = makeEsmWorld(scenario.shards)
    const directory = mkdtempSync(path.join(tmpdir(), "esm-property-"))
    const file = path.join(directory, "positions.json")
    let positions: PositionStore = openPositionStore(file, 1)
    const start = (store: PositionStore) =>
      Effect.forkChild(
        Effect.scoped(
          runKinesisEventSource({
            kinesis: world.kinesis,
            stream,
            settings: scenario.settings,
            positions: world.track(store),
            stats: makeLiveStats(),
            handler: world.handler,
            onFailure: (info) => Effect.sync(() => world.onFailure(info))
          })
        )
      )
    const finished = () =>
      !world.busy() && scenario.shards.every(({ shardId, sequenceNumbers: s }) => s.length === 0 || positions.get(shardId) === s.at(-1))
    const stopped = yield* drive({
      world,
      restarts: scenario.restarts,
      limitSeconds,
      finished,
      start: () => start(positions),
      onRestart: () => {
        positions = openPositionStore(file, 1)
        world.restarted(positions.snapshot())
      }
    })
    rmSync(directory, { recursive: true, force: true })
    const ending: Ending = { finished: finished(), ...(stopped === undefined ? {} : { stopped }) }
    return { log: world.log, ending }
  }).pipe(Random.withSeed(scenario.seed), Effect.provide([TestClock.layer(), Logger.layer([])]))

describe("the local Kinesis event source mapping, as Lambda's", () => {
  it("delivers every record or sends it to the on-failure destination, in order, resuming exactly where it acknowledged", async () => {
    await fc.assert(
      fc.asyncProperty(scenario, async (s) => {
        const { log, ending } = await Effect.runPromise(play(s))
        judge(s.shards, s.settings, log, ending)
      }),
      { numRuns: 300 }
    )
  }, 120_000)
})
