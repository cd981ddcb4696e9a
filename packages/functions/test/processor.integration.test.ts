/**
 * The processor end to end on the emulator: real handler, real Layers, real SDK clients; a bus
 * whose rule delivers every event into a consumer queue; faults injected around the real
 * EventBridge client.
 */
import { randomUUID } from "node:crypto"
import { DynamoDBClient, GetItemCommand } from "@aws-sdk/client-dynamodb"
import { EventBridgeClient } from "@aws-sdk/client-eventbridge"
import { CreateQueueCommand, DeleteMessageBatchCommand, ReceiveMessageCommand, SQSClient } from "@aws-sdk/client-sqs"
import { checkpointPk } from "@cdc/aws/DynamoCheckpointStore"
import { EventBridgeEventBus } from "@cdc/aws/EventBridgeEventBus"
import { makeRecordPath } from "@cdc/domain/RecordPath"
import { developmentRedactionKeys } from "@cdc/domain/RedactionKeys"
import { tables } from "@cdc/domain/Tables"
import type { BatchResult } from "@cdc/pipeline/BatchProcessor"
import type { DeadLetterMessage } from "@cdc/pipeline/DeadLetter"
import type { EventEntry, FaultPlan } from "@cdc/pipeline/EventBus"
import { defaultRetryPolicies } from "@cdc/pipeline/RetryPolicy"
import { sampleChanges } from "@cdc/testkit/Changes"
import { testStreamArn, toDmsRecord, toKinesisRecord } from "@cdc/testkit/InputShapes"
import { createPublishingResources } from "@cdc/testkit/ProcessorResources"
import { sensitiveValues } from "@cdc/testkit/SensitiveValues"
import type { KinesisStreamEvent, KinesisStreamRecord } from "aws-lambda"
import type * as Metric from "effect/Metric"
import { afterEach, beforeEach, describe, expect, it, vi } from "vitest"
import { liveLayerWith, makeProcessorHandler } from "../src/processor"

const dynamodb = new DynamoDBClient({})
const eventbridge = new EventBridgeClient({})
const sqs = new SQSClient({})

interface Topology {
  readonly bus: string
  readonly table: string
  readonly dlqUrl: string
  readonly consumerUrl: string
}

/** A fresh bus → rule → consumer queue, state table and DLQ, and the env pointing at them. */
const provision = async (): Promise<Topology> => {
  const name = `proc-${randomUUID().slice(0, 8)}`
  const { consumerUrl } = await createPublishingResources(name, { dynamodb, eventbridge, sqs })
  const dlqUrl = (await sqs.send(new CreateQueueCommand({ QueueName: `${name}-dlq` }))).QueueUrl as string
  Object.assign(process.env, {
    CDC_EVENT_BUS_NAME: name,
    CDC_STATE_TABLE: name,
    CDC_DLQ_URL: dlqUrl,
    // Short backoff so retried calls don't slow the suite; the figures are unit-tested on TestClock.
    CDC_RETRY_EVENTBRIDGE_PUBLISH_BASE_DELAY_MS: "5",
    CDC_RETRY_EVENTBRIDGE_PUBLISH_MAX_DELAY_MS: "20"
  })
  return { bus: name, table: name, dlqUrl, consumerUrl }
}

/** Drains a queue: every body, in the order SQS hands them out. */
const drain = async (queueUrl: string): Promise<Array<string>> => {
  const bodies: Array<string> = []
  for (let empty = 0; empty < 2; ) {
    const { Messages } = await sqs.send(new ReceiveMessageCommand({ QueueUrl: queueUrl, MaxNumberOfMessages: 10, WaitTimeSeconds: 0 }))
    if (!Messages || Messages.length === 0) {
      empty++
      continue
    }
    bodies.push(...Messages.map((m) => m.Body ?? ""))
    await sqs.send(
      new DeleteMessageBatchCommand({
        QueueUrl: queueUrl,
        Entries: Messages.map((m, i) => ({ Id: String(i), ReceiptHandle: m.ReceiptHandle as string }))
      })
    )
  }
  return bodies
}

interface Delivered {
  readonly eventId: string
  readonly key: string
  readonly sequenceNumber: string
}

const delivered = (bodies: ReadonlyArray<string>): Array<Delivered> =>
  bodies.map((body) => {
    const event = JSON.parse(body) as {
      source: string
      detail: { eventId: string; entityId: string; metadata: { sequenceNumber: string } }
    }
    return {
      eventId: event.detail.eventId,
      key: `${event.source}#${event.detail.entityId}`,
      sequenceNumber: event.detail.metadata.sequenceNumber
    }
  })

const shards = ["shardId-000000000000", "shardId-000000000001", "shardId-000000000002"]

