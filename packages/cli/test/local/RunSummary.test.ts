import { eventIdOf, kinesisIdentity } from "@cdc/domain/EventId"
import { it } from "@effect/vitest"
import * as Effect from "effect/Effect"
import { describe, expect } from "vitest"
import type { SimulatedRecord } from "../../src/local/ChangeSimulator"
import { drain, summarize, UnaccountedChangesError } from "../../src/local/RunSummary"
import { advance, fakeRun } from "./fakeRunning"

const shardId = "shardId-000000000000"
const record = (expect: SimulatedRecord["expect"]): SimulatedRecord => ({
  partitionKey: "users-1",
  data: "{}",
  table: "users",
  kind: "data",
  expect
})
const at = (sequenceNumber: string) => ({ shardId, sequenceNumber })
const publishedEvent = (sequenceNumber: string) => eventIdOf(1_700_000_000_000, kinesisIdentity(shardId, sequenceNumber))

describe("summarize", () => {
  it("says where every change went, with the processor's and the pollers' own figures", () => {
    const { running } = fakeRun({}, { cdc_skipped_duplicate: 3 })
    const { ledger, stats, positions } = running
    ledger.produced([record("publish"), record("reject"), record("skip"), record("publish")], ["1", "2", "3", "4"].map(at))
    ledger.published(publishedEvent("1"))
    stats.dlqArrived(ledger.deadLettered(JSON.stringify({ kind: "cdc.dead-letter", reason: "invalid-json", coordinates: at("2") })))
    // a schema-drift notice is on the DLQ too, but its record was published
    stats.dlqArrived(ledger.deadLettered(JSON.stringify({ kind: "cdc.schema-drift", reason: "undeclared-columns", coordinates: at("1") })))
    positions.acknowledge(shardId, "3")
    stats.retried(2)
    const arrived = { table: "users", eventType: "user.created", eventId: publishedEvent("1"), detail: {} }
    stats.eventArrived(arrived, 0)
    stats.eventArrived(arrived, 0)
    expect(summarize(running, { startedAt: 1_000, producingSince: 1_000 }, 3_500)).toEqual({
      produced: 4,
      published: 1,
      deadLettered: 1,
      skipped: 1,
      dlq: { total: 2, byReason: { "invalid-json": 1, "undeclared-columns": 1 } },
      duplicatesSkipped: 3,
      duplicateDeliveries: 1,
      retried: 2,
      unaccounted: 1,
      unexpected: 0,
      elapsedSeconds: 2.5,
      // 3 changes accounted for in 2.5 s; the unaccounted one adds nothing
      changesPerSecond: 1
    })
    // the Wallboard separates them as the summary does: one record dead-lettered, one notice, two DLQ messages
    expect(stats.snapshot(3_500).totals).toMatchObject({ deadLettered: 1, driftNotices: 1, dlq: 2 })
  })

  /** A run whose `count` changes were all published. */
  const allPublished = (count: number) => {
    const { running } = fakeRun()
    const placed = Array.from({ length: count }, (_, i) => at(String(100 + i)))
    running.ledger.produced(
      placed.map(() => record("publish")),
      placed
    )
    for (const p of placed) running.ledger.published(publishedEvent(p.sequenceNumber))
    return running
  }

  it("paces the changes from the first one produced, without the emulator's start-up, which the elapsed time keeps", () => {
    const running = allPublished(200)
    // 12 s of start-up and provisioning, then 200 changes in 10 s
    expect(summarize(running, { startedAt: 1_000, producingSince: 13_000 }, 23_000)).toMatchObject({
      produced: 200,
      published: 200,
      elapsedSeconds: 22,
      changesPerSecond: 20
    })
    // no time at all: every change in an instant
    expect(summarize(running, { startedAt: 0, producingSince: 0 }, 0).changesPerSecond).toBe(200)
  })

  it("paces the changes until every one was accounted for, not until the DLQ worker's last archive", () => {
    const running = allPublished(100)
    // 100 changes accounted for 10 s after the first was produced; the drain then waited 60 s more on the DLQ
    expect(summarize(running, { startedAt: 0, producingSince: 2_000 }, 72_000, 12_000)).toMatchObject({
      elapsedSeconds: 72,
      changesPerSecond: 10
    })
  })

  it("gives a run that accounted for nothing no pace, however fast it produced", () => {
    const { running } = fakeRun()
    running.ledger.produced([record("publish"), record("publish")], [at("1"), at("2")])
    expect(summarize(running, { startedAt: 0, producingSince: 0 }, 1_000)).toMatchObject({ unaccounted: 2, changesPerSecond: 0 })
  })
})

