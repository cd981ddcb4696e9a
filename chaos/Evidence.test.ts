import type { SQSEvent } from "aws-lambda"
import * as Effect from "effect/Effect"
import { describe, expect, it } from "vitest"
import { archivedDeadLetters, driftNotices, makeRecorder, unarchived } from "./Evidence"
import { eventContent } from "./Verify"

const event = {
  source: "cdc.users",
  "detail-type": "users.updated",
  time: "2024-01-15T10:30:00Z",
  detail: {
    eventId: "evt_1_abc",
    entityType: "user",
    entityId: "42",
    metadata: { sequenceNumber: "7", processedAt: "2024-01-15T10:30:01.000Z" }
  }
}
const envelope = JSON.stringify(event)
const sqsEvent = (...bodies: Array<string>): SQSEvent => ({ Records: bodies.map((body) => ({ body })) }) as never
const coordinates = { shardId: "shardId-000000000000", sequenceNumber: "7" }

describe("the evidence recorder", () => {
  it("takes each queue's events as deliveries on that queue, keyed by table and entityId, with their content", async () => {
    const recorder = makeRecorder("cdc")
    await Effect.runPromise(recorder.consumer("orders-consumer")(sqsEvent(envelope)))
    await Effect.runPromise(recorder.consumer("tap")(sqsEvent(envelope, "not json")))
    const content = eventContent({ source: event.source, detailType: event["detail-type"], time: event.time, detail: event.detail })
    const delivery = { sequenceNumber: "7", eventId: "evt_1_abc", key: "users#42", content }
    expect(recorder.deliveries).toEqual([
      { ...delivery, queue: "orders-consumer" },
      { ...delivery, queue: "tap" }
    ])
    expect(recorder.bodies.get("orders-consumer")).toEqual([envelope])
    expect(recorder.bodies.get("tap")).toEqual([envelope, "not json"])
  })

  it("keeps a schema-drift notice for the leak scan, but not as a dead letter that accounts for a record", () => {
    const recorder = makeRecorder("cdc")
    const drift = JSON.stringify({ kind: "cdc.schema-drift", reason: "undeclared-columns", coordinates })
    const dead = JSON.stringify({ kind: "cdc.dead-letter", reason: "invalid-json", coordinates })
    recorder.deadLetterMessage("dlq")(drift)
    recorder.deadLetterMessage("parking")(dead)
    expect(recorder.deadLetters).toEqual([{ reason: "invalid-json", record: "shardId-000000000000:7", where: "parking" }])
    expect(recorder.bodies.get("dlq")).toEqual([drift])
  })
})

describe("the failure archive", () => {
  it("reads each archived failure's code and record, and no schema-drift notice", () => {
    const texts = [
      JSON.stringify({ kind: "cdc.dead-letter", code: "invalid-json", coordinates }),
      JSON.stringify({ kind: "cdc.schema-drift", code: "undeclared-columns", coordinates })
    ]
    expect(archivedDeadLetters(texts)).toEqual([{ record: "shardId-000000000000:7", reason: "invalid-json", where: "archive" }])
  })
})

describe("DLQ messages the worker must have archived", () => {
  const seen = (record: string, reason = "invalid-json") => ({ record, reason, where: "dlq" as const })
  const range = { shardId: "shardId-1", start: "90", end: "110" }
  it("names a dead letter with no object of its record in the archive (a parked one is kept)", () => {
    expect(
      unarchived([
        seen("shardId-0:7"),
        seen("shardId-0:8"),
        seen("shardId-0:9"),
        { record: "shardId-0:7", reason: "invalid-json", where: "archive" },
        { record: "shardId-0:9", reason: "invalid-json", where: "parking" }
      ])
    ).toEqual(["shardId-0:8 (invalid-json)"])
  })

  it("takes a discarded batch as archived by an object of a record in its range, compared as integers", () => {
    const batch = { record: undefined, range, reason: "retry-attempts-exhausted", where: "dlq" as const }
    expect(unarchived([batch, { record: "shardId-1:100", reason: "retry-attempts-exhausted", where: "archive" }])).toEqual([])
    expect(unarchived([batch, { record: "shardId-1:1000", reason: "retry-attempts-exhausted", where: "archive" }])).toEqual([
      "shardId-1:90..110 (retry-attempts-exhausted)"
    ])
    expect(unarchived([batch, { record: "shardId-2:100", reason: "x", where: "archive" }])).toHaveLength(1)
  })
})

describe("schema-drift notices", () => {
  it("counts the bodies and objects that are notices, whatever else the texts hold", () => {
    const notice = JSON.stringify({ kind: "cdc.schema-drift", reason: "ddl-add-column" })
    expect(driftNotices([notice, JSON.stringify({ kind: "cdc.dead-letter" }), "not json", "null", notice])).toBe(2)
  })
})
