/**
 * The checkpoint store on the emulator's DynamoDB: conditional writes that only move forward,
 * comparing sequence numbers as integers across lengths.
 */
import { randomUUID } from "node:crypto"
import { DynamoDBClient, GetItemCommand } from "@aws-sdk/client-dynamodb"
import { createStateTable } from "@cdc/testkit/ProcessorResources"
import * as Effect from "effect/Effect"
import { TestClock } from "effect/testing"
import { describe, expect, it } from "vitest"
import { checkpointContract } from "../../pipeline/test/support/CheckpointContract"
import { checkpointPk, makeDynamoCheckpointStore } from "../src/DynamoCheckpointStore"

const client = new DynamoDBClient({})

const freshTable = async () => {
  const table = `ckpt-${randomUUID().slice(0, 8)}`
  await createStateTable(client, table)
  return table
}
const freshStore = async () => makeDynamoCheckpointStore(client, await freshTable())

const shard = { streamArn: "arn:aws:kinesis:eu-west-1:123456789012:stream/s", shardId: "shardId-000000000000" }
const other = { ...shard, shardId: "shardId-000000000001" }

describe("DynamoCheckpointStore", () => {
  it("moves a checkpoint only forward, comparing sequence numbers as integers across lengths", async () => {
    // the contract the in-memory test double keeps too
    await checkpointContract(await freshStore(), Effect.runPromise)
  })

  it("reads more shards than one BatchGetItem takes", async () => {
    const store = await freshStore()
    const shards = Array.from({ length: 130 }, (_, i) => ({ ...shard, shardId: `shardId-${i}` }))
    await Effect.runPromise(Effect.forEach(shards.slice(0, 120), (s, i) => store.advance(s, String(1000 + i)), { concurrency: 8 }))
    const read = await Effect.runPromise(store.read(shards))
    expect(read.size).toBe(120)
    expect(read.get(`${shard.streamArn}#shardId-119`)).toBe("1119")
  })

  it("gives each write a time to live (the table's TTL attribute), renewed by every write that advances", async () => {
    const table = await freshTable()
    const store = makeDynamoCheckpointStore(client, table, { ttlHours: 48 })
    const expiresAt = async () => {
      const item = await client.send(
        new GetItemCommand({
          TableName: table,
          Key: { pk: { S: checkpointPk(`${shard.streamArn}#${shard.shardId}`) } },
          ConsistentRead: true
        })
      )
      return item.Item?.expiresAt?.N
    }
    const at = (millis: number, effect: Effect.Effect<unknown, unknown>) =>
      Effect.runPromise(Effect.andThen(TestClock.setTime(millis), effect).pipe(Effect.provide(TestClock.layer())))
    await at(1_700_000_000_000, store.advance(shard, "10"))
    expect(await expiresAt()).toBe(String(1_700_000_000 + 48 * 3600))
    await at(1_700_000_600_000, store.advance(shard, "11"))
    expect(await expiresAt()).toBe(String(1_700_000_600 + 48 * 3600))
    await at(1_700_009_000_000, store.advance(shard, "11")) // stale: nothing written
    expect(await expiresAt()).toBe(String(1_700_000_600 + 48 * 3600))
    // without a time to live, no expiry is written
    await Effect.runPromise(makeDynamoCheckpointStore(client, table).advance(other, "1"))
    const plain = await client.send(
      new GetItemCommand({
        TableName: table,
        Key: { pk: { S: checkpointPk(`${other.streamArn}#${other.shardId}`) } },
        ConsistentRead: true
      })
    )
    expect(plain.Item?.expiresAt).toBeUndefined()
  })
})
