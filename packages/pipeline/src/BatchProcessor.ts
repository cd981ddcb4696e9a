/**
 * The batch program: one Lambda Kinesis batch → EventBridge, with checkpoints and the DLQ.
 *
 * Per shard (shards run concurrently; within a shard everything is in sequence order):
 * 1. skip records at or below the shard's checkpoint (one read for all shards of the batch); if
 *    the checkpoints cannot be read, publish nothing and leave the batch to Lambda's retry (see
 *    {@link unreadShard});
 * 2. take the rest in windows of {@link recordWindow} records (a Stream over the batch), and run
 *    each window through the whole sequence (./ShardWindow) before the next is looked at, so the
 *    program holds one window's entries and outcomes per shard, not the batch's:
 *    a. the record path: `Publish`, `Filtered` or `Dead` (poison, unknown table, oversized);
 *    b. dead-letter the window's `Dead` ones first, so a poison record never blocks the shard;
 *       if the DLQ itself fails, nothing from that record on is published;
 *    c. publish the `Publish` entries in PutEvents requests (≤ 10 entries, ≤ 256 KB, one entry
 *       per key, see ./Chunker) through the circuit breaker and the `eventbridge-publish` retry
 *       policy; per-entry failures are retried if retryable, dead-lettered (`publish-rejected`)
 *       if not; publishing stops after the first request that still has unfinished entries;
 * 3. stop the shard after the first window that leaves a record unhandled: later windows are
 *    not even run through the record path;
 * 4. report the EARLIEST unhandled record of the shard in `batchItemFailures` (Lambda retries
 *    the shard from there) and move the checkpoint to the record just before it, with a single
 *    conditional write per shard per batch, after the last window.
 *
 * Given the invocation's end (`endsAt`, from Lambda's remaining time), the batch returns before
 * it, whatever the calls cost: once {@link wrapUpMillis} are all that is left, a shard starts no
 * DLQ send or PutEvents request and interrupts the one it is in, whose records stay unhandled, as
 * after a failed call: the shard stops there, what it handled before is checkpointed and the rest
 * is reported for Lambda's retry. The checkpoint writes and notices get the time up to the last
 * {@link maxRetryPaceMillis}. Without this, a slow or failing dependency could run the function
 * into its timeout: Lambda would then retry the whole batch, checkpoint unwritten.
 *
 * Schema drift (withheld undeclared columns, DDL control records) yields one `cdc.schema-drift`
 * message per table, reason and column set per batch (sightings in windows the shard never
 * reached are seen again on Lambda's retry); the records themselves are still handled.
 *
 * @example
 * ```ts
 * const { batchItemFailures } = yield* processBatch(event.Records)
 * ```
 */
import type { KinesisStreamRecord } from "aws-lambda"
import * as Clock from "effect/Clock"
import * as Effect from "effect/Effect"
import * as Metric from "effect/Metric"
import * as Stream from "effect/Stream"
import { endingByOr, type Limits, limitsOf, maxRetryPaceMillis } from "./BatchTime"
import { CheckpointStore, type ShardRef, shardKey } from "./CheckpointStore"
import { PublishBreaker } from "./CircuitBreaker"
import type { DeadLetterMessage } from "./DeadLetter"
import type { DeadLetterQueue } from "./DeadLetterQueue"
import { publishDeadLetters, schemaDriftNotice } from "./DeadLetters"
import type { EventBus } from "./EventBus"
import * as Metrics from "./Metrics"
import type { RecordPath } from "./RecordPath"
import { type RetryPolicies, retrying } from "./RetryPolicy"
import { compareSequenceNumbers } from "./SequenceNumber"
import type { DriftSighting } from "./ShardItems"
import { processWindow, recordWindow, type WindowReport } from "./ShardWindow"

export interface ShardReport {
  readonly shard: ShardRef
  readonly received: number
  readonly duplicates: number
  readonly published: number
  readonly filtered: ReadonlyMap<string, number>
  readonly deadLettered: ReadonlyMap<string, number>
  /** The sequence number reported in `batchItemFailures`, if any. */
  readonly firstFailure: string | undefined
  readonly leftForRetry: number
  readonly checkpoint: "advanced" | "stale" | "unchanged" | "failed"
  readonly drift: ReadonlyArray<DriftSighting>
  /** The shard stopped because the batch's time ran out (not because a dependency failed). */
  readonly outOfTime: boolean
}

export { maxRetryPaceMillis, wrapUpMillis } from "./BatchTime"

