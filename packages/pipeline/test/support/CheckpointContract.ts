/**
 * What every checkpoint store must do, written once and run against each: the in-memory store
 * every batch-program unit test relies on (`CheckpointStore.test.ts`) and DynamoDB on the
 * emulator (`@cdc/aws`'s integration test), so the test double cannot drift from the real one.
 *
 * @example
 * ```ts
 * it("keeps the contract", () => checkpointContract(store, Effect.runPromise))
 * ```
 */
import type * as Effect from "effect/Effect"
import { expect } from "vitest"
import type { CheckpointStoreService } from "../../src/CheckpointStore"

const shard = { streamArn: "arn:aws:kinesis:eu-west-1:123456789012:stream/s", shardId: "shardId-000000000000" }
const other = { ...shard, shardId: "shardId-000000000001" }

export const checkpointContract = async (
  store: CheckpointStoreService,
  run: <A, E>(effect: Effect.Effect<A, E>) => Promise<A>
): Promise<void> => {
  expect(Object.fromEntries(await run(store.read([shard, other])))).toEqual({})
  expect(await run(store.advance(shard, "9"))).toBe("advanced")
  // as strings "10" < "9"; as integers it is further
  expect(await run(store.advance(shard, "10"))).toBe("advanced")
  expect(await run(store.advance(shard, "9"))).toBe("stale")
  // the same position again (a retried write, a redelivered batch) moves nothing
  expect(await run(store.advance(shard, "10"))).toBe("stale")
  const long = "49650000000000000000000000000000000000000000000000000012"
  expect(await run(store.advance(shard, long))).toBe("advanced")
  expect(await run(store.advance(shard, long.slice(0, -1)))).toBe("stale")
  expect(await run(store.advance(other, "5"))).toBe("advanced")
  // a shard named twice is read once; a shard never checkpointed is absent
  const read = await run(store.read([shard, other, { ...shard, shardId: "shardId-none" }, shard]))
  expect(Object.fromEntries(read)).toEqual({
    [`${shard.streamArn}#${shard.shardId}`]: long,
    [`${other.streamArn}#${other.shardId}`]: "5"
  })
}
