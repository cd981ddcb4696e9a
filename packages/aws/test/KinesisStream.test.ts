import type { KinesisClient } from "@aws-sdk/client-kinesis"
import { RetryPolicies } from "@cdc/pipeline/RetryPolicy"
import { assert, describe, it } from "@effect/vitest"
import * as Effect from "effect/Effect"
import { makeKinesisStream } from "../src/KinesisStream"
import { fakeClient } from "./fakeClient"

describe("KinesisStream.fetchOne", () => {
  it.effect("answers nothing when the stream no longer holds the record, rather than the next one", () =>
    Effect.gen(function* () {
      // As Kinesis once the record is past retention: the iterator starts at the oldest record left.
      const { client } = fakeClient<KinesisClient>((command) =>
        "ShardIterator" in command.input
          ? { Records: [{ SequenceNumber: "200", PartitionKey: "users#2", Data: new Uint8Array([1]) }] }
          : { ShardIterator: "iterator" }
      )
      const { fetcher } = yield* makeKinesisStream(client, "cdc-changes")
      const found = yield* fetcher.fetchOne({ streamArn: undefined, shardId: "shardId-000000000000", sequenceNumber: "100" })
      assert.isUndefined(found)
    }).pipe(Effect.provide(RetryPolicies.layer()))
  )
})

describe("KinesisStream.fetchRange", () => {
  it.effect("fails as transient when the range is not read to its end within its calls, rather than returning part of it", () =>
    Effect.gen(function* () {
      // As a shard answering page after page without records, the range's end never reached
      const { client, commands } = fakeClient<KinesisClient>((command) =>
        "ShardIterator" in command.input
          ? { Records: [], NextShardIterator: "next", MillisBehindLatest: 5_000 }
          : { ShardIterator: "iterator" }
      )
      const { fetcher } = yield* makeKinesisStream(client, "cdc-changes")
      const error = yield* Effect.flip(
        fetcher.fetchRange({
          streamArn: "cdc-changes",
          shardId: "shardId-000000000000",
          startSequenceNumber: "100",
          endSequenceNumber: "900"
        })
      )
      assert.deepStrictEqual([error.code, error.category, error.retryable], ["range-not-read", "transient", true])
      assert.strictEqual(commands.filter((command) => "ShardIterator" in command.input).length, 100)
    }).pipe(Effect.provide(RetryPolicies.layer()))
  )
})
