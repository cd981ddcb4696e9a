import { makeRecordPath } from "@cdc/domain/RecordPath"
import { developmentRedactionKeys } from "@cdc/domain/RedactionKeys"
import { Alerts, makeMemoryAlertStore } from "@cdc/pipeline/dlq/Alerts"
import { AlertWindow } from "@cdc/pipeline/dlq/AlertWindow"
import { Archive, makeMemoryArchiveStore } from "@cdc/pipeline/dlq/Archive"
import { DlqRecordPath } from "@cdc/pipeline/dlq/DlqRecordPath"
import { MemoryStream, makeMemoryStream } from "@cdc/pipeline/dlq/MemoryStream"
import { RetryPolicies } from "@cdc/pipeline/RetryPolicy"
import type { SQSRecord } from "aws-lambda"
import * as Effect from "effect/Effect"
import * as Layer from "effect/Layer"
import * as Logger from "effect/Logger"
import { afterEach, describe, expect, it, vi } from "vitest"
import { liveLayer, makeDlqHandler, toDeliveries } from "../src/dlqWorker"
import { sqsEvent } from "./dlqResources"

const recordPath = makeRecordPath({ keys: developmentRedactionKeys, sourcePrefix: "cdc-pipeline", eventBusName: "bus" })
/** The worker's services in memory; `logs` receives every log line as JSON. */
const services = (archive: Layer.Layer<Archive>, logs: Array<string> = []) =>
  Layer.mergeAll(
    archive,
    Alerts.layerMemory(makeMemoryAlertStore()),
    AlertWindow.layerMemory(),
    MemoryStream.layer(makeMemoryStream("arn:aws:kinesis:us-east-1:123456789012:stream/s")),
    DlqRecordPath.layer(recordPath, developmentRedactionKeys),
    RetryPolicies.layer(),
    Logger.layer([Logger.make((options) => logs.push(Logger.formatJson.log(options)))])
  )

const event = sqsEvent([
  { MessageId: "a", Body: "x", Attributes: { SentTimestamp: "1705314600000" } },
  { MessageId: "b", Body: "y" }
])

afterEach(() => {
  vi.unstubAllEnvs()
})

describe("dlqWorker handler", () => {
  it("maps SQS records to deliveries with SQS's send time", () => {
    expect(toDeliveries(event)).toEqual([
      { messageId: "a", body: "x", sentTimestamp: 1705314600000 },
      { messageId: "b", body: "y", sentTimestamp: 0 }
    ])
  })

  it("reports every message for redelivery when the program dies unexpectedly, logging the defect's kind only", async () => {
    const secret = "card 4111111111111111"
    const broken = Layer.succeed(Archive, {
      location: (key: string) => key,
      put: () => Effect.die(new TypeError(`bug near ${secret}`)),
      listKeys: () => Effect.die(new Error("bug")),
      describe: () => Effect.die(new Error("bug")),
      get: () => Effect.die(new Error("bug")),
      markRedriven: () => Effect.die(new Error("bug"))
    })
    const logs: Array<string> = []
    const response = await makeDlqHandler(services(broken, logs))(event, { awsRequestId: "req-9" })
    expect(response.batchItemFailures).toEqual([{ itemIdentifier: "a" }, { itemIdentifier: "b" }])
    const errors = logs.map((line) => JSON.parse(line)).filter((line) => line.level === "ERROR")
    expect(
      errors.map((line) => line.annotations.requestId),
      "the invocation is named on its error line"
    ).toEqual(["req-9"])
    expect(errors.map((line) => line.message)).toEqual([
      ["dlq batch failed unexpectedly; every message will be redelivered", { failures: [], defects: ["TypeError"], interrupted: false }]
    ])
    expect(logs.join("\n")).not.toContain("4111111111111111")
  })

  it("archives a message whose SQS send time is unknown instead of redelivering the batch", async () => {
    const store = makeMemoryArchiveStore()
    const record = sqsEvent([{ MessageId: "c", Body: "not a dead letter" }]).Records[0] as SQSRecord
    const { SentTimestamp: _, ...attributes } = record.attributes
    const response = await makeDlqHandler(services(Archive.layerMemory(store)))({
      Records: [{ ...record, attributes: attributes as SQSRecord["attributes"] }]
    })
    expect(response.batchItemFailures).toEqual([])
    expect(store.objects.size).toBe(1)
  })

  it("fails the invocation, naming the variable, when required configuration is missing at cold start", async () => {
    vi.stubEnv("CDC_ALERT_TOPIC_ARN", "arn:aws:sns:us-east-1:123456789012:alerts")
    vi.stubEnv("CDC_STREAM_NAME", "changes")
    vi.stubEnv("CDC_ARCHIVE_BUCKET", undefined)
    const error = await makeDlqHandler(liveLayer)(event).catch((e: unknown) => e)
    expect(error).toBeInstanceOf(Error)
    expect(error).toMatchObject({ name: "ConfigError", message: "invalid configuration: CDC_ARCHIVE_BUCKET: Expected string" })
  })
})
