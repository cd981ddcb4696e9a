import { it } from "@effect/vitest"
import type { SQSEvent } from "aws-lambda"
import * as Effect from "effect/Effect"
import { describe, expect } from "vitest"
import { type ArrivedEnvelope, parseEnvelope, queueConsumer, tapConsumer } from "../../src/local/Consumers"
import { makeLiveStats } from "../../src/local/LiveStats"

const prefix = "cdc-pipeline"
const envelope = (eventId: string, source = `${prefix}.users`) =>
  JSON.stringify({
    source,
    "detail-type": "user.updated",
    detail: { eventId, eventType: "ignored", entityId: "42", metadata: { sequenceNumber: "4961" } }
  })
const sqsEvent = (...bodies: Array<string>): SQSEvent => ({ Records: bodies.map((body) => ({ body })) }) as never

describe("parseEnvelope", () => {
  it("reads the table from the source, the event type from detail-type, and the change's sequence number", () => {
    expect(parseEnvelope(envelope("evt_1_a"), prefix)).toMatchObject({
      table: "users",
      eventType: "user.updated",
      eventId: "evt_1_a",
      sequenceNumber: "4961"
    })
  })

  it("ignores what is not an event of this pipeline: another source, no event id, not JSON", () => {
    expect(parseEnvelope(envelope("evt_1_a", "other-app.users"), prefix)).toBeUndefined()
    expect(parseEnvelope(JSON.stringify({ source: `${prefix}.users`, detail: {} }), prefix)).toBeUndefined()
    expect(parseEnvelope("{torn", prefix)).toBeUndefined()
  })
})

describe("the consumers", () => {
  it.effect("show only the Wallboards queue's events in the latest events, and count every queue's", () =>
    Effect.gen(function* () {
      const stats = makeLiveStats()
      yield* queueConsumer("wallboards", stats, prefix, true)(sqsEvent(envelope("evt_1_a"), envelope("evt_1_b")))
      yield* queueConsumer("analytics", stats, prefix, false)(sqsEvent(envelope("evt_1_c")))
      const snapshot = stats.snapshot(0)
      expect(snapshot.consumedByQueue).toEqual({ wallboards: 2, analytics: 1 })
      expect(snapshot.totals.consumed).toBe(2)
      expect(snapshot.latest.map((e) => [e.queue, e.eventId])).toEqual([
        ["wallboards", "evt_1_b"],
        ["wallboards", "evt_1_a"]
      ])
    })
  )

  it.effect("the tap counts each event once and reports only its first arrival", () =>
    Effect.gen(function* () {
      const stats = makeLiveStats()
      const arrived: Array<ArrivedEnvelope> = []
      const tap = tapConsumer(stats, prefix, (event) => arrived.push(event))
      yield* tap(sqsEvent(envelope("evt_1_a"), "not json", envelope("evt_1_b")))
      yield* tap(sqsEvent(envelope("evt_1_a")))
      expect(arrived.map((e) => e.eventId)).toEqual(["evt_1_a", "evt_1_b"])
      expect(stats.snapshot(0).totals).toMatchObject({ published: 2, duplicatesDelivered: 1 })
    })
  )
})
