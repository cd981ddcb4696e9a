import { assert, describe, it } from "@effect/vitest"
import * as Effect from "effect/Effect"
import { type EventBusService, type EventEntry, withFaults } from "../src/EventBus"
import type { ItemFailure } from "../src/PartialBatch"

const entry = (detail: string): EventEntry => ({
  Source: "cdc-pipeline.users",
  DetailType: "users.updated",
  Detail: detail,
  Time: "2024-01-15T10:30:00.000Z",
  EventBusName: "test-bus"
})

const throttled: ItemFailure = { code: "ThrottlingException", retryable: true, category: "throttling" }
const malformed: ItemFailure = { code: "MalformedDetail", retryable: false, category: "permanent" }

describe("withFaults", () => {
  it.effect("answers each entry with its own outcome: injected failures and the inner bus's answers stay lined up", () =>
    Effect.gen(function* () {
      const seen: Array<string> = []
      // The inner bus (e.g. real EventBridge) refuses entry "c" for good.
      const inner: EventBusService = {
        putEvents: (entries) =>
          Effect.sync(() => {
            seen.push(...entries.map((e) => e.Detail))
            return entries.map((e) => (e.Detail === "c" ? malformed : undefined))
          })
      }
      const bus = yield* withFaults(inner, () => ({ _tag: "FailEntries", failures: new Map([[0, throttled]]) }))
      const answers = yield* bus.putEvents(["a", "b", "c", "d"].map(entry))
      assert.deepStrictEqual(answers, [throttled, undefined, malformed, undefined])
      assert.deepStrictEqual(seen, ["b", "c", "d"], "the injected failure never reaches the inner bus")
    })
  )
})
