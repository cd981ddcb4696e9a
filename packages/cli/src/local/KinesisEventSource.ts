/**
 * The Kinesis event source mapping, played locally: for every shard of the stream, read with
 * `GetShardIterator`/`GetRecords`, gather a batch (up to `batchSize` records, waiting at most
 * `batchingWindowMillis` for it to fill), invoke the processor with a real `KinesisStreamEvent`,
 * and honour its `batchItemFailures` the way Lambda does with `ReportBatchItemFailures`:
 * everything before the earliest reported sequence number is acknowledged, and the shard is read
 * again from that record (`AT_SEQUENCE_NUMBER`), to retry the failed records as one batch. After
 * `maximumRetryAttempts` retries they go to the on-failure destination and the shard moves on. A
 * handler that throws fails the whole batch; with `bisectOnError` it is split in two, each half
 * retried on its own before anything newer, and splits spend no retries.
 *
 * Acknowledged positions go to a {@link PositionStore}, so a restart resumes after them.
 *
 * @example
 * ```ts
 * yield* runKinesisEventSource({ clients, stream, settings, positions, stats, handler, onFailure })
 * ```
 */
import type { KinesisClient, _Record as KinesisRecord } from "@aws-sdk/client-kinesis"
import { GetRecordsCommand, GetShardIteratorCommand, ListShardsCommand } from "@aws-sdk/client-kinesis"
import type { AwsError } from "@cdc/aws/AwsError"
import type { KinesisSource } from "@cdc/topology/Functions"
import type { KinesisStreamBatchResponse, KinesisStreamEvent, KinesisStreamRecord } from "aws-lambda"
import * as Clock from "effect/Clock"
import * as Effect from "effect/Effect"
import * as FiberSet from "effect/FiberSet"
import type { LiveStats } from "./LiveStats"
import { pollerCall } from "./LocalAws"
import type { PositionStore } from "./PositionStore"

/** The event source mapping settings that matter for local delivery (from the topology). */
export interface KinesisSourceSettings {
  readonly batchSize: number
  readonly batchingWindowMillis: number
  /** -1: retry until the records expire (Lambda's default). */
  readonly maximumRetryAttempts: number
  readonly bisectOnError: boolean
}

/**
 * The local delivery settings of the topology's Kinesis event source mapping.
 *
 * @example
 * ```ts
 * kinesisSourceSettings(topology.functions.processor.source).batchSize // 500
 * ```
 */
export const kinesisSourceSettings = (source: KinesisSource): KinesisSourceSettings => ({
  batchSize: source.batchSize,
  batchingWindowMillis: source.maximumBatchingWindowInSeconds * 1000,
  maximumRetryAttempts: source.maximumRetryAttempts,
  bisectOnError: source.bisectBatchOnFunctionError
})

export interface StreamRef {
  readonly name: string
  readonly arn: string
  readonly region: string
}

/** What Lambda sends to an on-failure destination for a Kinesis source: coordinates, no data. */
export interface KinesisBatchInfo {
  readonly shardId: string
  readonly startSequenceNumber: string
  readonly endSequenceNumber: string
  readonly approximateArrivalOfFirstRecord: string
  readonly approximateArrivalOfLastRecord: string
  readonly batchSize: number
  readonly streamArn: string
}

export type KinesisHandler = (event: KinesisStreamEvent) => Promise<KinesisStreamBatchResponse | undefined>

export interface KinesisSourceOptions {
  readonly kinesis: KinesisClient
  readonly stream: StreamRef
  readonly settings: KinesisSourceSettings
  readonly positions: PositionStore
  readonly stats: LiveStats
  readonly handler: KinesisHandler
  /** Records given up, and how often they were invoked (their first, retries and splits). */
  readonly onFailure: (info: KinesisBatchInfo, condition: "RetryAttemptsExhausted", invocations: number) => Effect.Effect<void, AwsError>
  /** How long an empty `GetRecords` waits before asking again; default 1 s, as Lambda polls an idle shard. */
  readonly idlePollMillis?: number
  /**
   * Settles when the invocation under way can no longer finish (the run's own emulator exited: a
   * Ctrl-C in a terminal reaches it too): a stopping poller then waits for it no longer.
   */
  readonly stopWaitEnds?: Promise<void>
}

const seconds = (date: Date | undefined, fallbackMillis: number): number => (date ? date.getTime() : fallbackMillis) / 1000

