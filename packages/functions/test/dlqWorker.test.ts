import { makeRecordPath } from "@cdc/domain/RecordPath"
import { developmentRedactionKeys } from "@cdc/domain/RedactionKeys"
import { Alerts, makeMemoryAlertStore } from "@cdc/pipeline/dlq/Alerts"
import { Archive } from "@cdc/pipeline/dlq/Archive"
import { DlqRecordPath } from "@cdc/pipeline/dlq/DlqRecordPath"
import { MemoryStream, makeMemoryStream } from "@cdc/pipeline/dlq/MemoryStream"
import { RetryPolicies } from "@cdc/pipeline/RetryPolicy"
import { Effect, Layer, Logger } from "effect"
import { describe, expect, it } from "vitest"
import { makeDlqHandler, toDeliveries } from "../src/dlqWorker"
import { sqsEvent } from "./dlqResources"

const recordPath = makeRecordPath({ keys: developmentRedactionKeys, sourcePrefix: "cdc-pipeline", eventBusName: "bus" })
const services = (archive: Layer.Layer<Archive>) =>
  Layer.mergeAll(
    archive,
    Alerts.layerMemory(makeMemoryAlertStore()),
    MemoryStream.layer(makeMemoryStream("arn:aws:kinesis:us-east-1:123456789012:stream/s")),
    DlqRecordPath.layer(recordPath, developmentRedactionKeys),
    RetryPolicies.layer(),
    Logger.layer([])
  )

const event = sqsEvent([
  { MessageId: "a", Body: "x", Attributes: { SentTimestamp: "1705314600000" } },
  { MessageId: "b", Body: "y" }
])

describe("dlqWorker handler", () => {
  it("maps SQS records to deliveries with SQS's send time", () => {
    expect(toDeliveries(event)).toEqual([
      { messageId: "a", body: "x", sentTimestamp: 1705314600000 },
      { messageId: "b", body: "y", sentTimestamp: 0 }
    ])
  })

  it("reports every message for redelivery when the program dies unexpectedly", async () => {
    const broken = Layer.succeed(Archive, {
      location: (key: string) => key,
      put: () => Effect.die(new Error("bug")),
      listKeys: () => Effect.die(new Error("bug")),
      describe: () => Effect.die(new Error("bug")),
      get: () => Effect.die(new Error("bug")),
      markRedriven: () => Effect.die(new Error("bug"))
    })
    const response = await makeDlqHandler(services(broken))(event)
    expect(response.batchItemFailures).toEqual([{ itemIdentifier: "a" }, { itemIdentifier: "b" }])
  })
})
