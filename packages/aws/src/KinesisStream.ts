/**
 * Reading records back from the Kinesis stream by sequence number, and writing them back into it:
 * the live {@link RecordFetcher} and {@link RecordInjector} of `@cdc/pipeline/dlq`.
 *
 * A range is read with `GetShardIterator(AT_SEQUENCE_NUMBER, start)` and then `GetRecords` until a
 * record past the end of the range, the end of the shard, or the tip of the stream (a range not
 * read to its end in 100 calls fails as transient, see {@link RangeNotReadError}). Sequence
 * numbers are compared as integers. Each call is retried by the `kinesis-read` policy; writes
 * (`PutRecord`) by the `dlq-send` policy. Records whose retention has passed are simply absent, and
 * so are those of a shard or stream that is gone.
 *
 * @example
 * ```ts
 * program.pipe(Effect.provide(KinesisStream.layerConfig)) // CDC_STREAM_NAME
 * ```
 */
import {
  DescribeStreamSummaryCommand,
  GetRecordsCommand,
  type GetRecordsCommandOutput,
  GetShardIteratorCommand,
  KinesisClient,
  PutRecordCommand
} from "@aws-sdk/client-kinesis"
import type { Classified } from "@cdc/domain/Classified"
import { compareSequenceNumbers, RecordFetcher, type SequenceRange, type StreamRecord } from "@cdc/pipeline/dlq/RecordFetcher"
import { RecordInjector } from "@cdc/pipeline/dlq/RecordInjector"
import { RetryPolicies, retrying } from "@cdc/pipeline/RetryPolicy"
import * as Config from "effect/Config"
import * as Context from "effect/Context"
import * as Data from "effect/Data"
import * as Effect from "effect/Effect"
import * as Layer from "effect/Layer"
import { awsCall } from "./AwsCall"
import { kinesisClientOptions } from "./ClientOptions"

/** The stream to write to exists, but is being created or deleted: a redrive would fail every put. */
export class StreamNotWritableError
  extends Data.TaggedError("StreamNotWritableError")<{ readonly stream: string; readonly status: string }>
  implements Classified
{
  readonly category = "configuration" as const
  readonly code = "stream-not-writable"
  readonly retryable = false
  override get message(): string {
    return `Kinesis stream ${this.stream} cannot be written to (status ${this.status})`
  }
}

/** Safety bound on GetRecords calls for one range (a 10,000-record batch needs at most a few). */
const maxGetRecordsCalls = 100

/**
 * A range not read to its end within {@link maxGetRecordsCalls} (a shard answering page after
 * page without records, as Kinesis may before a stretch that holds some). Its records may still be
 * in the stream, so it is transient: the message is delivered again, rather than its unread
 * records reported lost to the retention.
 */
export class RangeNotReadError
  extends Data.TaggedError("RangeNotReadError")<{ readonly shardId: string; readonly calls: number }>
  implements Classified
{
  readonly category = "transient" as const
  readonly code = "range-not-read"
  readonly retryable = true
  override get message(): string {
    return `Kinesis: the range on ${this.shardId} was not read to its end in ${this.calls} GetRecords calls`
  }
}

/** `StreamARN` for ARNs, `StreamName` otherwise: the API accepts either. */
/**
 * A stream named by name or ARN, as the Kinesis commands take it.
 *
 * @example
 * ```ts
 * new PutRecordsCommand({ ...streamParam("arn:aws:kinesis:eu-west-1:123456789012:stream/cdc"), Records })
 * ```
 */
export const streamParam = (stream: string) => (stream.startsWith("arn:") ? { StreamARN: stream } : { StreamName: stream })

/**
 * The stream services over a client; `stream` (name or ARN) is where redriven records go and what
 * is read when coordinates name no stream.
 *
 * @example
 * ```ts
 * const { fetcher, injector } = makeKinesisStream(new KinesisClient(kinesisClientOptions()), "cdc-changes")
 * ```
 */