/** One Kinesis record as Lambda presents it (base64 data, arrival time in seconds). */
export const toStreamRecord = (stream: StreamRef, shardId: string, record: KinesisRecord, nowMillis: number): KinesisStreamRecord => ({
  kinesis: {
    kinesisSchemaVersion: "1.0",
    partitionKey: record.PartitionKey ?? "",
    sequenceNumber: record.SequenceNumber ?? "",
    data: Buffer.from(record.Data ?? new Uint8Array()).toString("base64"),
    approximateArrivalTimestamp: seconds(record.ApproximateArrivalTimestamp, nowMillis)
  },
  eventSource: "aws:kinesis",
  eventVersion: "1.0",
  eventID: `${shardId}:${record.SequenceNumber}`,
  eventName: "aws:kinesis:record",
  invokeIdentityArn: `arn:aws:iam::000000000000:role/cdc-local-processor`,
  awsRegion: stream.region,
  eventSourceARN: stream.arn
})

/**
 * The index of the earliest failed record of a batch, `undefined` when it fully succeeded.
 * An item identifier that is not in the batch fails the whole batch, as Lambda does.
 */
export const earliestFailure = (
  batch: ReadonlyArray<KinesisRecord>,
  response: KinesisStreamBatchResponse | undefined
): number | undefined => {
  const failures = response?.batchItemFailures ?? []
  if (failures.length === 0) return undefined
  let earliest: number | undefined
  for (const failure of failures) {
    const index = batch.findIndex((record) => record.SequenceNumber === failure.itemIdentifier)
    if (index < 0) return 0
    if (earliest === undefined || index < earliest) earliest = index
  }
  return earliest
}

const listShardIds = (kinesis: KinesisClient, stream: StreamRef) =>
  Effect.gen(function* () {
    const ids: Array<string> = []
    let nextToken: string | undefined
    do {
      const page = yield* pollerCall("Kinesis", "ListShards", (abortSignal) =>
        kinesis.send(new ListShardsCommand(nextToken ? { NextToken: nextToken } : { StreamName: stream.name }), { abortSignal })
      )
      for (const shard of page.Shards ?? []) if (shard.ShardId) ids.push(shard.ShardId)
      nextToken = page.NextToken
    } while (nextToken)
    return ids
  })

const iteratorAt = (kinesis: KinesisClient, stream: StreamRef, shardId: string, after: string | undefined, at?: string) =>
  pollerCall("Kinesis", "GetShardIterator", (abortSignal) =>
    kinesis.send(
      new GetShardIteratorCommand({
        // By name: emulators (moto) resolve only StreamName here; AWS accepts either.
        StreamName: stream.name,
        ShardId: shardId,
        ...(at !== undefined
          ? { ShardIteratorType: "AT_SEQUENCE_NUMBER", StartingSequenceNumber: at }
          : after !== undefined
            ? { ShardIteratorType: "AFTER_SEQUENCE_NUMBER", StartingSequenceNumber: after }
            : { ShardIteratorType: "TRIM_HORIZON" })
      }),
      { abortSignal }
    )
  ).pipe(Effect.map((output) => output.ShardIterator))

/**
 * How long a stopping poller (Ctrl-C, SIGTERM) waits for the invocation under way: a promise
 * cannot be cancelled, so the processor goes on publishing its batch; the batch's position is
 * saved if it ends within this time, or the next run would publish it a second time.
 */
export const stopGraceMillis = 10_000

/**
 * Invokes the handler. Interrupted meanwhile, it waits (at most `stopGraceMillis`) for the
 * invocation's answer and acknowledges what it processed, before the poller stops.
 */
const invoke = (
  handler: KinesisHandler,
  event: KinesisStreamEvent,
  onStopped: (response: KinesisStreamBatchResponse | undefined) => void,
  stopWaitEnds?: Promise<void>
) =>
  Effect.suspend(() => {
    let answer: Promise<KinesisStreamBatchResponse | undefined> | undefined
    return Effect.tryPromise({ try: () => (answer = handler(event)), catch: (cause) => cause }).pipe(
      Effect.result,
      Effect.onInterrupt(() =>
        answer === undefined
          ? Effect.void
          : Effect.tryPromise(() => answer!).pipe(
              Effect.timeout(stopGraceMillis),
              Effect.flatMap((response) => Effect.sync(() => onStopped(response))),
              Effect.ignore,
              (waiting) =>
                stopWaitEnds === undefined
                  ? waiting
                  : Effect.raceFirst(
                      waiting,
                      Effect.promise(() => stopWaitEnds)
                    )
            )
      )
    )
  })