export interface BatchSummary {
  readonly records: number
  readonly shards: number
  readonly published: number
  readonly duplicates: number
  readonly filtered: number
  readonly deadLettered: number
  readonly schemaDriftNotices: number
  readonly leftForRetry: number
  readonly failedShards: number
  readonly latencyMillis: number
}

export interface BatchResult {
  readonly batchItemFailures: ReadonlyArray<{ readonly itemIdentifier: string }>
  readonly shards: ReadonlyArray<ShardReport>
  readonly summary: BatchSummary
}

export type BatchServices = RecordPath | EventBus | CheckpointStore | DeadLetterQueue | RetryPolicies | PublishBreaker

/** Lambda's `eventID` is `<shardId>:<sequenceNumber>`. */
export const shardOf = (record: KinesisStreamRecord): ShardRef => ({
  streamArn: record.eventSourceARN,
  shardId: record.eventID.slice(0, record.eventID.lastIndexOf(":")) || record.eventID
})

const iso = (millis: number) => new Date(millis).toISOString()

const driftKey = (s: DriftSighting) => JSON.stringify([s.table, s.reason, [...s.columns].sort()])

const addCounts = (into: Map<string, number>, counts: ReadonlyMap<string, number>) => {
  for (const [key, n] of counts) into.set(key, (into.get(key) ?? 0) + n)
}

/** What a shard's windows add up to; the outcomes of each window are gone by then. */
interface ShardTally {
  published: number
  handled: number
  readonly filtered: Map<string, number>
  readonly deadLettered: Map<string, number>
  /** The first sighting of each (table, reason, columns): enough for the batch's notices. */
  readonly drift: Map<string, DriftSighting>
  lastHandled: string | undefined
  firstUnhandled: string | undefined
}

const emptyTally = (): ShardTally => ({
  published: 0,
  handled: 0,
  filtered: new Map(),
  deadLettered: new Map(),
  drift: new Map(),
  lastHandled: undefined,
  firstUnhandled: undefined
})

const addWindow = (tally: ShardTally, window: WindowReport): ShardTally => {
  tally.published += window.published
  tally.handled += window.size - window.leftForRetry
  addCounts(tally.filtered, window.filtered)
  addCounts(tally.deadLettered, window.deadLettered)
  for (const sighting of window.drift) if (!tally.drift.has(driftKey(sighting))) tally.drift.set(driftKey(sighting), sighting)
  tally.lastHandled = window.lastHandled ?? tally.lastHandled
  tally.firstUnhandled = window.firstUnhandled
  return tally
}

const processShard = (
  shard: ShardRef,
  records: ReadonlyArray<KinesisStreamRecord>,
  checkpoint: string | undefined,
  now: number,
  limits: Limits
) =>
  Effect.gen(function* () {
    const fresh = records.filter((r) => checkpoint === undefined || compareSequenceNumbers(r.kinesis.sequenceNumber, checkpoint) > 0)
    let outOfTime = false
    // Window by window; the shard stops after the first window that leaves a record unhandled
    // (a window the batch's time ran out in does).
    const tally = yield* Stream.fromIterable(fresh).pipe(
      Stream.grouped(recordWindow),
      Stream.mapEffect((window) => processWindow(shard, window, now, limits.shards)),
      Stream.tap((window) =>
        Effect.sync(() => {
          outOfTime ||= window.outOfTime
        })
      ),
      Stream.takeUntil((window) => window.firstUnhandled !== undefined),
      Stream.runFold(emptyTally, addWindow)
    )
    if (outOfTime)
      yield* Effect.logWarning("batch out of time; the rest of the shard is left for Lambda's retry").pipe(
        Effect.annotateLogs({ shardId: shard.shardId, leftForRetry: fresh.length - tally.handled })
      )

    // The earliest unhandled record is where Lambda resumes; the checkpoint stops just before it.
    const store = yield* CheckpointStore
    const written = (error: { readonly code: string } | undefined) =>
      Effect.as(
        Effect.logWarning("checkpoint write failed; a retry will republish with the same event ids", {
          code: error?.code ?? "out-of-time"
        }),
        "failed" as const
      )
    const checkpointResult =
      tally.lastHandled === undefined
        ? "unchanged"
        : yield* endingByOr(limits.wrapUp, retrying("dynamodb-write", store.advance(shard, tally.lastHandled)), () =>
            written(undefined)
          ).pipe(Effect.catch(written))
    const report: ShardReport = {
      shard,
      received: records.length,
      duplicates: records.length - fresh.length,
      published: tally.published,
      filtered: tally.filtered,
      deadLettered: tally.deadLettered,
      firstFailure: tally.firstUnhandled,
      leftForRetry: fresh.length - tally.handled,
      checkpoint: checkpointResult,
      drift: [...tally.drift.values()],
      outOfTime
    }
    return report
  }).pipe(Effect.withSpan("cdc.shard", { attributes: { "cdc.shard": shard.shardId, "cdc.records": records.length } }))

