import { eventIdOf, kinesisIdentity } from "@cdc/domain/EventId"
import { it } from "@effect/vitest"
import * as Effect from "effect/Effect"
import * as Exit from "effect/Exit"
import * as Fiber from "effect/Fiber"
import { describe, expect } from "vitest"
import { sampleLag } from "../../src/local/EventSourceMappings"
import { finish, producer, progressLine } from "../../src/local/LocalPipeline"
import { makeProgress } from "../../src/local/Progress"
import type { RunSummary } from "../../src/local/RunSummary"
import { UnaccountedChangesError } from "../../src/local/RunSummary"
import { advance, type FakeRun, fakeRun, settle } from "./fakeRunning"

/** Produces on a forked fiber, moving the TestClock until the producer is done. */
const produce = (run: FakeRun) =>
  Effect.gen(function* () {
    const fiber = yield* Effect.forkChild(producer(run.running))
    for (let i = 0; i < 100 && fiber.pollUnsafe() === undefined; i++) yield* advance(1_000)
    return yield* Fiber.join(fiber)
  })

describe("the producer", () => {
  it.effect("writes exactly --changes changes, each in the ledger and the live counts", () =>
    Effect.gen(function* () {
      // 20 per second: requests of 5, so 7 changes end with a short request of 2.
      const run = fakeRun({ changes: 7, rate: 20 })
      yield* produce(run)
      expect(run.written).toHaveLength(7)
      expect(run.running.stats.snapshot(0).totals.produced).toBe(7)
      expect(run.running.ledger.report({}).produced).toBe(7)
    })
  )

  it.effect("paces the changes at --rate per second", () =>
    Effect.gen(function* () {
      const run = fakeRun({ changes: 100, rate: 4 })
      yield* Effect.forkChild(producer(run.running))
      yield* settle
      yield* advance(2_000)
      // one change every 250 ms: at 0, 250, … 2,000 ms
      expect(run.written.length).toBeGreaterThanOrEqual(8)
      expect(run.written.length).toBeLessThanOrEqual(9)
    })
  )

  it.effect("with --rate 0, writes as fast as the stream accepts: many changes per request", () =>
    Effect.gen(function* () {
      const run = fakeRun({ changes: 1_000, rate: 0 })
      yield* produce(run)
      expect(run.written).toHaveLength(1_000)
      expect(run.requests()).toBeLessThan(100)
    })
  )

  it.effect("writes the same changes for the same --seed", () =>
    Effect.gen(function* () {
      const [a, b, c] = [
        fakeRun({ changes: 50, rate: 0, seed: 1 }),
        fakeRun({ changes: 50, rate: 0, seed: 1 }),
        fakeRun({ changes: 50, rate: 0, seed: 2 })
      ]
      for (const run of [a, b, c]) yield* produce(run)
      const keys = (run: FakeRun) => run.written.map((record) => record.partitionKey)
      expect(keys(a)).toEqual(keys(b))
      expect(keys(a)).not.toEqual(keys(c))
    })
  )
})

const publishAll = (run: FakeRun) => {
  for (let i = 1; i <= run.written.length; i++)
    run.running.ledger.published(eventIdOf(0, kinesisIdentity("shardId-000000000000", String(i))))
}
const quietProgress = makeProgress({ write: () => {}, isTTY: false, label: "cdc", now: () => 0 })
/** A run that started producing at once, at time 0 (TestClock). */
const startOfRun = { startedAt: 0, producingSince: 0 }
const summaryLines = (run: FakeRun) =>
  run.stdout
    .join("")
    .split("\n")
    .filter(Boolean)
    .map((line) => JSON.parse(line) as RunSummary)

describe("the progress line", () => {
  it.effect("counts this run's changes as published, as the summary does, and other events apart", () =>
    Effect.gen(function* () {
      const run = fakeRun({ changes: 3, rate: 0 })
      yield* produce(run)
      const arrived = (eventId: string) => {
        run.running.stats.eventArrived({ table: "users", eventType: "user.updated", eventId, detail: {} }, 0)
        run.running.ledger.published(eventId)
      }
      const ours = (n: number) => eventIdOf(0, kinesisIdentity("shardId-000000000000", String(n)))
      arrived(ours(1))
      arrived(ours(2))
      arrived(ours(2)) // an at-least-once duplicate
      arrived(eventIdOf(0, kinesisIdentity("shardId-000000000000", "900"))) // a record `cdc replay` wrote
      expect(progressLine(run.running, 0)).toBe("published 2 · other events 1 · dlq 0 · retried 0 · queued 0 · dlq depth 0")
      arrived(ours(3))
      expect(progressLine(run.running, 0)).toMatch(/^published 3 · other events 1 /)
    })
  )
})

