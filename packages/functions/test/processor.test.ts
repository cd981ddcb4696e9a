/**
 * The handler with in-memory services and the real record path: the Lambda response, the EMF
 * metric lines and the JSON summary log, and that no record value is printed.
 */
import { developmentRedactionKeys } from "@cdc/domain/RedactionKeys"
import { wrapUpMillis } from "@cdc/pipeline/BatchProcessor"
import { CheckpointStore, inMemoryCheckpointLayer, makeInMemoryCheckpointStore } from "@cdc/pipeline/CheckpointStore"
import { PublishBreaker } from "@cdc/pipeline/CircuitBreaker"
import { inMemoryDeadLetterLayer, makeInMemoryDeadLetterQueue } from "@cdc/pipeline/DeadLetterQueue"
import { EventBus, inMemoryLayer, makeInMemoryEventBus } from "@cdc/pipeline/EventBus"
import * as RecordPath from "@cdc/pipeline/RecordPath"
import { defaultRetryPolicies, RetryPolicies } from "@cdc/pipeline/RetryPolicy"
import { sampleChanges } from "@cdc/testkit/Changes"
import { dmsControlRecord, toDmsRecord, toKinesisRecord } from "@cdc/testkit/InputShapes"
import { sensitiveValues } from "@cdc/testkit/SensitiveValues"
import * as Effect from "effect/Effect"
import * as Layer from "effect/Layer"
import * as Logger from "effect/Logger"
import { afterEach, describe, expect, it, vi } from "vitest"
import { returnMarginMillis } from "../src/LambdaEnvironment"
import { liveLayerWith, makeProcessorHandler } from "../src/processor"

const freshServices = () =>
  Effect.runSync(Effect.all({ bus: makeInMemoryEventBus, store: makeInMemoryCheckpointStore(), dlq: makeInMemoryDeadLetterQueue }))

/** The handler's services in memory; parts can be replaced (a broken checkpoint store, a failing bus, other retry policies). */
const layerOf = (
  services = freshServices(),
  parts: { store?: Layer.Layer<CheckpointStore>; bus?: Layer.Layer<EventBus>; retries?: Layer.Layer<RetryPolicies> } = {}
) =>
  Layer.mergeAll(
    RecordPath.layer({ keys: developmentRedactionKeys, sourcePrefix: "cdc-pipeline", eventBusName: "bus" }),
    parts.bus ?? inMemoryLayer(services.bus),
    parts.store ?? inMemoryCheckpointLayer(services.store),
    inMemoryDeadLetterLayer(services.dlq),
    parts.retries ?? RetryPolicies.layer(),
    PublishBreaker.layer(),
    Logger.layer([Logger.consoleJson])
  )

const layer = layerOf()

/** Every line printed to stdout from now on, parsed as JSON. */
const printedLines = () => {
  const lines: Array<string> = []
  vi.spyOn(console, "log").mockImplementation((...args: Array<unknown>) => {
    lines.push(args.map(String).join(" "))
  })
  return { lines, parsed: () => lines.map((line) => JSON.parse(line) as Record<string, unknown>) }
}

/** The value of an EMF metric among printed lines (with the given dimensions). */
const emfMetric = (parsed: ReadonlyArray<Record<string, unknown>>, name: string, dimensions: Record<string, string> = {}) =>
  parsed
    .filter((p) => p._aws !== undefined)
    .find((p) => p[name] !== undefined && Object.entries(dimensions).every(([k, v]) => p[k] === v))?.[name]

afterEach(() => {
  vi.restoreAllMocks()
  vi.unstubAllEnvs()
})

