/**
 * The batch program: one Lambda Kinesis batch → EventBridge, with checkpoints and the DLQ.
 *
 * Per shard (shards run concurrently; within a shard everything is in sequence order):
 * 1. skip records at or below the shard's checkpoint (one read for all shards of the batch);
 * 2. run the rest through the record path: `Publish`, `Filtered` or `Dead` (poison, unknown
 *    table, oversized);
 * 3. dead-letter the `Dead` ones first, so a poison record never blocks the shard; if the DLQ
 *    itself fails, nothing from that record on is published;
 * 4. stream the `Publish` entries in PutEvents requests (≤ 10 entries, ≤ 256 KB, one entry per
 *    key, see ./Chunker) through the circuit breaker and the `eventbridge-publish` retry policy;
 *    per-entry failures are retried if retryable, dead-lettered (`publish-rejected`) if not; the
 *    stream stops after the first request that still has unfinished entries;
 * 5. report the EARLIEST unhandled record of the shard in `batchItemFailures` (Lambda retries
 *    the shard from there) and move the checkpoint to the record just before it, with a single
 *    conditional write per shard per batch.
 *
 * Schema drift (withheld undeclared columns, DDL control records) yields one `cdc.schema-drift`
 * message per table, reason and column set per batch; the records themselves are still handled.
 *
 * @example
 * ```ts
 * const { batchItemFailures } = yield* processBatch(event.Records)
 * ```
 */
import type { KinesisStreamRecord } from "aws-lambda"
import { Clock, Effect, Metric, Stream } from "effect"
import { CheckpointStore, type ShardRef, shardKey } from "./CheckpointStore"
import { chunkEntries } from "./Chunker"
import { PublishBreaker } from "./CircuitBreaker"
import type { DeadLetterMessage } from "./DeadLetter"
import type { DeadLetterQueue } from "./DeadLetterQueue"
import { deadLetter, publishDeadLetters, schemaDriftNotice } from "./DeadLetters"
import { EventBus } from "./EventBus"
import * as Metrics from "./Metrics"
import { type ItemOutcome, sendPartial } from "./PartialBatch"
import { PublishRejectedError } from "./PipelineErrors"
import { RecordPath } from "./RecordPath"
import { type RetryPolicies, retrying } from "./RetryPolicy"
import { compareSequenceNumbers } from "./SequenceNumber"
import { type DriftSighting, type ShardItem, shardItems } from "./ShardItems"

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
}

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

const increment = (counts: Map<string, number>, key: string) => counts.set(key, (counts.get(key) ?? 0) + 1)
const iso = (millis: number) => new Date(millis).toISOString()

const publishChunk = (chunk: ReadonlyArray<ShardItem & { _tag: "Publish" }>) =>
  Effect.gen(function* () {
    const bus = yield* EventBus
    const breaker = yield* PublishBreaker
    const outcomes = yield* sendPartial(
      "eventbridge-publish",
      chunk.map((item) => item.entry),
      (entries) => bus.putEvents(entries),
      breaker.protect
    )
    return { chunk, outcomes }
  })