/**
 * A shard whose checkpoint could not be read is not published: it is left whole for Lambda's
 * retry. Published without its checkpoint, it would republish records an earlier invocation had
 * already published and checkpointed (one killed after its checkpoint write). Should this one
 * then stop early (a PutEvents outage, a kill), the next invocation would skip, as at or below the
 * checkpoint, the newer changes that had followed those records, and a consumer would end on the
 * older change of a key (A, B, A). Unpublished, the batch comes again from its first record.
 */
const unreadShard = (shard: ShardRef, records: ReadonlyArray<KinesisStreamRecord>): ShardReport => ({
  shard,
  received: records.length,
  duplicates: 0,
  published: 0,
  filtered: new Map(),
  deadLettered: new Map(),
  firstFailure: records[0]?.kinesis.sequenceNumber,
  leftForRetry: records.length,
  checkpoint: "unchanged",
  drift: [],
  outOfTime: false
})

/** One schema-drift notice per table, reason and column set. */
const driftNotices = (sightings: ReadonlyArray<DriftSighting>, at: string): ReadonlyArray<DeadLetterMessage> => {
  const seen = new Map<string, DeadLetterMessage>()
  for (const s of sightings) {
    const key = driftKey(s)
    if (!seen.has(key))
      seen.set(key, schemaDriftNotice({ table: s.table, columns: s.columns, reason: s.reason, coordinates: s.coordinates, at }))
  }
  return [...seen.values()]
}

const sum = (reports: ReadonlyArray<ShardReport>, f: (r: ShardReport) => number) => reports.reduce((t, r) => t + f(r), 0)
const mapTotal = (m: ReadonlyMap<string, number>) => [...m.values()].reduce((t, n) => t + n, 0)

const recordMetrics = (records: number, reports: ReadonlyArray<ShardReport>, driftSent: number) =>
  Effect.all([
    Metric.update(Metrics.recordsIn, records),
    Metric.update(
      Metrics.published,
      sum(reports, (r) => r.published)
    ),
    Metric.update(
      Metrics.skippedDuplicate,
      sum(reports, (r) => r.duplicates)
    ),
    Metric.update(
      Metrics.leftForRetry,
      sum(reports, (r) => r.leftForRetry)
    ),
    Metric.update(Metrics.schemaDrift, driftSent),
    ...reports.flatMap((r) => [
      ...[...r.filtered].map(([reason, n]) => Metric.update(Metric.withAttributes(Metrics.filtered, { reason }), n)),
      ...[...r.deadLettered].map(([reason, n]) => Metric.update(Metric.withAttributes(Metrics.deadLettered, { reason }), n))
    ])
  ])

/**
 * When shards stopped on a failed dependency, the invocation returns only after a pace: while
 * the bus's circuit is open, until it would let a trial call through (at most its reset
 * timeout); otherwise (entries the bus still throttled after their retries, a DLQ that refused,
 * a call that failed while the circuit stayed closed) {@link maxRetryPaceMillis}. Lambda retries
 * a stream batch as soon as it sees the failure, and each retry spends one of
 * `maximumRetryAttempts`: failing within a second or two of each other, they would all be spent
 * within a minute of an outage, and the batch given up to the DLQ (breaking per-entity order
 * until redriven). Paced, the retries outlast an outage of at least `maximumRetryAttempts` × the
 * pace. The pace is capped at {@link maxRetryPaceMillis}, which the function's timeout budget
 * includes; a batch that only ran out of time is not paced.
 */
const paceRetry = (limits: Limits, dependencyFailed: boolean, maxPace: number) =>
  Effect.gen(function* () {
    const now = yield* Clock.currentTimeMillis
    const untilTrial = yield* (yield* PublishBreaker).untilTrial
    const pace = untilTrial > 0 ? untilTrial : dependencyFailed ? maxPace : 0
    const wait = Math.max(0, Math.min(pace, maxPace, limits.end - now))
    if (wait === 0) return
    yield* Effect.logWarning(
      untilTrial > 0 ? "event bus circuit open; pacing Lambda's retry until its next trial" : "a dependency failed; pacing Lambda's retry"
    ).pipe(Effect.annotateLogs({ waitMillis: wait }))
    yield* Effect.sleep(wait)
  })