export const makeKinesisStream = (client: KinesisClient, stream: string) =>
  Effect.map(Effect.service(RetryPolicies), (policies) => {
    const read = <A>(operation: string, send: (signal: AbortSignal) => Promise<A>) =>
      retrying("kinesis-read", awsCall("Kinesis", operation, send)).pipe(Effect.provideService(RetryPolicies, policies))

    // A shard that is gone (closed by a reshard, then past the retention; the default stream is
    // on-demand and reshards by itself) holds none of its records any more: like records past the
    // retention, they are absent, not a failure to retry until the message is parked.
    const iteratorAt = (source: string, shardId: string, sequenceNumber: string) =>
      read("GetShardIterator", (abortSignal) =>
        client.send(
          new GetShardIteratorCommand({
            ...streamParam(source),
            ShardId: shardId,
            ShardIteratorType: "AT_SEQUENCE_NUMBER",
            StartingSequenceNumber: sequenceNumber
          }),
          { abortSignal }
        )
      ).pipe(
        Effect.catchIf(
          (error) => error.code === "ResourceNotFoundException",
          () => Effect.succeed({ ShardIterator: undefined })
        )
      )

    const getRecords = (source: string, ShardIterator: string, Limit: number) =>
      read("GetRecords", (abortSignal) =>
        client.send(new GetRecordsCommand({ ...streamParam(source), ShardIterator, Limit }), { abortSignal })
      )

    const toRecord = (source: string, shardId: string, record: NonNullable<GetRecordsCommandOutput["Records"]>[number]): StreamRecord => ({
      streamArn: source,
      shardId,
      sequenceNumber: record.SequenceNumber ?? "0",
      partitionKey: record.PartitionKey ?? "",
      data: record.Data ?? new Uint8Array(),
      arrivalTime: record.ApproximateArrivalTimestamp?.getTime() ?? 0
    })

    const fetchRange = (range: SequenceRange) =>
      Effect.gen(function* () {
        const found: Array<StreamRecord> = []
        let iterator = (yield* iteratorAt(range.streamArn, range.shardId, range.startSequenceNumber)).ShardIterator
        for (let call = 0; iterator !== undefined; call++) {
          if (call === maxGetRecordsCalls) return yield* new RangeNotReadError({ shardId: range.shardId, calls: call })
          const page = yield* getRecords(range.streamArn, iterator, 1_000)
          const records = page.Records ?? []
          let pastEnd = false
          for (const record of records) {
            const sequenceNumber = record.SequenceNumber ?? "0"
            if (compareSequenceNumbers(sequenceNumber, range.endSequenceNumber) > 0) {
              pastEnd = true
              break
            }
            if (compareSequenceNumbers(sequenceNumber, range.startSequenceNumber) >= 0) {
              found.push(toRecord(range.streamArn, range.shardId, record))
            }
          }
          const atTip = records.length === 0 && (page.MillisBehindLatest ?? 0) === 0
          iterator = pastEnd || atTip ? undefined : page.NextShardIterator
        }
        return found
      })

    const fetcher = RecordFetcher.of({
      fetchRange,
      fetchOne: (coordinates) => {
        const source = coordinates.streamArn ?? stream
        return Effect.gen(function* () {
          const iterator = (yield* iteratorAt(source, coordinates.shardId, coordinates.sequenceNumber)).ShardIterator
          if (iterator === undefined) return undefined
          const first = (yield* getRecords(source, iterator, 1)).Records?.[0]
          return first?.SequenceNumber === coordinates.sequenceNumber ? toRecord(source, coordinates.shardId, first) : undefined
        })
      }
    })

    const injector = RecordInjector.of({
      stream,
      check: retrying(
        "kinesis-read",
        awsCall("Kinesis", "DescribeStreamSummary", (abortSignal) =>
          client.send(new DescribeStreamSummaryCommand(streamParam(stream)), { abortSignal })
        )
      ).pipe(
        Effect.provideService(RetryPolicies, policies),
        Effect.flatMap((summary) => {
          const status = summary.StreamDescriptionSummary?.StreamStatus
          // PutRecord is refused while a stream is being created or deleted
          return status === "ACTIVE" || status === "UPDATING"
            ? Effect.void
            : Effect.fail(new StreamNotWritableError({ stream, status: status ?? "UNKNOWN" }))
        })
      ),
      put: ({ partitionKey, data }) =>
        retrying(
          "dlq-send",
          awsCall("Kinesis", "PutRecord", (abortSignal) =>
            client.send(new PutRecordCommand({ ...streamParam(stream), PartitionKey: partitionKey, Data: data }), { abortSignal })
          )
        ).pipe(
          Effect.provideService(RetryPolicies, policies),
          Effect.map((result) => ({ shardId: result.ShardId ?? "", sequenceNumber: result.SequenceNumber ?? "" }))
        )
    })
    return { fetcher, injector }
  })

const kinesisStreamLayer = (stream: string): Layer.Layer<RecordFetcher | RecordInjector, never, RetryPolicies> =>
  Layer.effectContext(
    Effect.map(makeKinesisStream(new KinesisClient(kinesisClientOptions()), stream), ({ fetcher, injector }) =>
      Context.add(RecordFetcher.context(fetcher), RecordInjector, injector)
    )
  )

export const KinesisStream = {
  /** Both services for `stream` (a name or an ARN); needs {@link RetryPolicies}. */
  layer: kinesisStreamLayer,
  /** `CDC_STREAM_NAME`, read once. */
  layerConfig: Layer.unwrap(Effect.map(Config.String("CDC_STREAM_NAME"), kinesisStreamLayer))
}