describe("the unaccounted-changes error", () => {
  it("points at what outlives the run's emulator: the functions' log and a longer drain", () => {
    const error = new UnaccountedChangesError({
      unaccounted: 2,
      sample: [`${shardId}:7`, `${shardId}:9`],
      logFile: ".cdc/logs/functions.log"
    })
    expect(error.message).toBe(
      `2 change(s) unaccounted for after draining, e.g. ${shardId}:7, ${shardId}:9 (shard:sequence); the functions' log is .cdc/logs/functions.log, and a longer --drain-timeout gives a slow emulator more time`
    )
  })
})

describe("drain", () => {
  it.effect("waits for the DLQ worker to empty the DLQ, even once every change is accounted for", () =>
    Effect.gen(function* () {
      const run = fakeRun()
      run.running.ledger.produced([record("publish")], [at("1")])
      run.running.ledger.published(publishedEvent("1"))
      run.dlqDepth = 2
      const fiber = yield* Effect.forkChild(drain(run.running))
      yield* advance(10_000)
      expect(fiber.pollUnsafe()).toBeUndefined()
      run.dlqDepth = 0
      yield* advance(1_000)
      expect(fiber.pollUnsafe()).toBeDefined()
    })
  )

  it.effect("gives up after the drain timeout without progress; progress restarts the wait", () =>
    Effect.gen(function* () {
      const run = fakeRun({ drainTimeoutSeconds: 5 })
      run.running.ledger.produced([record("publish"), record("publish")], [at("1"), at("2")])
      const fiber = yield* Effect.forkChild(drain(run.running))
      yield* advance(4_200)
      expect(fiber.pollUnsafe()).toBeUndefined()
      run.running.ledger.published(publishedEvent("1"))
      yield* advance(5_000) // 9.2 s: 5 s after the start, but not after the progress
      expect(fiber.pollUnsafe()).toBeUndefined()
      yield* advance(1_800)
      expect(fiber.pollUnsafe()).toBeDefined()
    })
  )

  it.effect("says when every change was accounted for, and how many messages the DLQ still held when it stopped waiting", () =>
    Effect.gen(function* () {
      const run = fakeRun({ drainTimeoutSeconds: 5 })
      run.running.ledger.produced([record("publish")], [at("1")])
      // messages an earlier run received and never deleted: in flight, they do not move
      run.dlqDepth = 3
      const fiber = yield* Effect.forkChild(drain(run.running))
      yield* advance(2_000)
      run.running.ledger.published(publishedEvent("1"))
      yield* advance(4_000)
      expect(fiber.pollUnsafe()).toBeUndefined()
      yield* advance(2_000)
      const exit = fiber.pollUnsafe()
      expect(exit?._tag).toBe("Success")
      // accounted for at the drain's first look after the publish (it looks every 500 ms)
      expect(exit?._tag === "Success" ? exit.value : undefined).toEqual({ accountedAt: 2_500, dlqLeft: 3 })
    })
  )

  it.effect("counts the DLQ worker's progress as progress: a long DLQ is waited for while it shrinks", () =>
    Effect.gen(function* () {
      const run = fakeRun({ drainTimeoutSeconds: 5 })
      run.running.ledger.produced([record("publish")], [at("1")])
      run.running.ledger.published(publishedEvent("1"))
      run.dlqDepth = 40
      const fiber = yield* Effect.forkChild(drain(run.running))
      // one message archived every 2 s: 20 s, four times the drain timeout
      for (let left = 39; left > 0; left -= 4) {
        yield* advance(2_000)
        run.dlqDepth = left
      }
      expect(fiber.pollUnsafe()).toBeUndefined()
      run.dlqDepth = 0
      yield* advance(1_000)
      const exit = fiber.pollUnsafe()
      expect(exit?._tag === "Success" ? exit.value : undefined).toEqual({ accountedAt: 0, dlqLeft: 0 })
    })
  )
})
