/**
 * The end of a headless `cdc start`: waiting until every produced change is accounted for, and the
 * one-line JSON summary that says where each change went.
 */
import * as Clock from "effect/Clock"
import * as Data from "effect/Data"
import * as Effect from "effect/Effect"
import { queueDepth } from "./EventSourceMappings"
import type { Running } from "./Running"

/** The headless run's one-line JSON summary. */
export interface RunSummary {
  readonly produced: number
  readonly published: number
  /** Produced records that reached the DLQ (by coordinates); `produced = published + deadLettered + skipped + unaccounted`. */
  readonly deadLettered: number
  readonly skipped: number
  readonly dlq: { readonly total: number; readonly byReason: Readonly<Record<string, number>> }
  /** Records the processor skipped as at or below its checkpoint (from its EMF metrics). */
  readonly duplicatesSkipped: number
  /** Events that reached the tap queue more than once (at-least-once delivery). */
  readonly duplicateDeliveries: number
  /** Records the event source poller delivered again after `batchItemFailures`. */
  readonly retried: number
  readonly unaccounted: number
  readonly unexpected: number
  /** The whole run: emulator start-up and provisioning included. */
  readonly elapsedSeconds: number
  /**
   * Changes accounted for (published, dead-lettered, skipped) per second, from the first change
   * produced to the end of the run (with `--exit-when-drained`, until every change was accounted
   * for): the pipeline's pace, without the emulator's start-up. Changes still unaccounted for
   * add nothing: a run that processed nothing has no pace.
   */
  readonly changesPerSecond: number
}

/** Some changes were neither published, nor dead-lettered, nor meant to be skipped. */
export class UnaccountedChangesError extends Data.TaggedError("UnaccountedChangesError")<{
  readonly unaccounted: number
  readonly sample: ReadonlyArray<string>
  /** The functions' log of the run, where a stuck batch shows. */
  readonly logFile: string
}> {
  readonly category = "permanent" as const
  readonly retryable = false
  override get message(): string {
    // the run's emulator has stopped by now: point at what outlives it
    return `${this.unaccounted} change(s) unaccounted for after draining, e.g. ${this.sample.join(", ")} (shard:sequence); the functions' log is ${this.logFile}, and a longer --drain-timeout gives a slow emulator more time`
  }
}

/** When the run started, and when its first change was produced (after start-up and provisioning). */
export interface RunClock {
  readonly startedAt: number
  readonly producingSince: number
}

/**
 * Where the run's changes went, from the ledger, the live statistics and the processor's metrics,
 * at `now`; the pace runs until `accountedAt` when the drain saw every change accounted for (the
 * DLQ worker's last archives and alerts are waited for after it, and are not the pipeline's pace).
 */
export const summarize = (running: Running, clock: RunClock, now: number, accountedAt: number = now): RunSummary => {
  const report = running.ledger.report(running.positions.snapshot())
  const snapshot = running.stats.snapshot(now)
  const metrics = running.logs.metrics()
  const seconds = (since: number, until = now) => Math.round((until - since) / 100) / 10
  const producingSeconds = seconds(clock.producingSince, accountedAt)
  const accounted = report.produced - report.unaccounted
  return {
    produced: report.produced,
    published: report.published,
    deadLettered: report.deadLettered,
    skipped: report.skipped,
    dlq: { total: snapshot.totals.dlq, byReason: snapshot.dlqByReason },
    duplicatesSkipped: metrics.cdc_skipped_duplicate ?? 0,
    duplicateDeliveries: snapshot.totals.duplicatesDelivered,
    retried: snapshot.totals.retries,
    unaccounted: report.unaccounted,
    unexpected: report.unexpected,
    elapsedSeconds: seconds(clock.startedAt),
    changesPerSecond: producingSeconds > 0 ? Math.round(accounted / producingSeconds) : accounted
  }
}

/** How a drain ended. */
export interface Drained {
  /** When every produced change was first seen accounted for; undefined when that never happened. */
  readonly accountedAt: number | undefined
  /** Messages still on the DLQ (in flight included) when the drain stopped waiting: 0 when it was empty. */
  readonly dlqLeft: number
}

/**
 * Why a drain stopped waiting with messages on the DLQ: most often messages an earlier run on the
 * same emulator received and never deleted (stopped by a signal), which SQS hides until their
 * visibility timeout has passed.
 */
export const dlqLeftNote = (messages: number, drainTimeoutSeconds: number) =>
  `cdc: ${messages} message(s) still on the DLQ after ${drainTimeoutSeconds} s without progress (e.g. in flight from an earlier run stopped on this emulator: back after the queue's visibility timeout); the summary does not count them`

/**
 * Waits until every produced change is accounted for and the DLQ is empty (the DLQ worker done
 * with this run's dead letters), or until neither has moved for the drain timeout.
 *
 * @example
 * ```ts
 * const { accountedAt, dlqLeft } = yield* drain(running)
 * ```
 */
export const drain = (running: Running) =>
  Effect.gen(function* () {
    let lastUnaccounted = Number.POSITIVE_INFINITY
    let lastDepth = Number.POSITIVE_INFINITY
    let lastProgress = yield* Clock.currentTimeMillis
    let accountedAt: number | undefined
    while (true) {
      const now = yield* Clock.currentTimeMillis
      const { unaccounted } = running.ledger.report(running.positions.snapshot())
      // the DLQ is looked at once nothing else is awaited (the worker then finishes this run's dead letters)
      const depth = unaccounted === 0 ? yield* queueDepth(running.clients, running.provisioned.dlq.url) : Number.POSITIVE_INFINITY
      if (unaccounted === 0) accountedAt ??= now
      if (depth === 0) return { accountedAt, dlqLeft: 0 } satisfies Drained
      if (unaccounted < lastUnaccounted || depth < lastDepth) {
        lastUnaccounted = unaccounted
        lastDepth = depth
        lastProgress = now
      } else if (now - lastProgress > running.options.drainTimeoutSeconds * 1000)
        return { accountedAt, dlqLeft: Number.isFinite(depth) ? depth : 0 } satisfies Drained
      yield* Effect.sleep(500)
    }
  })
