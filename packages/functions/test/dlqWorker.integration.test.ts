/**
 * The DLQ worker end to end on the emulator: real SQS messages (both kinds, duplicates, a
 * malformed one) handed to the Lambda handler, records fetched back from a real Kinesis stream,
 * objects in a real S3 bucket, alerts through a real SNS topic read from a subscribed SQS queue,
 * the alert window on a real DynamoDB state table; then a canary scan of everything written and
 * logged.
 */

import { DynamoDBClient, ScanCommand } from "@aws-sdk/client-dynamodb"
import { DynamoAlertWindow } from "@cdc/aws/DynamoAlertWindow"
import { KinesisStream } from "@cdc/aws/KinesisStream"
import { S3Archive } from "@cdc/aws/S3Archive"
import { SnsAlerts } from "@cdc/aws/SnsAlerts"
import { makeRecordPath } from "@cdc/domain/RecordPath"
import { developmentRedactionKeys } from "@cdc/domain/RedactionKeys"
import { deadLetter } from "@cdc/pipeline/DeadLetters"
import { DlqRecordPath } from "@cdc/pipeline/dlq/DlqRecordPath"
import { RetryPolicies } from "@cdc/pipeline/RetryPolicy"
import { sampleChanges } from "@cdc/testkit/Changes"
import { toDmsRecord } from "@cdc/testkit/InputShapes"
import { createStateTable } from "@cdc/testkit/ProcessorResources"
import { sensitiveValues } from "@cdc/testkit/SensitiveValues"
import * as Layer from "effect/Layer"
import * as Logger from "effect/Logger"
import { beforeAll, describe, expect, it } from "vitest"
import { makeDlqHandler } from "../src/dlqWorker"
import {
  alertsReceived,
  archiveObjects,
  type Clients,
  clients,
  createDlqResources,
  type DlqResources,
  drain,
  putRecord,
  sendToDlq,
  sqsEvent
} from "./dlqResources"

const recordPath = makeRecordPath({ keys: developmentRedactionKeys, sourcePrefix: "cdc-pipeline", eventBusName: "bus" })
const [good, bad] = sampleChanges(120, 9).filter((change) => change.table === "users" && change.operation === "INSERT")
const invalid = { ...bad!, after: { ...bad?.after, id: "not-a-number" } }
const canaries = [...sensitiveValues("users", good?.after ?? {}), ...sensitiveValues("users", bad?.after ?? {})]
const malformedSecret = "card 4111111111111111 ssn 078-05-1120"

let c: Clients
let r: DlqResources
const logs: Array<string> = []
let handle: ReturnType<typeof makeDlqHandler>

beforeAll(async () => {
  c = clients()
  r = await createDlqResources(c)
  await createStateTable(new DynamoDBClient({}), r.streamName)
  handle = makeDlqHandler(
    Layer.mergeAll(
      S3Archive.layer({ bucket: r.bucket, forcePathStyle: true }),
      SnsAlerts.layer(r.topicArn),
      DynamoAlertWindow.layer(r.streamName),
      KinesisStream.layer(r.streamName),
      DlqRecordPath.layer(recordPath, developmentRedactionKeys)
    ).pipe(
      Layer.provideMerge(RetryPolicies.layer()),
      Layer.provideMerge(Logger.layer([Logger.make((options) => logs.push(Logger.formatJson.log(options)))]))
    )
  )
})

