import type { EventBridgeClient, PutEventsResultEntry } from "@aws-sdk/client-eventbridge"
import { assert, describe, it } from "@effect/vitest"
import * as Effect from "effect/Effect"
import { makeEventBridgeEventBus } from "../src/EventBridgeEventBus"
import { fakeClient } from "./fakeClient"

const entry = (id: number) => ({
  Source: "cdc-pipeline.users",
  DetailType: "user.updated",
  Detail: JSON.stringify({ id }),
  Time: "2026-01-02T03:04:05.000Z",
  EventBusName: "bus"
})

/** What the bus reports for entries EventBridge answered with `results`. */
const outcomes = (results: ReadonlyArray<PutEventsResultEntry>, count = results.length) =>
  makeEventBridgeEventBus(fakeClient<EventBridgeClient>(() => ({ Entries: results })).client).putEvents(
    Array.from({ length: count }, (_, i) => entry(i))
  )

describe("EventBridgeEventBus", () => {
  it.effect("reads each entry's outcome from the 200 answer: retryable codes are retried, others dead-lettered", () =>
    Effect.gen(function* () {
      const result = yield* outcomes([
        { EventId: "e-0" },
        { ErrorCode: "ThrottlingException" },
        { ErrorCode: "InternalFailure" },
        { ErrorCode: "MalformedDetail" },
        { EventId: "e-4" }
      ])
      assert.deepStrictEqual(result, [
        undefined,
        { code: "ThrottlingException", category: "throttling", retryable: true },
        { code: "InternalFailure", category: "transient", retryable: true },
        { code: "MalformedDetail", category: "permanent", retryable: false },
        undefined
      ])
    })
  )

  it.effect("never counts an entry as published without an event id: a missing answer is retried, an empty one dead-lettered", () =>
    Effect.gen(function* () {
      const result = yield* outcomes([{ EventId: "e-0" }, {}], 3)
      assert.deepStrictEqual(result, [
        undefined,
        { code: "UnknownError", category: "permanent", retryable: false },
        { code: "MissingResult", category: "transient", retryable: true }
      ])
    })
  )
})
