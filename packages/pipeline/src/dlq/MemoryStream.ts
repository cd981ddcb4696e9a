/**
 * An in-memory Kinesis stream for unit tests: one ordered log per shard with integer sequence
 * numbers, behind the {@link RecordFetcher} and {@link RecordInjector} services. Records can be
 * expired (as retention does) to test what happens when a record is gone. A put over Kinesis's
 * record size limit is refused as Kinesis refuses it.
 *
 * @example
 * ```ts
 * const stream = makeMemoryStream("arn:aws:kinesis:us-east-1:000000000000:stream/test")
 * appendRecord(stream, { partitionKey: "users#1", data, arrivalTime: 0 })
 * program.pipe(Effect.provide(MemoryStream.layer(stream)))
 * ```
 */
import type { Classified } from "@cdc/domain/Classified"
import * as Clock from "effect/Clock"
import * as Data from "effect/Data"
import * as Effect from "effect/Effect"
import * as Layer from "effect/Layer"
import { compareSequenceNumbers, RecordFetcher, type StreamRecord } from "./RecordFetcher"
import { RecordInjector } from "./RecordInjector"

export interface MemoryStreamState {
  readonly streamArn: string
  readonly shardId: string
  readonly records: Array<StreamRecord>
  nextSequence: bigint
  /** Fault injection for reads. */
  failFetch: (() => Classified | undefined) | undefined
}

export const makeMemoryStream = (streamArn: string, shardId = "shardId-000000000000"): MemoryStreamState => ({
  streamArn,
  shardId,
  records: [],
  nextSequence: 49_000_000_000_000_000_000n,
  failFetch: undefined
})

/** Appends a record as Kinesis would, returning it with its new sequence number. */
export const appendRecord = (
  state: MemoryStreamState,
  record: { readonly partitionKey: string; readonly data: Uint8Array; readonly arrivalTime: number }
): StreamRecord => {
  state.nextSequence += 1_000n
  const stored = { ...record, streamArn: state.streamArn, shardId: state.shardId, sequenceNumber: String(state.nextSequence) }
  state.records.push(stored)
  return stored
}

/** Drops the records with a sequence number up to `sequenceNumber` (retention expiry). */
export const expireThrough = (state: MemoryStreamState, sequenceNumber: string): void => {
  const kept = state.records.filter((record) => compareSequenceNumbers(record.sequenceNumber, sequenceNumber) > 0)
  state.records.splice(0, state.records.length, ...kept)
}

/** A Kinesis record's limit: its data and partition key together (a stream's default maximum record size). */
const maxRecordBytes = 1_048_576

/** What Kinesis answers to a record over {@link maxRecordBytes}: a `ValidationException`, not retried. */
class RecordTooLarge extends Data.TaggedError("RecordTooLarge")<{ readonly bytes: number }> implements Classified {
  readonly category = "permanent" as const
  readonly code = "ValidationException"
  readonly retryable = false
  override get message(): string {
    return `Kinesis.PutRecord failed: ValidationException (a record of ${this.bytes} bytes, over ${maxRecordBytes})`
  }
}

const reading = <A>(state: MemoryStreamState, read: () => A): Effect.Effect<A, Classified> =>
  Effect.suspend(() => {
    const fault = state.failFetch?.()
    return fault ? Effect.fail(fault) : Effect.sync(read)
  })

export const MemoryStream = {
  /** Both stream services over one in-memory shard. */
  layer: (state: MemoryStreamState) =>
    Layer.mergeAll(
      Layer.succeed(
        RecordFetcher,
        RecordFetcher.of({
          fetchRange: (range) =>
            reading(state, () =>
              state.records.filter(
                (record) =>
                  record.shardId === range.shardId &&
                  compareSequenceNumbers(record.sequenceNumber, range.startSequenceNumber) >= 0 &&
                  compareSequenceNumbers(record.sequenceNumber, range.endSequenceNumber) <= 0
              )
            ),
          fetchOne: (coordinates) =>
            reading(state, () =>
              state.records.find((record) => record.shardId === coordinates.shardId && record.sequenceNumber === coordinates.sequenceNumber)
            )
        })
      ),
      Layer.succeed(
        RecordInjector,
        RecordInjector.of({
          stream: state.streamArn,
          check: Effect.void,
          put: (record) => {
            const bytes = record.data.byteLength + Buffer.byteLength(record.partitionKey)
            if (bytes > maxRecordBytes) return Effect.fail(new RecordTooLarge({ bytes }))
            return Effect.map(Clock.currentTimeMillis, (arrivalTime) => {
              const stored = appendRecord(state, { ...record, arrivalTime })
              return { shardId: stored.shardId, sequenceNumber: stored.sequenceNumber }
            })
          }
        })
      )
    )
}
