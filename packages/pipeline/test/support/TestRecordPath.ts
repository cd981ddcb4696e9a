/**
 * A scripted record path for unit tests of the batch program: the Kinesis data is a small JSON
 * script saying what the record should become, so each test states its scenario directly.
 */
import { DecodeError, UnknownTableError } from "@cdc/domain/Errors"
import type { RecordPath as DomainRecordPath, RecordOutcome } from "@cdc/domain/RecordPath"
import type { KinesisStreamRecord } from "aws-lambda"
import * as Layer from "effect/Layer"
import { RecordPath } from "../../src/RecordPath"

export interface Script {
  readonly table: string
  readonly id: string
  /** publish (default), skip (operation not published), ddl (control record), poison (undecodable), unknown-table. */
  readonly as?: "publish" | "skip" | "ddl" | "poison" | "unknown-table"
  /** Extra Detail bytes (to test size limits). */
  readonly pad?: number
  readonly withheld?: ReadonlyArray<string>
}

export const testBus = "test-bus"

const outcome = (script: Script, record: KinesisStreamRecord): RecordOutcome => {
  const sequenceNumber = record.kinesis.sequenceNumber
  switch (script.as ?? "publish") {
    case "skip":
      return { _tag: "Skip", reason: "operation-not-published", table: script.table }
    case "ddl":
      return {
        _tag: "Skip",
        reason: "control-record",
        table: script.table,
        ddl: { operation: "add-column", columns: script.withheld ?? [] }
      }
    case "poison":
      return { _tag: "Reject", error: new DecodeError({ coordinates: { sequenceNumber }, reason: "invalid-json" }) }
    case "unknown-table":
      return { _tag: "Reject", error: new UnknownTableError({ coordinates: { sequenceNumber, table: script.table }, table: script.table }) }
    default: {
      const eventId = `evt_1_${BigInt(sequenceNumber).toString(36)}`
      return {
        _tag: "Publish",
        entry: {
          Source: `cdc-pipeline.${script.table}`,
          DetailType: `${script.table}.updated`,
          Detail: JSON.stringify({ eventId, entityId: script.id, seq: sequenceNumber, pad: "x".repeat(script.pad ?? 0) }),
          Time: "2024-01-15T10:30:00.000Z",
          EventBusName: testBus
        },
        eventId,
        table: script.table,
        entityId: script.id,
        orderingKey: `${script.table}#${script.id}`,
        withheldColumns: script.withheld ?? []
      }
    }
  }
}

/** Record data on which the scripted record path throws, breaking its contract (it never throws). */
export const throwingData = "!throw"

export const scriptedRecordPath: DomainRecordPath = {
  fromKinesis: (record) => {
    const text = Buffer.from(record.kinesis.data, "base64").toString("utf8")
    if (text === throwingData) throw new TypeError("scripted record path defect")
    try {
      return outcome(JSON.parse(text) as Script, record)
    } catch {
      return {
        _tag: "Reject",
        error: new DecodeError({ coordinates: { sequenceNumber: record.kinesis.sequenceNumber }, reason: "invalid-json" })
      }
    }
  },
  fromPayload: () => {
    throw new Error("not used by the batch program")
  }
}

export const scriptedRecordPathLayer = Layer.succeed(RecordPath, scriptedRecordPath)

/** A Lambda Kinesis record carrying a script. */
export const scripted = (
  script: Script | string,
  sequenceNumber: string | number,
  shardId = "shardId-000000000000"
): KinesisStreamRecord => ({
  awsRegion: "eu-west-1",
  eventID: `${shardId}:${sequenceNumber}`,
  eventName: "aws:kinesis:record",
  eventSource: "aws:kinesis",
  eventSourceARN: "arn:aws:kinesis:eu-west-1:123456789012:stream/test",
  eventVersion: "1.0",
  invokeIdentityArn: "arn:aws:iam::123456789012:role/test",
  kinesis: {
    approximateArrivalTimestamp: 1_705_314_600,
    data: Buffer.from(typeof script === "string" ? script : JSON.stringify(script)).toString("base64"),
    kinesisSchemaVersion: "1.0",
    partitionKey: typeof script === "string" ? "p" : `${script.table}-${script.id}`,
    sequenceNumber: String(sequenceNumber)
  }
})
