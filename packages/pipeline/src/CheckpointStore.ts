/**
 * Checkpoints: per shard, the highest sequence number up to which every record was handled
 * (published, filtered or dead-lettered). A retried batch skips records at or below it.
 *
 * The store only ever moves a checkpoint forward, comparing sequence numbers as integers (see
 * ./SequenceNumber); a write that would move it back (a slower, older invocation) is answered
 * `"stale"`, not an error. The processor reads every shard of a batch once and writes each
 * shard at most once per batch.
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
import * as Context from "effect/Context"
import * as Effect from "effect/Effect"
import * as Layer from "effect/Layer"
import * as Ref from "effect/Ref"
import type { DependencyError } from "./PartialBatch"
import { compareSequenceNumbers } from "./SequenceNumber"

export interface ShardRef {
  readonly streamArn: string
  readonly shardId: string
}

/** The one string that identifies a shard across streams. */
export const shardKey = (shard: ShardRef): string => `${shard.streamArn}#${shard.shardId}`

export interface CheckpointStoreService {
  /** The checkpoints of these shards (absent = none yet), keyed by {@link shardKey}. */
  readonly read: (shards: ReadonlyArray<ShardRef>) => Effect.Effect<ReadonlyMap<string, string>, DependencyError>
  /** Moves the shard's checkpoint up to `sequenceNumber`, unless it is already at or past it. */
  readonly advance: (shard: ShardRef, sequenceNumber: string) => Effect.Effect<"advanced" | "stale", DependencyError>
}

export class CheckpointStore extends Context.Service<CheckpointStore, CheckpointStoreService>()("@cdc/pipeline/CheckpointStore") {}

export interface InMemoryCheckpointStore {
  readonly service: CheckpointStoreService
  readonly checkpoints: Effect.Effect<ReadonlyMap<string, string>>
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
    const state = yield* Ref.make<ReadonlyMap<string, string>>(initial)
    const reads = yield* Ref.make(0)
    const writes = yield* Ref.make(0)
    return {
      service: {
        read: (shards) =>
          Ref.update(reads, (n) => n + 1).pipe(
            Effect.andThen(Ref.get(state)),
            Effect.map((all) => {
              const found = new Map<string, string>()
              for (const shard of shards) {
                const value = all.get(shardKey(shard))
                if (value !== undefined) found.set(shardKey(shard), value)
              }
              return found
            })
          ),
        advance: (shard, sequenceNumber) =>
          Ref.update(writes, (n) => n + 1).pipe(
            Effect.andThen(
              Ref.modify(state, (all): readonly ["advanced" | "stale", ReadonlyMap<string, string>] => {
                const current = all.get(shardKey(shard))
                if (current !== undefined && compareSequenceNumbers(current, sequenceNumber) >= 0) return ["stale", all]
                return ["advanced", new Map(all).set(shardKey(shard), sequenceNumber)]
              })
            )
          )
      },
      checkpoints: Ref.get(state),
      reads: Ref.get(reads),
      writes: Ref.get(writes)
    }
  })

/** The in-memory store as a Layer. */
export const inMemoryCheckpointLayer = (store: InMemoryCheckpointStore): Layer.Layer<CheckpointStore> =>
  Layer.succeed(CheckpointStore, store.service)
