import * as Cause from "effect/Cause"
import * as Data from "effect/Data"
import { describe, expect, it } from "vitest"
import { safeCause } from "../src/SafeCause"

class Boom extends Data.TaggedError("Boom")<{ readonly code: string; readonly detail: string }> {}

describe("safeCause", () => {
  it("keeps the kinds of failures and defects, never their messages", () => {
    const secret = "old@example.com 123-45-6789"
    const cause = Cause.combine(
      Cause.fail(new Boom({ code: "invalid-json", detail: secret })),
      Cause.die(new TypeError(`Cannot read ${secret}`))
    )
    const summary = safeCause(cause)
    expect(summary).toEqual({ failures: ["Boom:invalid-json"], defects: ["TypeError"], interrupted: false })
    expect(JSON.stringify(summary)).not.toContain("example.com")
  })

  it("does not trust a code that could carry text", () => {
    expect(safeCause(Cause.die({ name: "Weird", code: "value with spaces and @ signs" })).defects).toEqual(["Weird"])
    expect(safeCause(Cause.fail("a bare string failure")).failures).toEqual(["string"])
  })

  it("lists every failure of a concurrent cause and says when it was interrupted", () => {
    const cause = Cause.combine(
      Cause.combine(Cause.fail(new Boom({ code: "throttled", detail: "x" })), Cause.fail(new Boom({ code: "invalid-json", detail: "y" }))),
      Cause.interrupt()
    )
    expect(safeCause(cause)).toEqual({ failures: ["Boom:throttled", "Boom:invalid-json"], defects: [], interrupted: true })
  })
})
