/**
 * Reads records back from the Kinesis stream by coordinates: the event source mapping's
 * on-failure record names only a shard and a sequence-number range, and a redrive re-injects the
 * raw record fetched by its sequence number. Records are only there for the stream's retention
 * period; what has expired comes back as missing, not as an error.
 *
 * The live implementation is `@cdc/aws/KinesisStream` (GetShardIterator `AT_SEQUENCE_NUMBER`, then
 * GetRecords until past the range, each call retried); `@cdc/pipeline/dlq/MemoryStream` is the
 * in-memory one.
 *
 * @example
 * ```ts
 * const records = yield* (yield* RecordFetcher).fetchRange({ streamArn, shardId, startSequenceNumber, endSequenceNumber })
 * ```
 */
import type { Classified } from "@cdc/domain/Classified"
import * as Context from "effect/Context"
import type * as Effect from "effect/Effect"

/** One raw Kinesis record. `data` is the record's bytes: sensitive, never logged or archived. */
export interface StreamRecord {
  readonly streamArn: string
  readonly shardId: string
  readonly sequenceNumber: string
  readonly partitionKey: string
  readonly data: Uint8Array
  /** Epoch millis at which Kinesis accepted the record. */
  readonly arrivalTime: number
}

/** A closed range of sequence numbers of one shard. */
export interface SequenceRange {
  readonly streamArn: string
  readonly shardId: string
  readonly startSequenceNumber: string
  readonly endSequenceNumber: string
}

/**
 * Compares Kinesis sequence numbers as the integers they are (as strings, `"9" > "10"`).
 *
 * @example
 * ```ts
 * compareSequenceNumbers("9", "10") // -1
 * ```
 */
export const compareSequenceNumbers = (a: string, b: string): -1 | 0 | 1 => {
  const x = BigInt(a)
  const y = BigInt(b)
  return x < y ? -1 : x > y ? 1 : 0
}

/**
 * The stream name of a stream ARN (`arn:aws:kinesis:<region>:<account>:stream/<name>`).
 *
 * @example
 * ```ts
 * streamNameOf("arn:aws:kinesis:us-east-1:123456789012:stream/cdc") // "cdc"
 * ```
 */
export const streamNameOf = (streamArn: string): string => streamArn.slice(streamArn.indexOf(":stream/") + ":stream/".length)

export class RecordFetcher extends Context.Service<
  RecordFetcher,
  {
    /** The records of the range still in the stream, in sequence order. */
    readonly fetchRange: (range: SequenceRange) => Effect.Effect<ReadonlyArray<StreamRecord>, Classified>
    /**
     * One record by its coordinates; `undefined` when it has expired or never existed. Without a
     * stream ARN, the configured stream is read.
     */
    readonly fetchOne: (coordinates: {
      readonly streamArn: string | undefined
      readonly shardId: string
      readonly sequenceNumber: string
    }) => Effect.Effect<StreamRecord | undefined, Classified>
  }
>()("@cdc/pipeline/dlq/RecordFetcher") {}