describe("processor handler", () => {
  it("answers batchItemFailures, prints EMF metrics and one JSON summary line, and never a record value", async () => {
    const { lines, parsed: parse } = printedLines()
    const changes = sampleChanges(36, 3)
    const records = changes.map((change, index) => toKinesisRecord(toDmsRecord(change), { index }))
    records.splice(5, 0, toKinesisRecord('{"metadata":{"table-name":"users"},"data":{"ssn":"987-65-4321"', { index: 500 }))
    const ddl = dmsControlRecord({ table: "orders", operation: "add-column", columns: ["gift_note"], changeTimeMillis: 1_705_314_600_000 })
    records.push(toKinesisRecord(ddl, { index: 501 }))
    const handle = makeProcessorHandler(layer)
    const before = Date.now()
    const response = await handle({ Records: records }, { awsRequestId: "req-1", functionName: "processor" })
    const after = Date.now()
    expect(response).toEqual({ batchItemFailures: [] })

    const parsed = parse()
    const emf = parsed.filter((p) => p._aws !== undefined)
    const metric = (name: string, dimensions: Record<string, string> = {}) => emfMetric(parsed, name, dimensions)
    expect(metric("cdc_records_in")).toBe(38)
    expect(metric("cdc_published")).toBe(36)
    expect(metric("cdc_dead_lettered", { reason: "invalid-json" })).toBe(1)
    expect(metric("cdc_filtered", { reason: "control-record" })).toBe(1)
    expect(metric("cdc_aws_calls")).toBeUndefined()
    // Every batch reports the same figures, zeros included: what dashboards are built on.
    const aws = emf.find((p) => p.cdc_records_in !== undefined)?._aws as
      | { CloudWatchMetrics: Array<{ Metrics: Array<{ Name: string; Unit: string }> }> }
      | undefined
    const figures = aws?.CloudWatchMetrics[0]?.Metrics
    expect(figures?.map((m) => `${m.Name} ${m.Unit}`).sort()).toEqual([
      "cdc_batch_latency_ms Milliseconds",
      "cdc_iterator_age_ms Milliseconds",
      "cdc_left_for_retry Count",
      "cdc_published Count",
      "cdc_records_in Count",
      "cdc_schema_drift Count",
      "cdc_skipped_duplicate Count"
    ])
    for (const line of emf) {
      const aws = line._aws as { Timestamp: number; CloudWatchMetrics: Array<{ Namespace: string; Dimensions: Array<Array<string>> }> }
      // The namespace dashboards query; CloudWatch drops EMF lines stamped far from the batch's time.
      expect(aws.CloudWatchMetrics[0]?.Namespace).toBe("CdcPipeline")
      expect(aws.Timestamp).toBeGreaterThanOrEqual(before)
      expect(aws.Timestamp).toBeLessThanOrEqual(after)
      expect(aws.CloudWatchMetrics[0]?.Dimensions[0]).toContain("functionName")
    }

    const summaries = parsed.filter((p) => p.message === "batch processed")
    expect(summaries).toHaveLength(1)
    expect(summaries[0]?.annotations).toMatchObject({
      records: 38,
      published: 36,
      filtered: 1,
      deadLettered: 1,
      schemaDriftNotices: 1,
      requestId: "req-1"
    })

    const printed = lines.join("\n")
    expect(printed).not.toContain("987-65-4321")
    for (const change of changes) {
      for (const row of [change.before, change.after]) {
        for (const value of sensitiveValues(change.table, row ?? {})) expect(printed).not.toContain(value)
      }
    }
  })

  it("reports the earliest unpublished record of every shard, and counts retries and what is left, when the bus refuses the batch", async () => {
    const { parsed } = printedLines()
    const shards = ["shardId-000000000000", "shardId-000000000001"]
    const records = sampleChanges(6, 6).map((change, index) =>
      toKinesisRecord(toDmsRecord(change), { index, shardId: shards[index % shards.length] as string })
    )
    const services = freshServices()
    const throttled = inMemoryLayer(services.bus, () => ({
      _tag: "FailCall",
      error: { _tag: "AwsError", category: "throttling", code: "ThrottlingException", retryable: true, message: "throttled" }
    }))
    const oneQuickRetry = RetryPolicies.layer({
      ...defaultRetryPolicies,
      "eventbridge-publish": { maxRetries: 1, baseDelayMillis: 1, maxDelayMillis: 1, jitter: 0 }
    })
    // the pace of Lambda's retry after the failure, on the real clock: short (BatchProcessor's tests time it)
    const handle = makeProcessorHandler(layerOf(services, { bus: throttled, retries: oneQuickRetry }), { retryPaceMillis: 50 })
    const response = await handle({ Records: records }, { awsRequestId: "req-5", functionName: "processor" })
    expect(response.batchItemFailures.map((f) => f.itemIdentifier).sort()).toEqual(
      records
        .slice(0, 2)
        .map((r) => r.kinesis.sequenceNumber)
        .sort()
    )
    const metrics = parsed()
    expect(emfMetric(metrics, "cdc_retries", { dependency: "eventbridge-publish" })).toBe(shards.length)
    expect(emfMetric(metrics, "cdc_left_for_retry")).toBe(records.length)
  })

  it("returns before Lambda's timeout when the bus never answers: every shard reported from its first record", async () => {
    printedLines()
    const shards = ["shardId-000000000000", "shardId-000000000001"]
    const records = sampleChanges(6, 7).map((change, index) =>
      toKinesisRecord(toDmsRecord(change), { index, shardId: shards[index % shards.length] as string })
    )
    const services = freshServices()
    const hanging: Layer.Layer<EventBus> = Layer.succeed(EventBus, { putEvents: () => Effect.never })
    const handle = makeProcessorHandler(layerOf(services, { bus: hanging }))
    // half a second before the windows' limit (the margin and the wrap-up kept for after them)
    const remaining = returnMarginMillis + wrapUpMillis + 500
    const response = await handle(
      { Records: records },
      { awsRequestId: "req-9", functionName: "processor", getRemainingTimeInMillis: () => remaining }
    )
    expect(response.batchItemFailures.map((f) => f.itemIdentifier).sort()).toEqual(
      records
        .slice(0, 2)
        .map((r) => r.kinesis.sequenceNumber)
        .sort()
    )
  }, 30_000)

  it("reports every shard from its first record, and logs only the failure's kind, when the batch program dies", async () => {
    const { lines, parsed } = printedLines()
    const secret = "987-65-4321"
    const broken = Layer.succeed(CheckpointStore, {
      read: () => Effect.die(new TypeError(`Cannot read ${secret}`)),
      advance: () => Effect.die(new TypeError(`Cannot write ${secret}`))
    })
    const records = sampleChanges(6, 4).map((change, index) =>
      toKinesisRecord(toDmsRecord(change), { index, shardId: index % 2 === 0 ? "shardId-000000000000" : "shardId-000000000001" })
    )
    const handle = makeProcessorHandler(layerOf(freshServices(), { store: broken }))
    const response = await handle({ Records: records }, { awsRequestId: "req-2", functionName: "processor" })
    expect(response.batchItemFailures).toEqual([
      { itemIdentifier: records[0]?.kinesis.sequenceNumber },
      { itemIdentifier: records[1]?.kinesis.sequenceNumber }
    ])
    const errors = parsed().filter((p) => p.level === "ERROR")
    expect(errors).toHaveLength(1)
    expect(errors[0]?.annotations).toMatchObject({ requestId: "req-2" })
    expect(errors[0]?.message).toEqual([
      "batch failed unexpectedly; every shard is reported from its first record",
      { failures: [], defects: ["TypeError"], interrupted: false }
    ])
    expect(lines.join("\n")).not.toContain(secret)
  })

  it("a batch program that dies after some shards published loses nothing on the redelivery: every change delivered under one id", async () => {
    printedLines()
    const services = freshServices()
    // the second shard's checkpoint write dies once, after the bus took that shard's events
    let dies = 1
    const breaksOnce = Layer.succeed(CheckpointStore, {
      read: services.store.service.read,
      advance: (shard, sequenceNumber) =>
        shard.shardId === "shardId-000000000001" && dies-- > 0
          ? Effect.die(new TypeError("checkpoint store defect"))
          : services.store.service.advance(shard, sequenceNumber)
    })
    const records = sampleChanges(8, 9).map((change, index) =>
      toKinesisRecord(toDmsRecord(change), { index, shardId: index % 2 === 0 ? "shardId-000000000000" : "shardId-000000000001" })
    )
    const handle = makeProcessorHandler(layerOf(services, { store: breaksOnce }))
    const first = await handle({ Records: records }, { awsRequestId: "req-1", functionName: "processor" })
    expect(first.batchItemFailures).toEqual([
      { itemIdentifier: records[0]?.kinesis.sequenceNumber },
      { itemIdentifier: records[1]?.kinesis.sequenceNumber }
    ])
    expect(Effect.runSync(services.bus.published).length, "the bus took events before the program died").toBeGreaterThan(0)
    // Lambda delivers the batch again from the reported records: here, the whole batch
    const second = await handle({ Records: records }, { awsRequestId: "req-2", functionName: "processor" })
    expect(second.batchItemFailures).toEqual([])
    // a copy differs only in when it was processed
    const copies = new Map<string, Set<string>>()
    for (const entry of Effect.runSync(services.bus.published)) {
      const detail = JSON.parse(entry.Detail) as { eventId: string; metadata: { processedAt?: string } }
      delete detail.metadata.processedAt
      copies.set(detail.eventId, (copies.get(detail.eventId) ?? new Set()).add(JSON.stringify(detail)))
    }
    expect(copies.size, "every change delivered").toBe(records.length)
    expect(
      [...copies.values()].every((details) => details.size === 1),
      "a change delivered again is the same event"
    ).toBe(true)
    expect(Effect.runSync(services.dlq.messages)).toEqual([])
    const checkpoints = Effect.runSync(services.store.checkpoints)
    expect([...checkpoints.values()].sort()).toEqual([records[6]?.kinesis.sequenceNumber, records[7]?.kinesis.sequenceNumber].sort())
  })

  it("prints each batch's own figures: a redelivered batch counts its skipped duplicates, not the first delivery", async () => {
    const records = sampleChanges(12, 8).map((change, index) => toKinesisRecord(toDmsRecord(change), { index }))
    const handle = makeProcessorHandler(layerOf())
    const { lines, parsed } = printedLines()
    await handle({ Records: records }, { awsRequestId: "req-3", functionName: "processor" })
    lines.length = 0
    expect(await handle({ Records: records }, { awsRequestId: "req-4", functionName: "processor" })).toEqual({ batchItemFailures: [] })
    const metrics = parsed()
    expect(emfMetric(metrics, "cdc_records_in")).toBe(12)
    expect(emfMetric(metrics, "cdc_skipped_duplicate")).toBe(12)
    expect(emfMetric(metrics, "cdc_published")).toBe(0)
  })

  it("fails the invocation, naming the variable, when required configuration is missing at cold start", async () => {
    vi.stubEnv("CDC_EVENT_BUS_NAME", "bus")
    vi.stubEnv("CDC_STATE_TABLE", "state")
    vi.stubEnv("CDC_DLQ_URL", undefined)
    const handle = makeProcessorHandler(liveLayerWith())
    const records = sampleChanges(2, 5).map((change, index) => toKinesisRecord(toDmsRecord(change), { index }))
    // an Error, which Lambda reports by name and message (a plain object would be of type `object`)
    const error = await handle({ Records: records }).catch((e: unknown) => e)
    expect(error).toBeInstanceOf(Error)
    expect(error).toMatchObject({ name: "ConfigError", message: "invalid configuration: CDC_DLQ_URL: Expected string" })
  })
})
