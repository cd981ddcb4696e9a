import { GetRecordsCommand, GetShardIteratorCommand, type KinesisClient, ListShardsCommand } from "@aws-sdk/client-kinesis"
import { it } from "@effect/vitest"
import * as Effect from "effect/Effect"
import * as Fiber from "effect/Fiber"
import { describe, expect } from "vitest"
import { runKinesisEventSource } from "../../src/local/KinesisEventSource"
import { makeLiveStats } from "../../src/local/LiveStats"
import type { PositionStore } from "../../src/local/PositionStore"

/** One shard holding records 1, 2, 3. */
const kinesis = {
  send: async (command: unknown) => {
    if (command instanceof ListShardsCommand) return { Shards: [{ ShardId: "shardId-0" }] }
    if (command instanceof GetShardIteratorCommand) return { ShardIterator: "0" }
    if (command instanceof GetRecordsCommand) {
      const start = Number(command.input.ShardIterator)
      const records = ["1", "2", "3"].slice(start).map((SequenceNumber) => ({ SequenceNumber, PartitionKey: "k", Data: new Uint8Array() }))
      return { Records: records, NextShardIterator: String(start + records.length), MillisBehindLatest: 0 }
    }
    throw new Error("unexpected command")
  }
} as unknown as KinesisClient

/** Positions as the run saves them: what the last flush wrote. */
const flushedPositions = () => {
  const shards: Record<string, string> = {}
  let flushed: Record<string, string> = {}
  const store: PositionStore = {
    get: (shardId) => shards[shardId],
    acknowledge: (shardId, sequenceNumber) => {
      shards[shardId] = sequenceNumber
    },
    flush: () => {
      flushed = { ...shards }
    },
    snapshot: () => ({ ...shards })
  }
  return { store, flushed: () => flushed }
}

/** The event source over the one shard above, forked into the test's scope, with the processor `handler`. */
const startSource = (
  positions: PositionStore,
  handler: () => Promise<{ batchItemFailures: Array<{ itemIdentifier: string }> }>,
  stopWaitEnds?: Promise<void>
) =>
  Effect.forkScoped(
    runKinesisEventSource({
      kinesis,
      stream: { name: "s", arn: "arn:aws:kinesis:us-east-1:1:stream/s", region: "us-east-1" },
      settings: { batchSize: 500, batchingWindowMillis: 0, maximumRetryAttempts: 1, bisectOnError: false },
      positions,
      stats: makeLiveStats(),
      handler,
      onFailure: () => Effect.void,
      ...(stopWaitEnds === undefined ? {} : { stopWaitEnds })
    }).pipe(Effect.scoped)
  )

describe("stopping the Kinesis event source (Ctrl-C, SIGTERM)", () => {
  it.live(
    "saves the position of the batch the processor was running when the stop came, instead of having it published again on restart",
    () =>
      Effect.gen(function* () {
        const positions = flushedPositions()
        let invoked = false
        let published = false
        // the processor: publishes the batch's events, which takes a moment
        const fiber = yield* startSource(positions.store, async () => {
          invoked = true
          await new Promise((resolve) => setTimeout(resolve, 300))
          published = true
          return { batchItemFailures: [] }
        })
        while (!invoked) yield* Effect.sleep(10)
        yield* Fiber.interrupt(fiber)
        // the handler's promise is not cancelled: it goes on publishing while the run stops
        yield* Effect.sleep(500)
        expect(published).toBe(true)
        // so the saved position must include its batch, or the next run publishes it a second time
        expect(positions.flushed()).toEqual({ "shardId-0": "3" })
      }).pipe(Effect.scoped)
  )

  it.live(
    "stops waiting for the batch under way when the run's own emulator exits (a Ctrl-C in a terminal reaches it too): the batch cannot finish",
    () =>
      Effect.gen(function* () {
        const positions = flushedPositions()
        let invoked = false
        let emulatorGone!: () => void
        const exited = new Promise<void>((resolve) => {
          emulatorGone = resolve
        })
        // the processor: its calls to the dead emulator are retried, paced by its breaker
        const fiber = yield* startSource(
          positions.store,
          async () => {
            invoked = true
            await new Promise((resolve) => setTimeout(resolve, 8_000))
            return { batchItemFailures: [{ itemIdentifier: "1" }] }
          },
          exited
        )
        while (!invoked) yield* Effect.sleep(10)
        const started = Date.now()
        emulatorGone()
        yield* Fiber.interrupt(fiber)
        expect(Date.now() - started).toBeLessThan(2_000)
        expect(positions.flushed()).toEqual({})
      }).pipe(Effect.scoped),
    { timeout: 15_000 }
  )
})