describe("the queues on the progress line", () => {
  it.effect("counts as queued the consumer queues' messages alone, and the DLQ's depth apart", () =>
    Effect.gen(function* () {
      const run = fakeRun()
      run.wallboardsDepth = 3
      run.dlqDepth = 1_040
      const sampling = yield* Effect.forkChild(sampleLag(run.running))
      yield* advance(500)
      yield* Fiber.interrupt(sampling)
      // every count with thousands separators, as the count of changes produced before them
      expect(progressLine(run.running, 0)).toBe("published 0 · dlq 0 · retried 0 · queued 3 · dlq depth 1,040")
      const snapshot = run.running.stats.snapshot(0)
      expect([snapshot.lag.queues, snapshot.dlqDepth]).toEqual([{ wallboards: 3 }, 1_040])
    })
  )
})

describe("the end of a run", () => {
  it.effect("with --exit-when-drained, prints the summary once every change arrived", () =>
    Effect.gen(function* () {
      const run = fakeRun({ changes: 3, rate: 0, exitWhenDrained: true })
      const producing = yield* Effect.forkChild(producer(run.running).pipe(Effect.orDie))
      const finishing = yield* Effect.forkChild(Effect.scoped(finish(run.running, producing, quietProgress, startOfRun)))
      yield* advance(1_000)
      expect(finishing.pollUnsafe()).toBeUndefined()
      publishAll(run)
      yield* advance(1_000)
      const summary = yield* Fiber.join(finishing)
      expect(summary).toMatchObject({ produced: 3, published: 3, unaccounted: 0 })
      expect(summaryLines(run)).toEqual([summary])
    })
  )

  /**
   * The progress lines of a run whose changes all arrive after the bar's last redraw, ended by
   * `end` (a CI log: plain lines, and the bar's own once-a-second update never comes again).
   */
  const progressAtTheEnd = (
    options: Parameters<typeof fakeRun>[0],
    end: (finishing: Fiber.Fiber<unknown, unknown>) => Effect.Effect<unknown, unknown>
  ) =>
    Effect.gen(function* () {
      const run = fakeRun(options)
      const lines: Array<string> = []
      const progress = makeProgress({ write: (text) => lines.push(text), isTTY: false, label: "cdc", counted: "produced", now: Date.now })
      const producing = yield* Effect.forkChild(producer(run.running).pipe(Effect.orDie))
      const finishing = yield* Effect.forkChild(Effect.scoped(finish(run.running, producing, progress, startOfRun)))
      yield* advance(1_000)
      publishAll(run)
      yield* end(finishing)
      return { lines, summaries: summaryLines(run) }
    })

  it.effect("with --exit-when-drained, the progress ends on the counts of the summary, not those of up to a second before", () =>
    Effect.gen(function* () {
      const { lines } = yield* progressAtTheEnd({ changes: 3, rate: 0, exitWhenDrained: true }, (finishing) =>
        Effect.andThen(advance(1_000), Fiber.join(finishing))
      )
      expect(lines.at(-1)).toBe(
        "cdc [████████████████████████████] 100% produced 3/3 · published 3 · dlq 0 · retried 0 · queued 0 · dlq depth 0\n"
      )
    })
  )

  it.effect("with --exit-when-drained, fails naming the changes that never arrived, after printing the summary", () =>
    Effect.gen(function* () {
      const run = fakeRun({ changes: 3, rate: 0, exitWhenDrained: true, drainTimeoutSeconds: 2 })
      const producing = yield* Effect.forkChild(producer(run.running).pipe(Effect.orDie))
      const finishing = yield* Effect.forkChild(Effect.scoped(finish(run.running, producing, quietProgress, startOfRun)))
      yield* advance(5_000)
      const exit = yield* Fiber.await(finishing)
      expect(exit).toEqual(
        Exit.fail(
          new UnaccountedChangesError({
            unaccounted: 3,
            sample: ["1", "2", "3"].map((n) => `shardId-000000000000:${n}`),
            logFile: "functions.log"
          })
        )
      )
      expect(summaryLines(run)).toMatchObject([{ produced: 3, unaccounted: 3 }])
    })
  )

  it.effect(
    "with --exit-when-drained, says what it stopped waiting for on the DLQ, and paces the changes until every one was accounted for",
    () =>
      Effect.gen(function* () {
        const run = fakeRun({ changes: 3, rate: 0, exitWhenDrained: true, drainTimeoutSeconds: 2 })
        // messages an earlier run on the same emulator left in flight: nothing this run does moves them
        run.dlqDepth = 4
        const producing = yield* Effect.forkChild(producer(run.running).pipe(Effect.orDie))
        const finishing = yield* Effect.forkChild(Effect.scoped(finish(run.running, producing, quietProgress, startOfRun)))
        yield* advance(1_000)
        publishAll(run)
        yield* advance(5_000)
        const summary = yield* Fiber.join(finishing)
        // accounted for at 1.5 s (the drain's first look after the publish), the drain given up at 4 s
        expect(summary).toMatchObject({ produced: 3, published: 3, unaccounted: 0, elapsedSeconds: 4, changesPerSecond: 2 })
        expect(run.stderr).toEqual([
          "cdc: 4 message(s) still on the DLQ after 2 s without progress (e.g. in flight from an earlier run stopped on this emulator: back after the queue's visibility timeout); the summary does not count them\n"
        ])
      })
  )

  it.effect("without --exit-when-drained, prints the summary when stopped (Ctrl-C), and only when headless", () =>
    Effect.gen(function* () {
      for (const headless of [true, false]) {
        const run = fakeRun({ changes: 2, rate: 0, headless })
        const producing = yield* Effect.forkChild(producer(run.running).pipe(Effect.orDie))
        const finishing = yield* Effect.forkChild(Effect.scoped(finish(run.running, producing, quietProgress, startOfRun)))
        yield* advance(1_000)
        expect(run.stdout).toEqual([])
        yield* Fiber.interrupt(finishing)
        expect(summaryLines(run)).toEqual(headless ? [expect.objectContaining({ produced: 2 })] : [])
      }
    })
  )

  it.effect("with --exit-when-drained, prints the summary when stopped (Ctrl-C) while draining, as a headless run does", () =>
    Effect.gen(function* () {
      const run = fakeRun({ changes: 2, rate: 0, headless: true, exitWhenDrained: true })
      const producing = yield* Effect.forkChild(producer(run.running).pipe(Effect.orDie))
      const finishing = yield* Effect.forkChild(Effect.scoped(finish(run.running, producing, quietProgress, startOfRun)))
      yield* advance(1_000)
      expect(run.stdout).toEqual([])
      yield* Fiber.interrupt(finishing)
      expect(summaryLines(run)).toEqual([expect.objectContaining({ produced: 2, unaccounted: 2 })])
    })
  )

  it.effect("when stopped (Ctrl-C), the progress ends on the counts the run ends on, not those of its last redraw", () =>
    Effect.gen(function* () {
      const { lines, summaries } = yield* progressAtTheEnd({ changes: 2, rate: 0, headless: true }, Fiber.interrupt)
      expect(lines.at(-1)).toBe(
        "cdc [████████████████████████████] 100% produced 2/2 · published 2 · dlq 0 · retried 0 · queued 0 · dlq depth 0\n"
      )
      expect(summaries).toEqual([expect.objectContaining({ produced: 2, published: 2 })])
    })
  )

  it.effect("when stopped (Ctrl-C) on a terminal, ends the progress line before anything else is printed", () =>
    Effect.gen(function* () {
      for (const headless of [true, false]) {
        const run = fakeRun({ changes: 2, rate: 0, headless })
        // stdout and stderr share the terminal: the progress bar is drawn where the summary is printed
        const progress = makeProgress({ write: (text) => run.stdout.push(text), isTTY: true, label: "cdc", now: Date.now })
        const producing = yield* Effect.forkChild(producer(run.running).pipe(Effect.orDie))
        const finishing = yield* Effect.forkChild(Effect.scoped(finish(run.running, producing, progress, startOfRun)))
        yield* advance(1_000)
        progress.update(2, 2)
        yield* Fiber.interrupt(finishing)
        const [bar, ...after] = run.stdout.join("").split("\n")
        expect(bar?.startsWith("\r\x1b[2Kcdc [")).toBe(true)
        expect(after).toEqual(headless ? [expect.stringMatching(/^\{"produced":2,/), ""] : [""])
      }
    })
  )
})
