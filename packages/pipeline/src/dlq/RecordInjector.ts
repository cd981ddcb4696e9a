/**
 * Writes a raw record back into the Kinesis stream (the redrive). The partition key is kept, so
 * the record lands on the same shard as the entity's other changes and per-entity order among
 * new changes is kept.
 *
 * The live implementation is `@cdc/aws/KinesisStream` (PutRecord); `@cdc/pipeline/dlq/MemoryStream`
 * is the in-memory one.
 *
 * @example
 * ```ts
 * const { sequenceNumber } = yield* (yield* RecordInjector).put({ partitionKey, data })
 * ```
 */
import type { Classified } from "@cdc/domain/Classified"
import * as Context from "effect/Context"
import type * as Effect from "effect/Effect"

export interface InjectedRecord {
  readonly shardId: string
  readonly sequenceNumber: string
}

export class RecordInjector extends Context.Service<
  RecordInjector,
  {
    /** The stream written to (its ARN or name), for reports. */
    readonly stream: string
    /**
     * Whether the stream can be written to, asked before anything is read or put, so a dry run
     * reports a stream that is not there (the live one: `DescribeStreamSummary`, and its status).
     */
    readonly check: Effect.Effect<void, Classified>
    /** Puts one record, retrying throttled calls itself (the live one by the `dlq-send` policy). */
    readonly put: (record: { readonly partitionKey: string; readonly data: Uint8Array }) => Effect.Effect<InjectedRecord, Classified>
  }
>()("@cdc/pipeline/dlq/RecordInjector") {}
