/**
 * Reading records back from, and writing them into, the emulator's Kinesis stream by sequence
 * number: ranges that span several GetRecords pages, bounds, other streams, re-injection.
 */
import { PutRecordsCommand } from "@aws-sdk/client-kinesis"
import { RetryPolicies } from "@cdc/pipeline/RetryPolicy"
import * as Effect from "effect/Effect"
import { beforeAll, describe, expect, it } from "vitest"
import { clients, createDlqResources, type DlqResources, putRecord } from "../../functions/test/dlqResources"
import { makeKinesisStream } from "../src/KinesisStream"

const c = clients()
let home: DlqResources
let other: DlqResources
const run = <A, E>(effect: Effect.Effect<A, E, RetryPolicies>) => Effect.runPromise(Effect.provide(effect, RetryPolicies.layer()))
const streamOf = (stream: string) => run(makeKinesisStream(c.kinesis, stream))
const text = (data: Uint8Array) => Buffer.from(data).toString()

beforeAll(async () => {
  ;[home, other] = await Promise.all([createDlqResources(c), createDlqResources(c)])
})

describe("KinesisStream", () => {
  it("reads a range exactly, from its first to its last record, across several GetRecords pages", async () => {
    const before = await putRecord(c, home, "k", "before")
    const written: Array<string> = []
    for (let page = 0; page < 3; page++) {
      const { Records } = await c.kinesis.send(
        new PutRecordsCommand({
          StreamName: home.streamName,
          Records: Array.from({ length: 400 }, (_, i) => ({ PartitionKey: `k${i % 7}`, Data: Buffer.from(`r${page * 400 + i}`) }))
        })
      )
      written.push(...(Records ?? []).map((r) => r.SequenceNumber as string))
    }
    await putRecord(c, home, "k", "after")
    const { fetcher } = await streamOf(home.streamName)
    const range = {
      streamArn: home.streamArn,
      shardId: before.shardId,
      startSequenceNumber: written[0]!,
      endSequenceNumber: written.at(-1)!
    }
    const records = await run(fetcher.fetchRange(range))
    expect(records.map((r) => r.sequenceNumber)).toEqual(written)
    expect(records.map((r) => text(r.data))).toEqual(written.map((_, i) => `r${i}`))
    expect(records[8]).toMatchObject({ streamArn: home.streamArn, shardId: before.shardId, partitionKey: "k1" })
    expect(Math.abs((records[0]?.arrivalTime ?? 0) - Date.now())).toBeLessThan(60_000)
  })

  it("fetches one record from the stream its coordinates name, and re-injects into its own stream", async () => {
    const elsewhere = await putRecord(c, other, "users#7", "from the other stream")
    const { fetcher, injector } = await streamOf(home.streamName)
    const found = await run(fetcher.fetchOne({ streamArn: other.streamArn, ...elsewhere }))
    expect(found && { ...found, data: text(found.data) }).toMatchObject({
      streamArn: other.streamArn,
      sequenceNumber: elsewhere.sequenceNumber,
      partitionKey: "users#7",
      data: "from the other stream"
    })

    await run(injector.check)
    const injected = await run(injector.put({ partitionKey: "users#7", data: Buffer.from("redriven") }))
    const back = await run(fetcher.fetchOne({ streamArn: undefined, ...injected }))
    expect(back && [back.partitionKey, text(back.data)]).toEqual(["users#7", "redriven"])
  })

  it("finds no record in a shard or stream that is gone, as past the retention, instead of failing for good", async () => {
    // a discarded batch of a shard closed by a reshard and since expired: its DLQ message must be
    // archived as expired, not retried until it is parked
    const { fetcher } = await streamOf(home.streamName)
    const range = {
      startSequenceNumber: "49650000000000000000000000000000000000000000000000",
      endSequenceNumber: "49650000000000000000000000000000000000000000000009"
    }
    expect(await run(fetcher.fetchRange({ ...range, streamArn: home.streamArn, shardId: "shardId-000000000999" }))).toEqual([])
    expect(await run(fetcher.fetchRange({ ...range, streamArn: `${home.streamArn}-deleted`, shardId: "shardId-000000000000" }))).toEqual([])
    expect(
      await run(fetcher.fetchOne({ streamArn: home.streamArn, shardId: "shardId-000000000999", sequenceNumber: range.startSequenceNumber }))
    ).toBeUndefined()
  })

  it("says, before a redrive writes, that the stream to write to is not there", async () => {
    const { injector } = await streamOf(`${home.streamName}-missing`)
    const error = await run(Effect.flip(injector.check))
    expect([error.code, error.retryable]).toEqual(["ResourceNotFoundException", false])
  })
})
