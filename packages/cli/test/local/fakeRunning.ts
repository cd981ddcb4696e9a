/**
 * A local run's resources without an emulator, for unit tests of the parts that share them
 * (`Running`): a fake Kinesis stream that places every record (one shard, sequence numbers 1, 2,
 * …), a fake SQS that reports the depths of the DLQ and of one consumer queue (`wallboards`), the
 * real ledger, live statistics and an in-memory position store, and a terminal whose stdout is
 * collected.
 */
import { mkdtempSync } from "node:fs"
import { tmpdir } from "node:os"
import path from "node:path"
import type { PutRecordsCommand } from "@aws-sdk/client-kinesis"
import { GetQueueAttributesCommand } from "@aws-sdk/client-sqs"
import * as Effect from "effect/Effect"
import { TestClock } from "effect/testing"
import { makeLedger } from "../../src/local/Ledger"
import { makeLiveStats } from "../../src/local/LiveStats"
import type { Clients } from "../../src/local/LocalAws"
import { defaultLocalRunOptions, type LocalRunOptions } from "../../src/local/LocalRunOptions"
import { openPositionStore } from "../../src/local/PositionStore"
import type { Provisioned } from "../../src/local/Provision"
import type { Running } from "../../src/local/Running"

export interface FakeRun {
  readonly running: Running
  /** Records written to the stream, in order. */
  readonly written: Array<{ readonly partitionKey: string; readonly data: string }>
  /** PutRecords requests made. */
  readonly requests: () => number
  /** What the run printed on stdout. */
  readonly stdout: Array<string>
  /** What the run itself printed on stderr (its notes; not the functions' output). */
  readonly stderr: Array<string>
  /** Messages on the DLQ, as GetQueueAttributes reports them; set it to change the depth. */
  dlqDepth: number
  /** Messages on the consumer queue `wallboards`, as GetQueueAttributes reports them. */
  wallboardsDepth: number
}

export const fakeRun = (options: Partial<LocalRunOptions> = {}, metrics: Record<string, number> = {}): FakeRun => {
  const written: FakeRun["written"] = []
  const stdout: Array<string> = []
  const stderr: Array<string> = []
  let dlqDepth = 0
  let wallboardsDepth = 0
  let requests = 0
  const kinesis = {
    send: async (command: PutRecordsCommand) => {
      requests += 1
      return {
        Records: (command.input.Records ?? []).map((entry) => {
          written.push({ partitionKey: entry.PartitionKey!, data: Buffer.from(entry.Data!).toString() })
          return { ShardId: "shardId-000000000000", SequenceNumber: String(written.length) }
        })
      }
    }
  }
  const sqs = {
    send: async (command: unknown) => {
      if (!(command instanceof GetQueueAttributesCommand)) throw new Error("unexpected SQS call")
      const depth = command.input.QueueUrl === "dlq" ? dlqDepth : wallboardsDepth
      return { Attributes: { ApproximateNumberOfMessages: String(depth), ApproximateNumberOfMessagesNotVisible: "0" } }
    }
  }
  const provisioned = {
    region: "us-east-1",
    stream: { name: "changes", arn: "arn", createdAt: 1 },
    dlq: { url: "dlq", arn: "arn", name: "dlq" },
    consumerQueues: [{ id: "wallboards", url: "wallboards", arn: "arn", name: "wallboards" }]
  }
  const running = {
    options: { ...defaultLocalRunOptions, headless: true, ...options },
    clients: { kinesis, sqs } as unknown as Clients,
    provisioned: provisioned as unknown as Provisioned,
    stats: makeLiveStats(),
    ledger: makeLedger(),
    positions: openPositionStore(path.join(mkdtempSync(path.join(tmpdir(), "cdc-run-")), "positions.json"), 1),
    logs: {
      terminal: { out: (text: string) => void stdout.push(text), err: (text: string) => void stderr.push(text) },
      metrics: () => metrics,
      file: "functions.log",
      restore: async () => {}
    }
  } as unknown as Running
  return {
    running,
    written,
    requests: () => requests,
    stdout,
    stderr,
    get dlqDepth() {
      return dlqDepth
    },
    set dlqDepth(depth: number) {
      dlqDepth = depth
    },
    get wallboardsDepth() {
      return wallboardsDepth
    },
    set wallboardsDepth(depth: number) {
      wallboardsDepth = depth
    }
  }
}

/** Lets the fakes' promises settle (they resolve outside the fiber scheduler). */
export const settle = Effect.promise(() => new Promise<void>((resolve) => setImmediate(resolve)))

/** Moves the TestClock by `millis` in small steps, letting the run's fibers and fakes keep up. */
export const advance = (millis: number, step = 100) =>
  Effect.gen(function* () {
    for (let t = 0; t < millis; t += step) {
      yield* TestClock.adjust(Math.min(step, millis - t))
      yield* settle
    }
  })