/** `count` generated changes of all tables as Lambda records over three shards (a key always on the same shard), poison at `poisonAt`. */
const kinesisBatch = (count: number, seed: number, poisonAt: ReadonlyArray<number> = []): Array<KinesisStreamRecord> =>
  sampleChanges(count, seed).map((change, index) => {
    const row = change.after ?? change.before ?? {}
    const key = `${change.table}#${String(row[tables.get(change.table)?.keyColumn ?? ""])}`
    const shardId = shards[[...key].reduce((h, c) => (h * 31 + c.charCodeAt(0)) % 1_000_003, 7) % shards.length] as string
    const payload = poisonAt.includes(index) ? `{"tableName":"users","ssn":"123-45-6789"` : toDmsRecord(change)
    return toKinesisRecord(payload, { index, shardId, partitionKey: key })
  })

const eventOf = (records: ReadonlyArray<KinesisStreamRecord>): KinesisStreamEvent => ({ Records: [...records] })

/** What the real record path says must be published, per record. */
const expectedEventIds = (records: ReadonlyArray<KinesisStreamRecord>, bus: string) => {
  const path = makeRecordPath({ keys: developmentRedactionKeys, sourcePrefix: "cdc-pipeline", eventBusName: bus })
  return records.flatMap((r) => {
    const outcome = path.fromKinesis(r, 0)
    return outcome._tag === "Publish" ? [outcome.eventId] : []
  })
}

const expectPerKeyOrder = (events: ReadonlyArray<Delivered>) => {
  const last = new Map<string, bigint>()
  for (const e of events) {
    const seq = BigInt(e.sequenceNumber)
    const previous = last.get(e.key)
    if (previous !== undefined) expect(seq > previous, `order of ${e.key}`).toBe(true)
    last.set(e.key, seq)
  }
}

const callCounts = (snapshots: ReadonlyArray<Metric.Metric.Snapshot>) => {
  const counts: Record<string, number> = {}
  for (const s of snapshots) {
    if (s.id !== "cdc_aws_calls" || s.type !== "Counter") continue
    const a = s.attributes ?? {}
    counts[`${a.service}.${a.operation}`] = Number(s.state.count)
  }
  return counts
}

const handlerWith = (parts: Parameters<typeof liveLayerWith>[0] = {}) => {
  const batches: Array<{ result: BatchResult; calls: Record<string, number> }> = []
  const handle = makeProcessorHandler(liveLayerWith(parts), {
    emf: false,
    onBatch: (result, snapshots) => batches.push({ result, calls: callCounts(snapshots) })
  })
  return { handle, batches }
}

let topology: Topology
beforeEach(async () => {
  topology = await provision()
})
afterEach(() => {
  vi.unstubAllEnvs()
})

