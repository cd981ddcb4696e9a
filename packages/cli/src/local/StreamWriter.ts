/**
 * Writes records to a Kinesis stream with `PutRecords`: at most 500 records and 5 MiB per request
 * (the API's limits), and the entries a 200 response reports as failed (`FailedRecordCount`,
 * `Records[i].ErrorCode`, e.g. `ProvisionedThroughputExceededException`) are sent again with
 * backoff: never dropped. Returns where each record landed (shard, sequence number), in input order.
 *
 * Per partition key, records reach the stream in input order (the processor publishes in stream
 * order per shard; consumers rely on per-entity order). A partially failed `PutRecords` still
 * writes the entries after a failed one, so a request never holds two records of the same
 * partition key: otherwise v2 would be written while v1 waits for its retry. Requests go out one
 * after another, each complete (all entries placed) before the next, so a failed entry is always
 * retried before any later record of its key is sent. Input with few distinct keys therefore
 * makes smaller requests (one record per request for a single key).
 *
 * @example
 * ```ts
 * const placed = yield* putAll(kinesis, { streamName }, [{ partitionKey: "users-1", data: "{…}" }], (done) => bar.update(done))
 * placed[0].sequenceNumber
 * ```
 */
import type { KinesisClient, PutRecordsCommandOutput } from "@aws-sdk/client-kinesis"
import { PutRecordsCommand } from "@aws-sdk/client-kinesis"
import type { AwsError } from "@cdc/aws/AwsError"
import { streamParam } from "@cdc/aws/KinesisStream"
import { packBatches } from "@cdc/pipeline/Batches"
import * as Data from "effect/Data"
import * as Effect from "effect/Effect"
import { callToItsAnswer } from "./LocalAws"

export interface OutgoingRecord {
  readonly partitionKey: string
  readonly data: string | Uint8Array
}

export interface PlacedRecord {
  readonly shardId: string
  readonly sequenceNumber: string
}

/** Entries kept failing after every retry: the stream is refusing writes. */
export class PutRecordsExhaustedError extends Data.TaggedError("PutRecordsExhaustedError")<{
  readonly failed: number
  readonly errorCode: string
}> {
  readonly category = "throttling" as const
  readonly retryable = true
  override get message(): string {
    return `${this.failed} record(s) still rejected by PutRecords after retries (last error code ${this.errorCode})`
  }
}

export interface StreamTarget {
  /** The stream's name, or its ARN (`arn:…`: another account's or region's stream). */
  readonly streamName: string
}

export const maxRecordsPerRequest = 500
export const maxBytesPerRequest = 5 * 1024 * 1024
const maxAttempts = 8

const sizeOf = (record: OutgoingRecord) =>
  Buffer.byteLength(record.partitionKey) + (typeof record.data === "string" ? Buffer.byteLength(record.data) : record.data.byteLength)

/**
 * Splits records into request-sized chunks (≤ 500 records, ≤ 5 MiB), keeping their order; a chunk
 * also closes before a record whose partition key it already holds (see the module doc: a retried
 * entry must not be overtaken by a later record of its key). A record larger than 5 MiB travels
 * alone (Kinesis rejects it).
 *
 * @example
 * ```ts
 * chunkForPutRecords(records).map((chunk) => chunk.length) // [500, 500, 12] with distinct keys
 * chunkForPutRecords([a1, b1, a2]).map((chunk) => chunk.length) // [2, 1]: a2 waits for a1
 * ```
 */
export const chunkForPutRecords = <R extends OutgoingRecord>(records: ReadonlyArray<R>): ReadonlyArray<ReadonlyArray<R>> =>
  packBatches(records, { maxItems: maxRecordsPerRequest, maxBytes: maxBytesPerRequest, sizeOf, keyOf: (record) => record.partitionKey })

/**
 * Places one chunk, failed entries retried. After each answer, `onPlaced` gets how many of the
 * chunk's first records are placed: an interruption comes only between requests (each request
 * is waited for, see `callToItsAnswer`), so that count is exact when the writing stops.
 */
const putChunk = (
  kinesis: KinesisClient,
  target: StreamTarget,
  chunk: ReadonlyArray<OutgoingRecord>,
  onPlaced: (leading: number) => void
) =>
  Effect.gen(function* () {
    const placed: Array<PlacedRecord | undefined> = chunk.map(() => undefined)
    let pending = chunk.map((_, index) => index)
    let lastCode = "none"
    // an answer is taken whole, an interruption waiting for it (see callToItsAnswer)
    const settle = (sent: ReadonlyArray<number>, output: PutRecordsCommandOutput) =>
      Effect.sync(() => {
        pending = []
        ;(output.Records ?? []).forEach((result, position) => {
          const index = sent[position]!
          if (result.ErrorCode || !result.SequenceNumber || !result.ShardId) {
            lastCode = result.ErrorCode ?? "missing-sequence-number"
            pending.push(index)
          } else placed[index] = { shardId: result.ShardId, sequenceNumber: result.SequenceNumber }
        })
        const unplaced = placed.indexOf(undefined)
        onPlaced(unplaced === -1 ? placed.length : unplaced)
      })
    for (let attempt = 1; pending.length > 0; attempt++) {
      if (attempt > maxAttempts) return yield* Effect.fail(new PutRecordsExhaustedError({ failed: pending.length, errorCode: lastCode }))
      if (attempt > 1) yield* Effect.sleep(Math.min(5_000, 100 * 2 ** attempt))
      const sent = pending
      yield* callToItsAnswer(
        "Kinesis",
        "PutRecords",
        (abortSignal) =>
          kinesis.send(
            new PutRecordsCommand({
              ...streamParam(target.streamName),
              Records: sent.map((index) => {
                const record = chunk[index]!
                return { PartitionKey: record.partitionKey, Data: typeof record.data === "string" ? Buffer.from(record.data) : record.data }
              })
            }),
            { abortSignal }
          ),
        (output) => settle(sent, output)
      )
    }
    return placed as Array<PlacedRecord>
  })

/**
 * Writes every record, chunk after chunk, each chunk fully placed (failed entries retried) before
 * the next is sent: with no key twice in a chunk, per-key order holds even when entries fail.
 * `onProgress` gets how many of the first records are placed, after every answer.
 */
export const putAll = (
  kinesis: KinesisClient,
  target: StreamTarget,
  records: ReadonlyArray<OutgoingRecord>,
  onProgress: (written: number) => void = () => {}
): Effect.Effect<ReadonlyArray<PlacedRecord>, AwsError | PutRecordsExhaustedError> =>
  Effect.gen(function* () {
    const out: Array<PlacedRecord> = []
    for (const chunk of chunkForPutRecords(records)) {
      const before = out.length
      out.push(...(yield* putChunk(kinesis, target, chunk, (leading) => onProgress(before + leading))))
    }
    return out
  })