const processShard = (shard: ShardRef, records: ReadonlyArray<KinesisStreamRecord>, checkpoint: string | undefined, now: number) =>
  Effect.gen(function* () {
    const path = yield* RecordPath
    const fresh = records.filter((r) => checkpoint === undefined || compareSequenceNumbers(r.kinesis.sequenceNumber, checkpoint) > 0)
    const { items, drift } = shardItems(path, shard, fresh, now)
    const handled = items.map((item) => item._tag === "Filtered")
    const filtered = new Map<string, number>()
    const deadLettered = new Map<string, number>()
    for (const item of items) if (item._tag === "Filtered") increment(filtered, item.reason)

    const park = (dead: ReadonlyArray<{ item: ShardItem; message: DeadLetterMessage }>) =>
      Effect.map(dead.length === 0 ? Effect.succeed([]) : publishDeadLetters(dead.map((d) => d.message)), (outcomes) =>
        dead.filter(({ item, message }, i) => {
          const done = outcomes[i]?._tag === "Done"
          if (done) {
            handled[item.index] = true
            increment(deadLettered, message.reason)
          }
          return !done
        })
      )

    // 3. Poison first: a record the DLQ could not take is where the shard stops.
    const dead = items.flatMap((item) =>
      item._tag === "Dead"
        ? [{ item, message: deadLetter({ error: item.error, coordinates: item.coordinates, at: iso(now), eventId: item.eventId }) }]
        : []
    )
    const notParked = yield* park(dead)
    const barrier = notParked[0]?.item.index ?? items.length

    // 4. Publish in order, stopping after the first request with unfinished entries.
    const publishable = items.filter((item): item is ShardItem & { _tag: "Publish" } => item._tag === "Publish" && item.index < barrier)
    const chunks = chunkEntries(publishable, { key: (item) => item.orderingKey, entry: (item) => item.entry })
    const rejected: Array<{ item: ShardItem & { _tag: "Publish" }; outcome: ItemOutcome & { _tag: "Rejected" } }> = []
    let published = 0
    yield* Stream.fromIterable(chunks).pipe(
      Stream.mapEffect(publishChunk),
      Stream.takeUntil(({ outcomes }) => outcomes.some((o) => o._tag === "Unfinished")),
      Stream.runForEach(({ chunk, outcomes }) =>
        Effect.sync(() =>
          chunk.forEach((item, i) => {
            const outcome = outcomes[i]
            if (outcome?._tag === "Done") {
              handled[item.index] = true
              published++
            } else if (outcome?._tag === "Rejected") rejected.push({ item, outcome })
          })
        )
      )
    )
    yield* park(
      rejected.map(({ item, outcome }) => ({
        item,
        message: deadLetter({
          error: new PublishRejectedError({ awsCode: outcome.code }),
          coordinates: item.coordinates,
          at: iso(now),
          attempts: outcome.attempts,
          eventId: item.eventId,
          event: item.entry
        })
      }))
    )

    // 5. The earliest unhandled record is where Lambda resumes; the checkpoint stops just before it.
    const firstUnhandled = handled.indexOf(false)
    const lastHandled = firstUnhandled === -1 ? items.length - 1 : firstUnhandled - 1
    const target = items[lastHandled]?.sequenceNumber
    const store = yield* CheckpointStore
    const checkpointResult =
      target === undefined
        ? "unchanged"
        : yield* retrying("dynamodb-write", store.advance(shard, target)).pipe(
            Effect.catch((error) =>
              Effect.as(
                Effect.logWarning("checkpoint write failed; a retry will republish with the same event ids", { code: error.code }),
                "failed" as const
              )
            )
          )
    const report: ShardReport = {
      shard,
      received: records.length,
      duplicates: records.length - fresh.length,
      published,
      filtered,
      deadLettered,
      firstFailure: firstUnhandled === -1 ? undefined : items[firstUnhandled]?.sequenceNumber,
      leftForRetry: firstUnhandled === -1 ? 0 : items.length - firstUnhandled,
      checkpoint: checkpointResult,
      drift
    }
    return report
  }).pipe(Effect.withSpan("cdc.shard", { attributes: { "cdc.shard": shard.shardId, "cdc.records": records.length } }))

/** One schema-drift notice per table, reason and column set. */
const driftNotices = (sightings: ReadonlyArray<DriftSighting>, at: string): ReadonlyArray<DeadLetterMessage> => {
  const seen = new Map<string, DeadLetterMessage>()
  for (const s of sightings) {
    const key = JSON.stringify([s.table, s.reason, [...s.columns].sort()])
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

/** Processes one Lambda Kinesis batch; never fails (every problem ends in the DLQ or in `batchItemFailures`). */
export const processBatch = (records: ReadonlyArray<KinesisStreamRecord>): Effect.Effect<BatchResult, never, BatchServices> =>
  Effect.gen(function* () {
    const started = yield* Clock.currentTimeMillis
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
    // Without checkpoints the batch is still published (at-least-once allows the duplicates).
    const checkpoints = yield* retrying("state-update", store.read(groups.map((g) => g.shard))).pipe(
      Effect.catch((error) =>
        Effect.as(
          Effect.logWarning("checkpoint read failed; publishing without duplicate skipping", { code: error.code }),
          new Map<string, string>()
        )
      )
    )
    const reports = yield* Effect.forEach(groups, (g) => processShard(g.shard, g.records, checkpoints.get(shardKey(g.shard)), started), {
      concurrency: 4
    })

    const notices = driftNotices(
      reports.flatMap((r) => r.drift),
      iso(started)
    )
    const driftOutcomes = notices.length === 0 ? [] : yield* publishDeadLetters(notices)
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
    return {
      batchItemFailures: reports.flatMap((r) => (r.firstFailure === undefined ? [] : [{ itemIdentifier: r.firstFailure }])),
      shards: reports,
      summary
    }
  }).pipe(Effect.withSpan("cdc.batch", { attributes: { "cdc.records": records.length } }))
