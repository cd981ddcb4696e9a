/**
 * Checkpoints: per shard, the highest sequence number up to which every record was handled
 * (published, filtered or dead-lettered), and the records above it that were handled too. A
 * retried batch skips all of them.
 *
 * Records above the prefix are handled when a PutEvents request fails for good while requests
 * sent alongside it (./PublishWaves) succeed: Lambda retries the shard from the failed record, and
 * without the list those records would be published a second time.
 *
 * The store only ever moves a checkpoint forward, comparing sequence numbers as integers (see
 * ./SequenceNumber): a higher sequence number, or the same one with more records handled above
 * it. A write that would move it back (a slower, older invocation) is answered `"stale"`, not an
 * error. The processor reads every shard of a batch once and writes each shard at most once per
 * batch.
 *
 * The live implementation (DynamoDB) is `@cdc/aws/DynamoCheckpointStore`; the in-memory one
 * below has the same semantics for unit tests.
 *
 * @example
 * ```ts
 * const store = yield* CheckpointStore
 * const checkpoints = yield* store.read([{ streamArn, shardId }])
 * yield* store.advance({ streamArn, shardId }, "49607933946721")
 * ```
 */
import { Context, Effect, Layer, Ref } from "effect"
import type { DependencyError } from "./PartialBatch"
import { compareSequenceNumbers } from "./SequenceNumber"

export interface ShardRef {
  readonly streamArn: string
  readonly shardId: string
}

/** The one string that identifies a shard across streams. */
export const shardKey = (shard: ShardRef): string => `${shard.streamArn}#${shard.shardId}`

/** What a shard's checkpoint says was handled. */
export interface Checkpoint {
  /** Every record at or below it ("0": none). */
  readonly sequenceNumber: string
  /** Records above `sequenceNumber` that were handled too. */
  readonly handledAbove: ReadonlyArray<string>
}

/**
 * True when the checkpoint says the record was handled already.
 *
 * @example
 * ```ts
 * isHandled({ sequenceNumber: "20", handledAbove: ["31"] }, "31") // true
 * isHandled({ sequenceNumber: "20", handledAbove: ["31"] }, "21") // false
 * ```
 */
export const isHandled = (checkpoint: Checkpoint | undefined, sequenceNumber: string): boolean =>
  checkpoint !== undefined &&
  (compareSequenceNumbers(sequenceNumber, checkpoint.sequenceNumber) <= 0 || checkpoint.handledAbove.includes(sequenceNumber))

/**
 * True when `next` says more than `current`: a higher sequence number, or the same one with more
 * records handled above it.
 */
export const isAhead = (next: Checkpoint, current: Checkpoint | undefined): boolean => {
  if (current === undefined) return true
  const order = compareSequenceNumbers(next.sequenceNumber, current.sequenceNumber)
  return order > 0 || (order === 0 && next.handledAbove.length > current.handledAbove.length)
}

export interface CheckpointStoreService {
  /** The checkpoints of these shards (absent = none yet), keyed by {@link shardKey}. */
  readonly read: (shards: ReadonlyArray<ShardRef>) => Effect.Effect<ReadonlyMap<string, Checkpoint>, DependencyError>
  /** Moves the shard's checkpoint to `checkpoint`, unless the stored one is already at or past it ({@link isAhead}). */
  readonly advance: (shard: ShardRef, checkpoint: Checkpoint) => Effect.Effect<"advanced" | "stale", DependencyError>
}

export class CheckpointStore extends Context.Service<CheckpointStore, CheckpointStoreService>()("@cdc/pipeline/CheckpointStore") {}

export interface InMemoryCheckpointStore {
  readonly service: CheckpointStoreService
  /** Each shard's sequence number. */
  readonly checkpoints: Effect.Effect<ReadonlyMap<string, string>>
  /** Each shard's whole checkpoint. */
  readonly stored: Effect.Effect<ReadonlyMap<string, Checkpoint>>
  /** Calls made, for call-count assertions. */
  readonly reads: Effect.Effect<number>
  readonly writes: Effect.Effect<number>
}

/**
 * @example
 * ```ts
 * const memory = yield* makeInMemoryCheckpointStore()
 * yield* program.pipe(Effect.provideService(CheckpointStore, memory.service))
 * ```
 */
export const makeInMemoryCheckpointStore = (initial: ReadonlyMap<string, string> = new Map()): Effect.Effect<InMemoryCheckpointStore> =>
  Effect.gen(function* () {
    const state = yield* Ref.make<ReadonlyMap<string, Checkpoint>>(
      new Map([...initial].map(([key, sequenceNumber]) => [key, { sequenceNumber, handledAbove: [] }]))
    )
    const reads = yield* Ref.make(0)
    const writes = yield* Ref.make(0)
    return {
      service: {
        read: (shards) =>
          Ref.update(reads, (n) => n + 1).pipe(
            Effect.andThen(Ref.get(state)),
            Effect.map((all) => {
              const found = new Map<string, Checkpoint>()
              for (const shard of shards) {
                const value = all.get(shardKey(shard))
                if (value !== undefined) found.set(shardKey(shard), value)
              }
              return found
            })
          ),
        advance: (shard, checkpoint) =>
          Ref.update(writes, (n) => n + 1).pipe(
            Effect.andThen(
              Ref.modify(state, (all): readonly ["advanced" | "stale", ReadonlyMap<string, Checkpoint>] =>
                isAhead(checkpoint, all.get(shardKey(shard))) ? ["advanced", new Map(all).set(shardKey(shard), checkpoint)] : ["stale", all]
              )
            )
          )
      },
      checkpoints: Effect.map(Ref.get(state), (all) => new Map([...all].map(([key, checkpoint]) => [key, checkpoint.sequenceNumber]))),
      stored: Ref.get(state),
      reads: Ref.get(reads),
      writes: Ref.get(writes)
    }
  })

/** The in-memory store as a Layer. */
export const inMemoryCheckpointLayer = (store: InMemoryCheckpointStore): Layer.Layer<CheckpointStore> =>
  Layer.succeed(CheckpointStore, store.service)
