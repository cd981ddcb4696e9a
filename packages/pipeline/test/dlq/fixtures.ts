/**
 * Shared set-up of the DLQ unit tests: the worker's services as in-memory Layers, a real record
 * path (pure), and builders of the three kinds of DLQ message.
 */
import { DecodeError, InvalidValueError } from "@cdc/domain/Errors"
import { makeRecordPath } from "@cdc/domain/RecordPath"
import { developmentRedactionKeys } from "@cdc/domain/RedactionKeys"
import { sampleChanges } from "@cdc/testkit/Changes"
import { toDmsRecord } from "@cdc/testkit/InputShapes"
import * as Effect from "effect/Effect"
import * as Layer from "effect/Layer"
import * as Logger from "effect/Logger"
import type { DeadLetterMessage } from "../../src/DeadLetter"
import { deadLetter } from "../../src/DeadLetters"
import { type Alert, Alerts, makeMemoryAlertStore } from "../../src/dlq/Alerts"
import { AlertWindow, type AlertWindowOptions, defaultAlertWindowOptions, makeMemoryAlertWindowStore } from "../../src/dlq/AlertWindow"
import { Archive, makeMemoryArchiveStore } from "../../src/dlq/Archive"
import type { DlqDelivery } from "../../src/dlq/DlqInput"
import { DlqRecordPath } from "../../src/dlq/DlqRecordPath"
import { appendRecord, MemoryStream, makeMemoryStream } from "../../src/dlq/MemoryStream"
import { RetryPolicies, type RetryPolicy } from "../../src/RetryPolicy"

export const streamArn = "arn:aws:kinesis:us-east-1:123456789012:stream/cdc-test"
export const recordPath = makeRecordPath({ keys: developmentRedactionKeys, sourcePrefix: "cdc-pipeline", eventBusName: "bus" })

const noRetry: RetryPolicy = { maxRetries: 0, baseDelayMillis: 100, maxDelayMillis: 1_000, jitter: 0 }
export const noRetries = {
  "kinesis-read": noRetry,
  "dynamodb-write": noRetry,
  "eventbridge-publish": noRetry,
  "state-update": noRetry,
  "dlq-send": noRetry
}

/** Everything the worker needs, in memory; the stores are returned for assertions. */
export const memoryWorld = (policies = noRetries, windowOptions: AlertWindowOptions = defaultAlertWindowOptions) => {
  const archive = makeMemoryArchiveStore()
  const alerts = makeMemoryAlertStore()
  const alertWindow = makeMemoryAlertWindowStore()
  const stream = makeMemoryStream(streamArn)
  const logs: Array<string> = []
  // the same JSON lines the Lambda prints, kept for the canary scans
  const capture = Logger.make((options) => {
    logs.push(Logger.formatJson.log(options))
  })
  const layer = Layer.mergeAll(
    Archive.layerMemory(archive),
    Alerts.layerMemory(alerts),
    AlertWindow.layerMemory(alertWindow, windowOptions),
    MemoryStream.layer(stream),
    DlqRecordPath.layer(recordPath, developmentRedactionKeys),
    RetryPolicies.layer(policies),
    Logger.layer([capture])
  )
  return { archive, alerts, alertWindow, stream, logs, layer }
}

let counter = 0
/** An SQS delivery of `body` (a fresh message id unless given). */
export const delivery = (body: unknown, messageId = `msg-${++counter}`): DlqDelivery => ({
  messageId,
  body: typeof body === "string" ? body : JSON.stringify(body),
  sentTimestamp: Date.UTC(2026, 0, 15, 10, 0, 0)
})

/** A processor dead letter for a record that could not be decoded. */
export const poisonDeadLetter = (sequenceNumber: string, table = "users", shardId = "shardId-000000000000"): DeadLetterMessage =>
  deadLetter({
    error: new InvalidValueError({
      coordinates: { streamArn, shardId, sequenceNumber, table },
      table,
      column: "id",
      reason: "not-an-integer"
    }),
    coordinates: {
      streamArn,
      shardId,
      sequenceNumber,
      table,
      arrivalTime: Date.UTC(2026, 0, 14, 23, 59, 0)
    },
    at: "2026-01-15T00:00:01.000Z"
  })

export const decodeDeadLetter = (sequenceNumber: string): DeadLetterMessage =>
  deadLetter({
    error: new DecodeError({ coordinates: { streamArn, shardId: "shardId-000000000000", sequenceNumber }, reason: "invalid-json" }),
    coordinates: { streamArn, shardId: "shardId-000000000000", sequenceNumber, arrivalTime: Date.UTC(2026, 0, 14) },
    at: "2026-01-15T00:00:01.000Z"
  })

/** The event source mapping's on-failure record for a range of the memory stream. */
export const onFailureRecord = (startSequenceNumber: string, endSequenceNumber: string, batchSize: number) => ({
  requestContext: {
    requestId: "c9b8fa9f-5a7f-4e2b-af9c-0c604cde93a5",
    functionArn: "arn:aws:lambda:us-east-1:123456789012:function:processor",
    condition: "RetryAttemptsExhausted",
    approximateInvokeCount: 4
  },
  responseContext: { statusCode: 200, executedVersion: "$LATEST", functionError: "Unhandled" },
  version: "1.0",
  timestamp: "2026-01-15T00:38:06.021Z",
  KinesisBatchInfo: {
    shardId: "shardId-000000000000",
    startSequenceNumber,
    endSequenceNumber,
    approximateArrivalOfFirstRecord: "2026-01-15T00:38:04.835Z",
    approximateArrivalOfLastRecord: "2026-01-15T00:38:05.580Z",
    batchSize,
    streamArn
  }
})

/** Three users changes in the stream: a good one, one with an invalid id, and one that is not JSON. */
export const seedStream = (stream: ReturnType<typeof makeMemoryStream>) => {
  const [good, bad] = sampleChanges(120, 5).filter((change) => change.table === "users" && change.operation === "INSERT")
  if (!good || !bad) throw new Error("sampleChanges gave too few users inserts")
  const invalid = { ...bad, after: { ...bad.after, id: "not-a-number" } }
  const arrivalTime = Date.UTC(2026, 0, 15, 0, 38, 4)
  const encode = (value: unknown) => new TextEncoder().encode(JSON.stringify(value))
  const records = [
    appendRecord(stream, { partitionKey: "users#1", data: encode(toDmsRecord(good)), arrivalTime }),
    appendRecord(stream, { partitionKey: "users#2", data: encode(toDmsRecord(invalid)), arrivalTime }),
    appendRecord(stream, { partitionKey: "users#3", data: new TextEncoder().encode("{not json"), arrivalTime })
  ]
  return { records, rows: [good.after, bad.after] }
}

export const run = <A, E>(effect: Effect.Effect<A, E, never>) => Effect.runPromise(effect)

/**
 * An alert of one problem, for tests of its rendering and publishing.
 *
 * @example
 * ```ts
 * alertFixture({ table: "用户" }).code // "unknown-table"
 * ```
 */
export const alertFixture = (overrides: Partial<Alert> = {}): Alert => ({
  table: "users",
  category: "configuration",
  code: "unknown-table",
  count: 1,
  newlyArchived: 1,
  kinds: ["cdc.dead-letter"],
  locations: [],
  moreLocations: 0,
  message: "table has no definition",
  columns: [],
  ...overrides
})