/**
 * A batch to send again: `count` records after those of the retries before it, the retries it
 * spent, and how often its records were invoked so far.
 */
interface Retry {
  readonly count: number
  readonly retries: number
  readonly invocations: number
}

/**
 * What Lambda retries after a failed invocation, given the batches that were waiting to be retried
 * after it (`later`): with a function error and `bisectOnError`, the two halves of the failed
 * records, each on its own and with the retries spent so far, as "splitting batches doesn't
 * consume the retry quota"; otherwise the failed records as one batch, one retry more, or nothing
 * (`exhausted`) once `maximumRetryAttempts` retries were spent.
 */
const nextRetries = (
  settings: KinesisSourceSettings,
  failed: number,
  spent: number,
  invocations: number,
  functionError: boolean,
  later: ReadonlyArray<Retry>
): { readonly exhausted: boolean; readonly retries: ReadonlyArray<Retry> } => {
  if (functionError && settings.bisectOnError && failed > 1) {
    const half = Math.ceil(failed / 2)
    return {
      exhausted: false,
      retries: [{ count: half, retries: spent, invocations }, { count: failed - half, retries: spent, invocations }, ...later]
    }
  }
  if (settings.maximumRetryAttempts >= 0 && spent >= settings.maximumRetryAttempts) return { exhausted: true, retries: later }
  return { exhausted: false, retries: [{ count: failed, retries: spent + 1, invocations }, ...later] }
}

/** Polls one shard until it is closed (or forever while it is open). */
const runShard = (options: KinesisSourceOptions, shardId: string) =>
  Effect.gen(function* () {
    const { kinesis, stream, settings, positions, stats } = options
    const idle = options.idlePollMillis ?? 1_000
    // Where the iterator reads from, to ask for a new one when it expires (after five minutes:
    // a slow handler outlives it), as Lambda does.
    let from: { readonly after?: string | undefined; readonly at?: string } = { after: positions.get(shardId) }
    let iterator = yield* iteratorAt(kinesis, stream, shardId, from.after)
    let buffer: Array<KinesisRecord> = []
    // After a failure, the batches to send again, in order, before anything newer: Lambda retries
    // the batch, not more (a record read with the retry could otherwise reach the on-failure
    // destination without a single retry), and each half of a bisected batch on its own.
    let retries: ReadonlyArray<Retry> = []
    while (iterator !== undefined || buffer.length > 0) {
      const retry = retries[0]
      const limit = retry?.count ?? settings.batchSize
      // Gather a batch: until it is full, or the window has passed with something to send. A
      // retry is the whole batch again, records that were read before.
      const windowStart = yield* Clock.currentTimeMillis
      while (iterator !== undefined && buffer.length < limit) {
        const page = yield* pollerCall("Kinesis", "GetRecords", (abortSignal) =>
          kinesis.send(new GetRecordsCommand({ ShardIterator: iterator, Limit: Math.min(10_000, limit - buffer.length) }), { abortSignal })
        ).pipe(
          Effect.catchIf(
            (error) => error.code === "ExpiredIteratorException",
            () => Effect.succeed(undefined)
          )
        )
        if (page === undefined) {
          iterator = yield* iteratorAt(kinesis, stream, shardId, from.after, from.at)
          continue
        }
        iterator = page.NextShardIterator
        const records = page.Records ?? []
        buffer = buffer.concat(records)
        if (records.length > 0) from = { after: records[records.length - 1]!.SequenceNumber! }
        const now = yield* Clock.currentTimeMillis
        stats.iteratorRead(shardId, page.MillisBehindLatest, now)
        if (retry === undefined && buffer.length > 0 && now - windowStart >= settings.batchingWindowMillis) break
        if (records.length === 0) yield* Effect.sleep(idle)
      }
      if (buffer.length === 0) continue
      const batch = buffer.slice(0, limit)
      const now = yield* Clock.currentTimeMillis
      const event: KinesisStreamEvent = { Records: batch.map((record) => toStreamRecord(stream, shardId, record, now)) }
      // while it runs nothing is read: the Wallboard shows the iterator age as of the last read
      stats.invocationStarted(shardId, batch.length, now)
      // stopped while it runs: what it processed is acknowledged, as a finished batch is below
      const acknowledgeDone = (response: KinesisStreamBatchResponse | undefined) => {
        const failed = earliestFailure(batch, response)
        const done = failed === undefined ? batch.length : failed
        if (done > 0) positions.acknowledge(shardId, batch[done - 1]!.SequenceNumber!)
      }
      const outcome = yield* invoke(options.handler, event, acknowledgeDone, options.stopWaitEnds).pipe(
        Effect.ensuring(Effect.sync(() => stats.invocationEnded(shardId)))
      )
      const failedAt = outcome._tag === "Success" ? earliestFailure(batch, outcome.success) : 0
      if (failedAt === undefined) {
        positions.acknowledge(shardId, batch[batch.length - 1]!.SequenceNumber!)
        buffer = buffer.slice(batch.length)
        retries = retries.slice(1)
        continue
      }
      if (failedAt > 0) positions.acknowledge(shardId, batch[failedAt - 1]!.SequenceNumber!)
      const failed = batch.slice(failedAt)
      const spent = retry?.retries ?? 0
      const invocations = (retry?.invocations ?? 0) + 1
      const next = nextRetries(settings, failed.length, spent, invocations, outcome._tag === "Failure", retries.slice(1))
      retries = next.retries
      if (next.exhausted) {
        yield* options.onFailure(batchInfo(stream, shardId, failed, now), "RetryAttemptsExhausted", invocations)
        stats.retriesExhausted(failed.length)
        positions.acknowledge(shardId, failed[failed.length - 1]!.SequenceNumber!)
        // Read on: what the buffer holds follows the batch, whether new or the next to retry.
        buffer = buffer.slice(batch.length)
        continue
      }
      stats.retried(failed.length)
      // Read the shard again from the earliest failure, as Lambda does; the buffer is stale now.
      buffer = []
      from = { at: failed[0]!.SequenceNumber! }
      iterator = yield* iteratorAt(kinesis, stream, shardId, undefined, from.at)
      yield* Effect.sleep(Math.min(5_000, 100 * 2 ** Math.min(spent + 1, 6)))
    }
  })

