/**
 * The local Kinesis event source mapping against the emulator's real Kinesis API: batch item
 * failures are re-read from the reported record, exhausted retries go to the on-failure
 * destination, and a restarted poller resumes after its stored position.
 */
import { mkdtempSync } from "node:fs"
import { tmpdir } from "node:os"
import path from "node:path"
import { CreateStreamCommand, DescribeStreamSummaryCommand, PutRecordCommand } from "@aws-sdk/client-kinesis"
import type { KinesisStreamEvent } from "aws-lambda"
import * as Effect from "effect/Effect"
import * as Fiber from "effect/Fiber"
import { describe, expect, it } from "vitest"
import { type KinesisBatchInfo, type KinesisHandler, runKinesisEventSource } from "../../src/local/KinesisEventSource"
import { makeLiveStats } from "../../src/local/LiveStats"
import { makeClients } from "../../src/local/LocalAws"
import { openPositionStore } from "../../src/local/PositionStore"

const clients = makeClients()

const createStream = async (name: string) => {
  await clients.kinesis.send(new CreateStreamCommand({ StreamName: name, ShardCount: 1 }))
  for (;;) {
    const { StreamDescriptionSummary: s } = await clients.kinesis.send(new DescribeStreamSummaryCommand({ StreamName: name }))
    if (s?.StreamStatus === "ACTIVE")
      return { name, arn: s.StreamARN!, region: process.env.AWS_REGION!, createdAt: s.StreamCreationTimestamp!.getTime() }
    await new Promise((r) => setTimeout(r, 100))
  }
}

const put = async (stream: string, values: ReadonlyArray<number>) => {
  for (const value of values)
    await clients.kinesis.send(new PutRecordCommand({ StreamName: stream, PartitionKey: "k", Data: Buffer.from(String(value)) }))
}

const valuesOf = (event: KinesisStreamEvent) => event.Records.map((r) => Number(Buffer.from(r.kinesis.data, "base64").toString()))

const until = async (condition: () => boolean, what: string) => {
  const deadline = Date.now() + 30_000
  while (!condition()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`)
    await new Promise((r) => setTimeout(r, 50))
  }
}

const start = (
  stream: Awaited<ReturnType<typeof createStream>>,
  file: string,
  handler: KinesisHandler,
  onFailure: (info: KinesisBatchInfo) => void = () => {},
  maximumRetryAttempts = 3
) =>
  Effect.runFork(
    Effect.scoped(
      runKinesisEventSource({
        kinesis: clients.kinesis,
        stream,
        settings: { batchSize: 100, batchingWindowMillis: 200, maximumRetryAttempts, bisectOnError: false },
        positions: openPositionStore(file, stream.createdAt),
        stats: makeLiveStats(),
        handler,
        onFailure: (info) => Effect.sync(() => onFailure(info)),
        idlePollMillis: 50
      })
    )
  )

describe("local Kinesis event source mapping", () => {
  it("re-reads from the earliest reported failure, then resumes after its saved position when restarted", async () => {
    const stream = await createStream(`esm-retry-${Date.now()}`)
    const file = path.join(mkdtempSync(path.join(tmpdir(), "esm-")), "positions.json")
    await put(stream.name, [0, 1, 2, 3, 4, 5])
    const delivered: Array<number> = []
    let failedOnce = false
    const first = start(stream, file, async (event) => {
      delivered.push(...valuesOf(event))
      const three = event.Records.find((r) => Buffer.from(r.kinesis.data, "base64").toString() === "3")
      if (three && !failedOnce) {
        failedOnce = true
        return { batchItemFailures: [{ itemIdentifier: three.kinesis.sequenceNumber }] }
      }
      return { batchItemFailures: [] }
    })
    await until(() => delivered.filter((v) => v === 5).length === 2, "the redelivery")
    await Effect.runPromise(Fiber.interrupt(first))
    // Records 0-2 were acknowledged with the failed batch; 3-5 came again, in order.
    expect(delivered).toEqual([0, 1, 2, 3, 4, 5, 3, 4, 5])

    await put(stream.name, [6, 7])
    const afterRestart: Array<number> = []
    const second = start(stream, file, async (event) => {
      afterRestart.push(...valuesOf(event))
      return { batchItemFailures: [] }
    })
    await until(() => afterRestart.includes(7), "the new records")
    await Effect.runPromise(Fiber.interrupt(second))
    expect(afterRestart).toEqual([6, 7])
  })

  it("sends the rest of a batch to the on-failure destination once retries are exhausted, and moves on", async () => {
    const stream = await createStream(`esm-exhausted-${Date.now()}`)
    const file = path.join(mkdtempSync(path.join(tmpdir(), "esm-")), "positions.json")
    await put(stream.name, [0, 1, 2])
    const failures: Array<KinesisBatchInfo> = []
    const attempts: Array<ReadonlyArray<number>> = []
    const fiber = start(
      stream,
      file,
      async (event) => {
        attempts.push(valuesOf(event))
        const poison = event.Records.find((r) => Buffer.from(r.kinesis.data, "base64").toString() === "1")
        return { batchItemFailures: poison ? [{ itemIdentifier: poison.kinesis.sequenceNumber }] : [] }
      },
      (info) => failures.push(info),
      1
    )
    await until(() => failures.length === 1, "the on-failure record")
    await put(stream.name, [3])
    await until(() => attempts.some((a) => a.includes(3)), "the next record")
    await Effect.runPromise(Fiber.interrupt(fiber))
    // The first attempt and one retry, then the destination gets records 1..2 by coordinates.
    expect(attempts.slice(0, 2)).toEqual([
      [0, 1, 2],
      [1, 2]
    ])
    expect(failures[0]).toMatchObject({ batchSize: 2, streamArn: stream.arn, shardId: "shardId-000000000000" })
    expect(attempts.at(-1)).toEqual([3])
  })
})
