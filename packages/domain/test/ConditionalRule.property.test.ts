/**
 * The conditional rule of `configurations.value` (FULL_MASK when `is_secret`), end to end through
 * the record path in every input shape, over every form `is_secret` can take: a value is
 * published only when both images say, in a form the boolean type reads, that it is not secret;
 * absent, `null` or unreadable counts as secret (fail closed).
 */
import type { Change } from "@cdc/testkit/Changes"
import { encodeChange, inputShapes } from "@cdc/testkit/InputShapes"
import fc from "fast-check"
import { describe, expect, it } from "vitest"
import { makeRecordPath } from "../src/RecordPath"
import { makeRedactionKeys } from "../src/RedactionKeys"

const path = makeRecordPath({
  keys: makeRedactionKeys("rule-hash-key", "rule-tokenize-key"),
  sourcePrefix: "cdc-pipeline",
  eventBusName: "bus"
})

const absent = Symbol("absent")
/** Every form `is_secret` arrives in, and whether it says "not secret" for sure. */
const forms: ReadonlyArray<readonly [unknown, boolean]> = [
  [false, true],
  [0, true],
  ["0", true],
  ["false", true],
  [true, false],
  [1, false],
  ["1", false],
  ["true", false],
  [null, false],
  [absent, false]
]

const row = (key: string, value: string, secret: unknown) => ({
  config_key: key,
  value,
  ...(secret === absent ? {} : { is_secret: secret }),
  updated_by: "ops"
})

describe("configurations.value", () => {
  it("is published only when every image holding it says for sure it is not secret, in every shape and operation", () => {
    fc.assert(
      fc.property(
        fc.constantFrom("INSERT", "UPDATE", "DELETE"),
        fc.constantFrom(...forms),
        fc.constantFrom(...forms),
        fc.constantFrom(...inputShapes),
        fc.stringMatching(/^[A-Za-z0-9]{12,24}$/),
        (operation, [beforeSecret, beforePublic], [afterSecret, afterPublic], shape, secret) => {
          const value = `v-${secret}`
          const before = operation === "INSERT" ? undefined : row("db.password", value, beforeSecret)
          const after = operation === "DELETE" ? undefined : row("db.password", `${value}-new`, afterSecret)
          const change: Change = {
            table: "configurations",
            operation,
            before,
            after,
            changeTimeMillis: 1_700_000_000_000,
            transactionId: "123456"
          }
          const outcome = path.fromPayload(encodeChange(change, shape), {}, 0)
          if (outcome._tag !== "Publish") throw new Error(`expected Publish, got ${JSON.stringify(outcome)}`)
          const published = (before === undefined || beforePublic) && (after === undefined || afterPublic)
          expect(outcome.entry.Detail.includes(value), `${operation} ${String(beforeSecret)} → ${String(afterSecret)} (${shape})`).toBe(
            published
          )
        }
      ),
      { numRuns: 2000 }
    )
  })
})