const batchInfo = (stream: StreamRef, shardId: string, records: ReadonlyArray<KinesisRecord>, now: number): KinesisBatchInfo => ({
  shardId,
  startSequenceNumber: records[0]!.SequenceNumber!,
  endSequenceNumber: records[records.length - 1]!.SequenceNumber!,
  approximateArrivalOfFirstRecord: (records[0]!.ApproximateArrivalTimestamp ?? new Date(now)).toISOString(),
  approximateArrivalOfLastRecord: (records[records.length - 1]!.ApproximateArrivalTimestamp ?? new Date(now)).toISOString(),
  batchSize: records.length,
  streamArn: stream.arn
})

/**
 * Runs one poller per shard (new shards are picked up every `shardRefreshMillis`) until
 * interrupted. Positions are flushed every second and when the poller stops.
 */
export const runKinesisEventSource = (options: KinesisSourceOptions & { readonly shardRefreshMillis?: number }) =>
  Effect.gen(function* () {
    const running = new Set<string>()
    // Added before the pollers' set, so run after it is closed: the last flush holds what the
    // pollers acknowledged while they stopped (the batch under way, see `invoke`).
    yield* Effect.addFinalizer(() => Effect.sync(() => options.positions.flush()))
    // A failing shard poller fails the whole source (FiberSet.join), instead of stopping silently.
    const shards = yield* FiberSet.make<void, AwsError>()
    yield* Effect.forkScoped(
      Effect.forever(Effect.sleep(1_000).pipe(Effect.andThen(Effect.sync(() => options.positions.flush()))), { disableYield: true })
    )
    const discover = Effect.gen(function* () {
      while (true) {
        const shardIds = yield* listShardIds(options.kinesis, options.stream)
        for (const shardId of shardIds) {
          if (running.has(shardId)) continue
          running.add(shardId)
          yield* FiberSet.run(shards, runShard(options, shardId))
        }
        yield* Effect.sleep(options.shardRefreshMillis ?? 30_000)
      }
    })
    return yield* Effect.raceFirst(discover, FiberSet.join(shards))
  })