describe("DLQ worker on the emulator", () => {
  it("archives both kinds of message, once each, alerts per problem, and leaks nothing", async () => {
    // the processor dead-lettered one record (invalid id) ...
    const rejected = await putRecord(c, r, "users#bad", JSON.stringify(toDmsRecord(invalid)))
    const coordinates = { streamArn: r.streamArn, ...rejected, partitionKey: "users#bad", arrivalTime: Date.now() }
    const outcome = recordPath.fromPayload(toDmsRecord(invalid), coordinates, Date.now())
    if (outcome._tag !== "Reject") throw new Error("the invalid record should be rejected")
    // as the processor does: the coordinates carry the table once it is known
    const withTable = { ...coordinates, table: outcome.error.coordinates.table }
    const dead = JSON.stringify(deadLetter({ error: outcome.error, coordinates: withTable, at: new Date().toISOString() }))
    // ... and the event source mapping discarded a batch of two (a valid record and a non-JSON one)
    // the archive key is dated by the record's arrival: the UTC day before and after the put
    // (different only when the put straddles midnight)
    const today = () => new Date().toISOString().slice(0, 10).replaceAll("-", "/")
    const dayBeforePut = today()
    const first = await putRecord(c, r, "users#good", JSON.stringify(toDmsRecord(good!)))
    const putDays = new Set([dayBeforePut, today()])
    const second = await putRecord(c, r, "users#junk", `{"ssn": "${malformedSecret}"`)
    const onFailure = JSON.stringify({
      requestContext: {
        requestId: "req-1",
        functionArn: "arn:aws:lambda:us-east-1:123456789012:function:processor",
        condition: "RetryAttemptsExhausted",
        approximateInvokeCount: 3
      },
      responseContext: { statusCode: 200, executedVersion: "$LATEST", functionError: "Unhandled" },
      version: "1.0",
      timestamp: new Date().toISOString(),
      KinesisBatchInfo: {
        shardId: first.shardId,
        startSequenceNumber: first.sequenceNumber,
        endSequenceNumber: second.sequenceNumber,
        approximateArrivalOfFirstRecord: new Date().toISOString(),
        approximateArrivalOfLastRecord: new Date().toISOString(),
        batchSize: 2,
        streamArn: r.streamArn
      }
    })
    await sendToDlq(c, r, [dead, dead, onFailure, malformedSecret])

    const messages = await drain(c, r.dlqUrl)
    expect(messages).toHaveLength(4)
    const response = await handle(sqsEvent(messages))
    expect(response.batchItemFailures).toEqual([])
    // the same dead letter delivered once more, in a later batch
    await sendToDlq(c, r, [dead])
    expect((await handle(sqsEvent(await drain(c, r.dlqUrl)))).batchItemFailures).toEqual([])

    const objects = await archiveObjects(c, r)
    const summary = objects.map((o) => [
      o.metadata["cdc-kind"],
      o.metadata["cdc-table"],
      o.metadata["cdc-category"],
      o.metadata["cdc-code"]
    ])
    expect(summary.sort()).toEqual([
      ["cdc.dead-letter", "users", "poison", "not-an-integer"],
      ["kinesis.on-failure", "_unknown", "poison", "invalid-json"],
      ["kinesis.on-failure", "users", "transient", "retry-attempts-exhausted"],
      ["malformed", "_unknown", "poison", "malformed-message"]
    ])
    expect(new Set(objects.map((o) => o.encryption))).toEqual(new Set(["AES256"]))
    const firstKeys = [...putDays].map((day) => `failed-events/users/${day}/kinesis-${first.shardId}-${first.sequenceNumber}.json`)
    expect(objects.filter((o) => firstKeys.includes(o.key))).toHaveLength(1)
    const valid = JSON.parse(objects.find((o) => o.metadata["cdc-code"] === "retry-attempts-exhausted")?.body ?? "{}")
    expect(valid.event.DetailType).toBe("user.created")
    expect(valid.coordinates).toMatchObject({ shardId: first.shardId, sequenceNumber: first.sequenceNumber, partitionKey: "users#good" })

    // the later batch's delivery of the same problem is counted in the window, not alerted again
    const alerts = await alertsReceived(c, r)
    const problems = alerts.map((a) => [a.body.problem.table, a.body.problem.code, a.body.count, a.body.newlyArchived])
    expect(problems.sort()).toEqual([
      ["_unknown", "invalid-json", 1, 1],
      ["_unknown", "malformed-message", 1, 1],
      ["users", "not-an-integer", 1, 1]
    ])
    expect(logs.filter((line) => line.includes('"alertsQuieted":1'))).toHaveLength(1)
    const quietFor = (Date.parse(alerts[0]?.body.quietUntil) - Date.now()) / 60_000
    expect(quietFor).toBeGreaterThan(14)
    expect(quietFor).toBeLessThanOrEqual(15)
    expect(alerts.every((a) => a.body.archive.locations.every((l: string) => l.startsWith(`s3://${r.bucket}/failed-events/`)))).toBe(true)

    // the alert windows' items in the state table are written from alerts, and scanned as they are
    const windows = (await new DynamoDBClient({}).send(new ScanCommand({ TableName: r.streamName }))).Items ?? []
    expect(windows.map((item) => item.category?.S).sort()).toEqual(["poison", "poison", "poison"])
    const written = [
      ...objects.map((o) => `${o.key}\n${o.body}\n${JSON.stringify(o.metadata)}`),
      ...alerts.map((a) => `${a.subject}\n${a.raw}`),
      ...windows.map((item) => JSON.stringify(item)),
      ...logs
    ].join("\n")
    expect(canaries.length).toBeGreaterThan(3)
    for (const value of [...canaries, malformedSecret, "4111111111111111"]) expect(written).not.toContain(value)
    expect(logs.some((line) => line.includes("dlq batch"))).toBe(true)
  })
})