describe("processor on the emulator", () => {
  it("publishes several hundred records of all tables exactly once, in per-key order, poison to the DLQ", async () => {
    // moto delivers rule targets slowly (tens of ms per event), so "several hundred" stays at 300.
    const records = kinesisBatch(300, 11, [37, 150, 262])
    const { handle, batches } = handlerWith()
    const response = await handle(eventOf(records))
    expect(response.batchItemFailures).toEqual([])

    const events = delivered(await drain(topology.consumerUrl))
    const expected = expectedEventIds(records, topology.bus)
    expect(expected.length).toBe(297)
    expect(events.map((e) => e.eventId).sort()).toEqual([...expected].sort())
    expectPerKeyOrder(events)

    const dead = (await drain(topology.dlqUrl)).map((b) => JSON.parse(b) as DeadLetterMessage)
    const poison = dead.filter((m) => m.kind === "cdc.dead-letter")
    expect(poison.map((m) => m.coordinates.sequenceNumber).sort()).toEqual(
      [37, 150, 262].map((i) => records[i]?.kinesis.sequenceNumber).sort()
    )
    expect(JSON.stringify(dead)).not.toContain("123-45-6789")

    const allBodies = JSON.stringify(events)
    for (const change of sampleChanges(300, 11).slice(0, 60)) {
      for (const row of [change.before, change.after]) {
        for (const value of sensitiveValues(change.table, row ?? {})) expect(allBodies).not.toContain(value)
      }
    }

    const { calls } = batches[0] as { calls: Record<string, number> }
    expect(calls["EventBridge.PutEvents"]).toBeLessThanOrEqual(Math.ceil(297 / 10) + shards.length)
    expect(calls["DynamoDB.BatchGetItem"]).toBe(1)
    expect(calls["DynamoDB.UpdateItem"]).toBe(shards.length)

    for (const shardId of shards) {
      const last = records.filter((r) => r.eventID.startsWith(shardId)).at(-1)?.kinesis.sequenceNumber
      const { Item } = await dynamodb.send(
        new GetItemCommand({
          TableName: topology.table,
          Key: { pk: { S: checkpointPk(`${testStreamArn}#${shardId}`) } },
          ConsistentRead: true
        })
      )
      expect(Item?.sequenceNumber?.S).toBe(last)
    }
  })

  it("retries partial PutEvents failures and throttling injected around the real client, losing and duplicating nothing", async () => {
    const records = kinesisBatch(150, 23)
    // The shards publish concurrently, so which chunk gets call number n varies from run to run; a
    // plan by call number alone can fault one entry on all four of its attempts (it did, in CI).
    // Each entry is faulted at most as often as the policy retries, so every entry must get through.
    const budget = defaultRetryPolicies["eventbridge-publish"].maxRetries
    const faults = new Map<string, number>()
    const faultable = (entry: EventEntry) => (faults.get(entry.Detail) ?? 0) < budget
    const fault = (entry: EventEntry) => faults.set(entry.Detail, (faults.get(entry.Detail) ?? 0) + 1)
    const plan: FaultPlan = (entries, call) => {
      const last = entries[entries.length - 1] as EventEntry
      if (call % 4 === 1 && faultable(last)) {
        fault(last)
        return {
          _tag: "FailEntries",
          failures: new Map([[entries.length - 1, { code: "ThrottlingException", retryable: true, category: "throttling" }]])
        }
      }
      if (call % 7 === 3 && entries.every(faultable)) {
        entries.forEach(fault)
        return {
          _tag: "FailCall",
          error: { _tag: "AwsError", category: "throttling", code: "ThrottlingException", retryable: true, message: "throttled" }
        }
      }
      return undefined
    }
    const { handle, batches } = handlerWith({ eventBus: EventBridgeEventBus.layerWithFaults(plan) })
    const response = await handle(eventOf(records))
    expect(response.batchItemFailures).toEqual([])
    const events = delivered(await drain(topology.consumerUrl))
    expect(events.map((e) => e.eventId).sort()).toEqual(expectedEventIds(records, topology.bus).sort())
    expectPerKeyOrder(events)
    expect(batches[0]?.result.summary.published).toBe(events.length)
  })

  it("reports the earliest failed record per shard when the bus stays throttled, and the retried batch adds no duplicates", async () => {
    const records = kinesisBatch(120, 5)
    let calls = 0
    const throttled: FaultPlan = () =>
      ++calls > 4
        ? {
            _tag: "FailCall",
            error: { _tag: "AwsError", category: "throttling", code: "ThrottlingException", retryable: true, message: "throttled" }
          }
        : undefined
    const failing = handlerWith({ eventBus: EventBridgeEventBus.layerWithFaults(throttled) })
    const first = await failing.handle(eventOf(records))
    expect(first.batchItemFailures.length).toBeGreaterThan(0)
    const firstEvents = delivered(await drain(topology.consumerUrl))
    // The reported records were not published, and per key nothing was published after an unpublished change.
    const published = new Set(firstEvents.map((e) => e.sequenceNumber))
    for (const { itemIdentifier } of first.batchItemFailures) expect(published.has(itemIdentifier)).toBe(false)
    const byKey = new Map<string, Array<string>>()
    for (const r of records) byKey.set(r.kinesis.partitionKey, [...(byKey.get(r.kinesis.partitionKey) ?? []), r.kinesis.sequenceNumber])
    for (const seqs of byKey.values()) {
      const sent = seqs.map((seq) => published.has(seq))
      expect(sent.indexOf(false) === -1 || !sent.slice(sent.indexOf(false)).includes(true)).toBe(true)
    }

    // Lambda re-delivers; a healthy bus now. The checkpoint keeps what was published from being sent again.
    const healthy = handlerWith()
    const second = await healthy.handle(eventOf(records))
    expect(second.batchItemFailures).toEqual([])
    expect(healthy.batches[0]?.result.summary.duplicates).toBe(firstEvents.length)
    const all = [...firstEvents, ...delivered(await drain(topology.consumerUrl))]
    expect(all.map((e) => e.eventId).sort()).toEqual(expectedEventIds(records, topology.bus).sort())
    expectPerKeyOrder(all)
  })

  it("opens the bus's circuit as CDC_BREAKER_* says, stopping the retries of a dead bus", async () => {
    vi.stubEnv("CDC_BREAKER_FAILURE_THRESHOLD", "1")
    // The reset timeout must outlast the first retry's backoff (5 ms here) by far more than a busy CI
    // machine can stall this process: at 100 ms, a stall of ~95 ms let the retry through as the
    // half-open trial (2 calls). The batch then paces Lambda's retry for this long, so not minutes.
    vi.stubEnv("CDC_BREAKER_RESET_TIMEOUT_MS", "2000")
    const records = kinesisBatch(30, 7).filter((r) => r.eventID.startsWith(`${shards[0]}:`))
    let calls = 0
    const dead: FaultPlan = () => {
      calls++
      return {
        _tag: "FailCall",
        error: { _tag: "AwsError", category: "throttling", code: "ThrottlingException", retryable: true, message: "throttled" }
      }
    }
    const { handle } = handlerWith({ eventBus: EventBridgeEventBus.layerWithFaults(dead) })
    const response = await handle(eventOf(records))
    expect(response.batchItemFailures).toEqual([{ itemIdentifier: records[0]?.kinesis.sequenceNumber }])
    // One failed call opens the circuit: the retry policy's further attempts are not made.
    expect(calls).toBe(1)
  })
})