export interface BatchOptions {
  /**
   * When the invocation must have returned (epoch millis, as Effect's Clock reads them): the
   * Lambda handler's start plus the context's remaining time, less a margin. Absent: no limit.
   */
  readonly endsAt?: number | undefined
  /**
   * The longest a batch whose shards stopped on a failed dependency waits before it returns (see
   * `paceRetry`); default {@link maxRetryPaceMillis}. Tests that run the handler on the real
   * clock set a short one; the pacing itself is tested on Effect's TestClock.
   */
  readonly retryPaceMillis?: number | undefined
}

/**
 * Processes one Lambda Kinesis batch; never fails (every problem ends in the DLQ or in
 * `batchItemFailures`), and returns by `options.endsAt`.
 */
export const processBatch = (
  records: ReadonlyArray<KinesisStreamRecord>,
  options: BatchOptions = {}
): Effect.Effect<BatchResult, never, BatchServices> =>
  Effect.gen(function* () {
    const started = yield* Clock.currentTimeMillis
    const limits = limitsOf(options.endsAt)
    const newestArrival = records.reduce((max, r) => Math.max(max, r.kinesis.approximateArrivalTimestamp * 1000), 0)
    if (records.length > 0) yield* Metric.update(Metrics.iteratorAge, Math.max(0, started - newestArrival))

    const byShard = new Map<string, { shard: ShardRef; records: Array<KinesisStreamRecord> }>()
    for (const record of records) {
      const shard = shardOf(record)
      const group = byShard.get(shardKey(shard)) ?? { shard, records: [] }
      group.records.push(record)
      byShard.set(shardKey(shard), group)
    }
    const groups = [...byShard.values()]
    const store = yield* CheckpointStore
    const unread = (code: string) =>
      Effect.as(Effect.logWarning("checkpoint read failed; the batch is left unpublished for Lambda's retry", { code }), undefined)
    const checkpoints = yield* endingByOr(
      limits.shards,
      retrying("state-update", store.read(groups.map((g) => g.shard))),
      (): Effect.Effect<ReadonlyMap<string, string> | undefined> => unread("out-of-time")
    ).pipe(Effect.catch((error) => unread(error.code)))
    const reports =
      checkpoints === undefined
        ? groups.map((g) => unreadShard(g.shard, g.records))
        : yield* Effect.forEach(groups, (g) => processShard(g.shard, g.records, checkpoints.get(shardKey(g.shard)), started, limits), {
            concurrency: 4
          })

    const notices = driftNotices(
      reports.flatMap((r) => r.drift),
      iso(started)
    )
    const driftOutcomes =
      notices.length === 0 ? [] : yield* endingByOr(limits.wrapUp, publishDeadLetters(notices), () => Effect.succeed([]))
    const driftSent = driftOutcomes.filter((o) => o._tag === "Done").length
    if (driftSent < notices.length)
      yield* Effect.logWarning("schema-drift notices not delivered", { undelivered: notices.length - driftSent })

    yield* recordMetrics(records.length, reports, driftSent)
    const latencyMillis = (yield* Clock.currentTimeMillis) - started
    yield* Metric.update(Metrics.batchLatency, latencyMillis)
    const summary: BatchSummary = {
      records: records.length,
      shards: reports.length,
      published: sum(reports, (r) => r.published),
      duplicates: sum(reports, (r) => r.duplicates),
      filtered: sum(reports, (r) => mapTotal(r.filtered)),
      deadLettered: sum(reports, (r) => mapTotal(r.deadLettered)),
      schemaDriftNotices: driftSent,
      leftForRetry: sum(reports, (r) => r.leftForRetry),
      failedShards: reports.filter((r) => r.firstFailure !== undefined).length,
      latencyMillis
    }
    yield* Effect.logInfo("batch processed").pipe(Effect.annotateLogs({ ...summary }))
    // Lambda retries at once: against an unreadable checkpoint store, as against an open circuit,
    // each retry would spend one of maximumRetryAttempts within seconds
    if (checkpoints === undefined)
      yield* Effect.sleep(Math.max(0, Math.min(maxRetryPaceMillis, limits.end - (yield* Clock.currentTimeMillis))))
    else if (summary.failedShards > 0)
      yield* paceRetry(
        limits,
        reports.some((r) => r.firstFailure !== undefined && !r.outOfTime),
        options.retryPaceMillis ?? maxRetryPaceMillis
      )
    return {
      batchItemFailures: reports.flatMap((r) => (r.firstFailure === undefined ? [] : [{ itemIdentifier: r.firstFailure }])),
      shards: reports,
      summary
    }
  }).pipe(Effect.withSpan("cdc.batch", { attributes: { "cdc.records": records.length } }))
