import type { BatchGetItemCommandInput, DynamoDBClient } from "@aws-sdk/client-dynamodb"
import { assert, describe, it } from "@effect/vitest"
import * as ConfigProvider from "effect/ConfigProvider"
import * as Effect from "effect/Effect"
import { checkpointTtlHoursConfig, makeDynamoCheckpointStore } from "../src/DynamoCheckpointStore"
import { fakeClient, sdkError } from "./fakeClient"

const shard = (n: number) => ({ streamArn: "arn:aws:kinesis:eu-west-1:123456789012:stream/s", shardId: `shardId-${n}` })

describe("DynamoCheckpointStore with a table under load", () => {
  it.effect("asks the keys DynamoDB left unprocessed again, until every checkpoint is read", () =>
    Effect.gen(function* () {
      // As DynamoDB under load: each call answers one key and leaves the others unprocessed.
      const { client } = fakeClient<DynamoDBClient>((command) => {
        const [first, ...rest] = (command.input as unknown as BatchGetItemCommandInput).RequestItems?.state?.Keys ?? []
        const pk = first?.pk?.S ?? ""
        return {
          Responses: { state: [{ pk: { S: pk }, sequenceNumber: { S: pk.slice(-1) } }] },
          UnprocessedKeys: rest.length === 0 ? {} : { state: { Keys: rest } }
        }
      })
      const read = yield* makeDynamoCheckpointStore(client, "state").read([shard(1), shard(2), shard(3)])
      assert.deepStrictEqual([...read.values()], ["1", "2", "3"])
    })
  )

  it.effect("fails the read as retryable when keys stay unprocessed, instead of reading them as no checkpoint", () =>
    Effect.gen(function* () {
      // As DynamoDB throttled for longer than the read asks again: every key left unprocessed
      const { client, commands } = fakeClient<DynamoDBClient>((command) => ({
        Responses: { state: [] },
        UnprocessedKeys: { state: { Keys: (command.input as unknown as BatchGetItemCommandInput).RequestItems?.state?.Keys } }
      }))
      const error = yield* Effect.flip(makeDynamoCheckpointStore(client, "state").read([shard(1), shard(2)]))
      assert.deepStrictEqual([error.code, error.category, error.retryable], ["UnprocessedKeys", "throttling", true])
      assert.strictEqual(commands.length, 5)
    })
  )

  it.effect("fails a throttled checkpoint write as retryable instead of calling it stale", () =>
    Effect.gen(function* () {
      const store = (name: string) =>
        makeDynamoCheckpointStore(fakeClient<DynamoDBClient>(() => Promise.reject(sdkError(name, 400))).client, "state")
      assert.strictEqual(yield* store("ConditionalCheckFailedException").advance(shard(1), "42"), "stale")
      const error = yield* Effect.flip(store("ProvisionedThroughputExceededException").advance(shard(1), "42"))
      assert.deepStrictEqual([error.code, error.retryable], ["ProvisionedThroughputExceededException", true])
    })
  )
})

describe("CDC_CHECKPOINT_TTL_HOURS", () => {
  it.effect("is optional, a whole number of hours of at least 1, and refused otherwise naming the variable", () =>
    Effect.gen(function* () {
      const read = (env: Record<string, string>) => checkpointTtlHoursConfig.parse(ConfigProvider.fromEnv({ env }))
      assert.strictEqual(yield* read({}), undefined)
      assert.strictEqual(yield* read({ CDC_CHECKPOINT_TTL_HOURS: "192" }), 192)
      for (const value of ["0", "-5", "1.5", "two days"]) {
        const error = yield* Effect.flip(read({ CDC_CHECKPOINT_TTL_HOURS: value }))
        assert.include(String(error), "CDC_CHECKPOINT_TTL_HOURS", value)
      }
    })
  )
})
