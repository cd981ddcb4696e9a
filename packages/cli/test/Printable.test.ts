import { describe, expect, it } from "vitest"
import { renderGroups } from "../src/commands/dlqList"
import { renderFailure } from "../src/commands/dlqShow"
import { jsonLine, printable, printableJson } from "../src/Printable"

/** Whether a text holds what a terminal acts on in the hostile name: escape and right-to-left override. */
const actsOn = (text: string) => text.includes("\u001b") || text.includes("\u202e")

/** A table name an attacker controls: clears the screen, turns red, and forges a line of the listing. */
const hostile = "evil\u001b[2J\u001b[31m\nCOUNT  REDRIVEN  TABLE  (forged line)\u202e"

describe("printable", () => {
  it("escapes what a terminal would act on, and leaves other text alone", () => {
    expect(printable(hostile)).toBe("evil\\u001b[2J\\u001b[31m\\u000aCOUNT  REDRIVEN  TABLE  (forged line)\\u202e")
    for (const char of ["\u0000", "\u0007", "\r", "\u007f", "\u009b", "\u2028", "\u2066", "\u200f"]) {
      expect(printable(char)).toMatch(/^\\u[0-9a-f]{4}$/)
    }
    expect(printable("用户 orders é ~1B")).toBe("用户 orders é ~1B")
  })

  it("keeps JSON text valid JSON, with the same value", () => {
    const json = JSON.stringify({ table: hostile }, null, 2)
    expect(actsOn(printableJson(json))).toBe(false)
    expect(JSON.parse(printableJson(json))).toEqual({ table: hostile })
  })

  it("writes one line of JSON (the commands' --json output) with the same value, nothing in it a terminal acts on", () => {
    const value = { groups: [{ table: hostile, code: "unknown-table" }], c1: "\u009b2J", total: 1 }
    const line = jsonLine(value)
    expect(actsOn(line)).toBe(false)
    expect(line).not.toMatch(/[\u0080-\u009f]/u)
    expect(line.indexOf("\n")).toBe(line.length - 1)
    expect(JSON.parse(line)).toEqual(value)
  })

  it("is applied to the listing and to a shown failure", () => {
    const listing = renderGroups([
      {
        table: hostile,
        category: "configuration",
        code: "unknown-table",
        count: 1,
        redriven: 0,
        firstDate: "2026-01-02",
        lastDate: "2026-01-02"
      }
    ])
    expect(actsOn(listing)).toBe(false)
    expect(listing.split("\n").filter((line) => line !== "")).toHaveLength(2)
    const shown = renderFailure(
      "failed-events/_unknown/2026/01/02/dl_1.json",
      {
        id: "dl_1",
        kind: "cdc.dead-letter",
        table: hostile,
        category: "configuration",
        code: "unknown-table",
        errorTag: "UnknownTableError",
        message: `Record s/1: table ${hostile} has no definition`,
        coordinates: { shardId: "s", sequenceNumber: "1", partitionKey: hostile },
        archivedAt: "2026-01-02T00:00:00.000Z"
      } as never,
      undefined
    )
    expect(actsOn(shown)).toBe(false)
    expect(shown).not.toContain("\nCOUNT")
  })
})
