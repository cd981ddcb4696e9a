/**
 * The handler with in-memory services and the real record path: the Lambda response, the EMF
 * metric lines and the JSON summary log, and that no record value is printed.
 */
import { developmentRedactionKeys } from "@cdc/domain/RedactionKeys"
import { inMemoryCheckpointLayer, makeInMemoryCheckpointStore } from "@cdc/pipeline/CheckpointStore"
import { PublishBreaker } from "@cdc/pipeline/CircuitBreaker"
import { inMemoryDeadLetterLayer, makeInMemoryDeadLetterQueue } from "@cdc/pipeline/DeadLetterQueue"
import { inMemoryLayer, makeInMemoryEventBus } from "@cdc/pipeline/EventBus"
import * as RecordPath from "@cdc/pipeline/RecordPath"
import { RetryPolicies } from "@cdc/pipeline/RetryPolicy"
import { sampleChanges } from "@cdc/testkit/Changes"
import { toDmsRecord, toKinesisRecord } from "@cdc/testkit/InputShapes"
import { sensitiveValues } from "@cdc/testkit/SensitiveValues"
import { Effect, Layer, Logger } from "effect"
import { afterEach, describe, expect, it, vi } from "vitest"
import { makeProcessorHandler, metricsNamespace } from "../src/processor"

const services = Effect.runSync(
  Effect.all({ bus: makeInMemoryEventBus, store: makeInMemoryCheckpointStore(), dlq: makeInMemoryDeadLetterQueue })
)

const layer = Layer.mergeAll(
  RecordPath.layer({ keys: developmentRedactionKeys, sourcePrefix: "cdc-pipeline", eventBusName: "bus" }),
  inMemoryLayer(services.bus),
  inMemoryCheckpointLayer(services.store),
  inMemoryDeadLetterLayer(services.dlq),
  RetryPolicies.layer(),
  PublishBreaker.layer(),
  Logger.layer([Logger.consoleJson])
)

afterEach(() => {
  vi.restoreAllMocks()
})

describe("processor handler", () => {
  it("answers batchItemFailures, prints EMF metrics and one JSON summary line, and never a record value", async () => {
    const lines: Array<string> = []
    vi.spyOn(console, "log").mockImplementation((...args: Array<unknown>) => {
      lines.push(args.map(String).join(" "))
    })
    const changes = sampleChanges(36, 3)
    const records = changes.map((change, index) => toKinesisRecord(toDmsRecord(change), { index }))
    records.splice(5, 0, toKinesisRecord('{"metadata":{"table-name":"users"},"data":{"ssn":"987-65-4321"', { index: 500 }))
    const handle = makeProcessorHandler(layer)
    const response = await handle({ Records: records }, { awsRequestId: "req-1", functionName: "processor" })
    expect(response).toEqual({ batchItemFailures: [] })

    const parsed = lines.map((line) => JSON.parse(line) as Record<string, unknown>)
    const emf = parsed.filter((p) => p._aws !== undefined)
    const metric = (name: string, dimensions: Record<string, string> = {}) =>
      emf.find((p) => p[name] !== undefined && Object.entries(dimensions).every(([k, v]) => p[k] === v))?.[name]
    expect(metric("cdc_records_in")).toBe(37)
    expect(metric("cdc_published")).toBe(36)
    expect(metric("cdc_dead_lettered", { reason: "invalid-json" })).toBe(1)
    expect(metric("cdc_aws_calls")).toBeUndefined()
    for (const line of emf) {
      const aws = line._aws as { CloudWatchMetrics: Array<{ Namespace: string; Dimensions: Array<Array<string>> }> }
      expect(aws.CloudWatchMetrics[0]?.Namespace).toBe(metricsNamespace)
      expect(aws.CloudWatchMetrics[0]?.Dimensions[0]).toContain("functionName")
    }

    const summaries = parsed.filter((p) => p.message === "batch processed")
    expect(summaries).toHaveLength(1)
    expect(summaries[0]?.annotations).toMatchObject({ records: 37, published: 36, deadLettered: 1, requestId: "req-1" })

    const printed = lines.join("\n")
    expect(printed).not.toContain("987-65-4321")
    for (const change of changes) {
      for (const value of sensitiveValues(change.table, change.after ?? change.before ?? {})) expect(printed).not.toContain(value)
    }
  })
})
