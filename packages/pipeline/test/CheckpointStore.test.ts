/**
 * The in-memory checkpoint store, the test double of every batch-program unit test, keeps the
 * same contract as the DynamoDB store (see ./support/CheckpointContract).
 */
import * as Effect from "effect/Effect"
import { describe, it } from "vitest"
import { makeInMemoryCheckpointStore } from "../src/CheckpointStore"
import { checkpointContract } from "./support/CheckpointContract"

describe("the in-memory checkpoint store", () => {
  it("moves only forward, compares as integers, and reads each shard once, as DynamoDB's does", async () => {
    const store = await Effect.runPromise(makeInMemoryCheckpointStore())
    await checkpointContract(store.service, Effect.runPromise)
  })
})
