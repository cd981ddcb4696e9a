/**
 * What every alert window must do, written once and run against each: the in-memory window the
 * DLQ worker's unit tests rely on (`AlertWindow.test.ts`) and DynamoDB on the emulator
 * (`@cdc/aws`'s integration test), so the test double cannot drift from the real one. On
 * `TestClock` (run it inside `it.effect`): both read the time from Effect's `Clock`.
 *
 * @example
 * ```ts
 * it.effect("keeps the contract", () => alertWindowContract(window))
 * ```
 */
import type { Classified } from "@cdc/domain/Classified"
import * as Effect from "effect/Effect"
import { TestClock } from "effect/testing"
import { expect } from "vitest"
import type { Admission, AlertWindow } from "../../src/dlq/AlertWindow"

/** The figures the contract assumes: a 15-minute window, a 1-minute claim (the defaults). */
export const contractOptions = { windowMillis: 15 * 60_000, claimMillis: 60_000 }

const users = { table: "users", category: "poison", code: "not-an-integer" }
const orders = { table: "orders", category: "poison", code: "not-an-integer" }

const alerted = (admission: Admission) => {
  expect(admission._tag).toBe("Alert")
  return admission as Admission & { readonly _tag: "Alert" }
}

export const alertWindowContract = (window: AlertWindow["Service"]): Effect.Effect<void, Classified> =>
  Effect.gen(function* () {
    const start = Date.UTC(2026, 0, 15, 10, 0, 0)
    yield* TestClock.setTime(start)

    const first = alerted(yield* window.admit(users, 3, "a1"))
    expect(first).toEqual({
      _tag: "Alert",
      claimId: "a1",
      windowStartedAt: start,
      windowEndsAt: start + contractOptions.windowMillis,
      quieted: undefined
    })
    // claimed, not yet confirmed: a second invocation does not alert the same problem
    yield* TestClock.adjust("10 seconds")
    expect(yield* window.admit(users, 5, "a2")).toEqual({ _tag: "Quiet", windowEndsAt: first.windowEndsAt })
    // a quieted alert asked again (its count landed, the answer was lost): quiet, counted once
    expect(yield* window.admit(users, 5, "a2")).toEqual({ _tag: "Quiet", windowEndsAt: first.windowEndsAt })
    // the same claim asked again (its first write landed, the answer was lost): itself, not quieted
    expect(yield* window.admit(users, 3, "a1")).toEqual(first)
    yield* window.confirm(users, first)
    yield* TestClock.adjust("2 minutes")
    expect((yield* window.admit(users, 7, "a3"))._tag).toBe("Quiet")
    // each problem has its own window
    alerted(yield* window.admit(orders, 1, "b1"))

    // the window's end: the next alert goes out, with the two it quieted
    yield* TestClock.setTime(first.windowEndsAt)
    const second = alerted(yield* window.admit(users, 2, "a4"))
    expect(second.quieted).toEqual({ alerts: 2, records: 12 })
    // the last quieted alert asked again after the next window opened: that window's alert
    // reports it already, so it is not counted again
    expect((yield* window.admit(users, 7, "a3"))._tag).toBe("Quiet")

    // never confirmed (the worker died after its claim): quiet while the claim lasts, then not,
    // and the next alert reports what the unpublished one was to report, and what came since
    yield* TestClock.adjust("30 seconds")
    expect((yield* window.admit(users, 1, "a5"))._tag).toBe("Quiet")
    yield* TestClock.adjust("30 seconds")
    const third = alerted(yield* window.admit(users, 4, "a6"))
    expect(third.quieted).toEqual({ alerts: 3, records: 13 })

    // refused by SNS and released: the redelivery alerts at once, with the same counts
    yield* window.release(users, third)
    const fourth = alerted(yield* window.admit(users, 4, "a7"))
    expect(fourth.quieted).toEqual({ alerts: 3, records: 13 })

    // a confirm or release of a claim since replaced changes nothing
    yield* window.confirm(users, second)
    yield* window.release(users, second)
    expect((yield* window.admit(users, 1, "a8"))._tag).toBe("Quiet")
    yield* TestClock.adjust("61 seconds")
    const fifth = alerted(yield* window.admit(users, 1, "a9"))
    expect(fifth.quieted).toEqual({ alerts: 4, records: 14 })
    // confirmed: the counts were reported; only what the new window quiets is reported next
    yield* window.confirm(users, fifth)
    expect((yield* window.admit(users, 2, "a10"))._tag).toBe("Quiet")
    yield* TestClock.setTime(fifth.windowEndsAt)
    expect(alerted(yield* window.admit(users, 1, "a11")).quieted).toEqual({ alerts: 1, records: 2 })

    // an unknown table's name is whatever the record said: a long one is a problem of its own
    const long = { ...users, table: "t".repeat(10_000) }
    alerted(yield* window.admit(long, 1, "l1"))
    alerted(yield* window.admit({ ...long, table: long.table.slice(1) }, 1, "l2"))
    expect((yield* window.admit(long, 1, "l3"))._tag).toBe("Quiet")

    // a schema drift's columns are part of its problem: a new set alerts, the same set in any order is quiet
    const drift = { table: "users", category: "schema-drift", code: "undeclared-columns", columns: ["nickname"] }
    alerted(yield* window.admit(drift, 1, "d1"))
    alerted(yield* window.admit({ ...drift, columns: ["nickname", "loyalty_tier"] }, 1, "d2"))
    expect((yield* window.admit({ ...drift, columns: ["loyalty_tier", "nickname", "nickname"] }, 1, "d3"))._tag).toBe("Quiet")
    expect((yield* window.admit(drift, 1, "d4"))._tag).toBe("Quiet")
    // other categories are one problem whatever the columns their failures name
    const poison = { table: "customers", category: "poison", code: "not-an-integer" }
    alerted(yield* window.admit({ ...poison, columns: ["id"] }, 1, "p1"))
    expect((yield* window.admit({ ...poison, columns: ["email"] }, 1, "p2"))._tag).toBe("Quiet")
  })
