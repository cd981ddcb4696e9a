/**
 * The local Kinesis event source mapping's bisection (`BisectBatchOnFunctionError`), by example:
 * Lambda "breaks the impacted batch of records into two when a function returns an error, and
 * retries them separately" (AWS, 2019-11-25), and "splitting batches doesn't consume the retry
 * quota" (Lambda developer guide, "Retain discarded batch records for a Kinesis Data Streams event
 * source"). ./KinesisEventSource.property.test.ts judges the same over generated runs.
 */
import * as Effect from "effect/Effect"
import * as Fiber from "effect/Fiber"
import { TestClock } from "effect/testing"
import { describe, expect, it } from "vitest"
import { type KinesisSourceSettings, runKinesisEventSource } from "../../src/local/KinesisEventSource"
import { makeLiveStats } from "../../src/local/LiveStats"
import type { PositionStore } from "../../src/local/PositionStore"
import { settle } from "./support/EsmDriver"
import { type Behaviour, makeEsmWorld } from "./support/EsmWorld"

const stream = { name: "s", arn: "arn:aws:kinesis:us-east-1:1:stream/s", region: "us-east-1" }

const memoryPositions = (): PositionStore => {
  const shards: Record<string, string> = {}
  return {
    get: (shardId) => shards[shardId],
    acknowledge: (shardId, sequenceNumber) => {
      shards[shardId] = sequenceNumber
    },
    flush: () => {},
    snapshot: () => ({ ...shards })
  }
}

const throws: Behaviour = { answer: { _tag: "Throw" }, seconds: 0 }
const succeeds: Behaviour = { answer: { _tag: "Succeed", response: "emptyList" }, seconds: 0 }

/** Plays one shard of `records`, all there from the start, for a minute; what was invoked and given up. */
const play = (records: ReadonlyArray<string>, behaviours: ReadonlyArray<Behaviour>, settings: KinesisSourceSettings) =>
  Effect.gen(function* () {
    const world = makeEsmWorld([{ shardId: "shardId-0", sequenceNumbers: records, arrivals: [], quirks: [], behaviours }])
    const invocationsGivenUp: Array<number> = []
    const fiber = yield* Effect.forkChild(
      Effect.scoped(
        runKinesisEventSource({
          kinesis: world.kinesis,
          stream,
          settings,
          positions: world.track(memoryPositions()),
          stats: makeLiveStats(),
          handler: world.handler,
          onFailure: (info, _condition, invocations) =>
            Effect.sync(() => {
              world.onFailure(info)
              invocationsGivenUp.push(invocations)
            })
        })
      )
    )
    for (let second = 1; second <= 60; second++) {
      yield* TestClock.adjust("1 second")
      world.tick(second)
      yield* settle
    }
    yield* Fiber.interrupt(fiber)
    return {
      invoked: world.log.flatMap((entry) => (entry._tag === "Invoked" ? [entry.sequenceNumbers] : [])),
      givenUp: world.log.flatMap((entry) =>
        entry._tag === "SentToOnFailure" ? [[entry.info.startSequenceNumber, entry.info.endSequenceNumber]] : []
      ),
      /** Each on-failure record's `approximateInvokeCount`. */
      invocationsGivenUp
    }
  }).pipe(Effect.provide(TestClock.layer()), Effect.runPromise)

describe("bisectOnError", () => {
  it("retries each half of a batch whose handler threw on its own, before records that came after it", async () => {
    // The second half went out merged with the records after it ([3 4 5 6]).
    const run = await play(["1", "2", "3", "4", "5", "6"], [throws], {
      batchSize: 4,
      batchingWindowMillis: 0,
      maximumRetryAttempts: 5,
      bisectOnError: true
    })
    expect(run.invoked).toEqual([
      ["1", "2", "3", "4"],
      ["1", "2"],
      ["3", "4"],
      ["5", "6"]
    ])
  })

  it("spends no retries on splitting: with no retries at all, it still narrows a failure down to one record", async () => {
    // The whole batch went to the on-failure destination after one throw: the split had spent the only attempt.
    const run = await play(["1", "2", "3", "4"], [throws, succeeds, throws, throws], {
      batchSize: 4,
      batchingWindowMillis: 0,
      maximumRetryAttempts: 0,
      bisectOnError: true
    })
    expect(run.invoked).toEqual([["1", "2", "3", "4"], ["1", "2"], ["3", "4"], ["3"], ["4"]])
    expect(run.givenUp).toEqual([["3", "3"]])
    // 3 was invoked in [1 2 3 4], [3 4] and [3]: the count Lambda reports, not the retry limit + 1
    expect(run.invocationsGivenUp).toEqual([3])
  })

  it("still counts the retries of a record that throws on its own", async () => {
    const run = await play(["1", "2"], [throws, throws, throws, succeeds], {
      batchSize: 2,
      batchingWindowMillis: 0,
      maximumRetryAttempts: 1,
      bisectOnError: true
    })
    // [1 2] split, [1] and its one retry, then given up; [2] on its own.
    expect(run.invoked).toEqual([["1", "2"], ["1"], ["1"], ["2"]])
    expect(run.givenUp).toEqual([["1", "1"]])
    expect(run.invocationsGivenUp).toEqual([3])
  })
})
