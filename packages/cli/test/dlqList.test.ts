import { describe, expect, it } from "vitest"
import { renderGroups } from "../src/commands/dlqList"

describe("cdc dlq list: the human-readable listing", () => {
  it("one line per (table, category, code): count, redriven, and the day or the range of days", () => {
    const text = renderGroups([
      {
        table: "users",
        category: "poison",
        code: "not-an-integer",
        count: 12,
        redriven: 2,
        firstDate: "2026-01-14",
        lastDate: "2026-01-15"
      },
      {
        table: "_unknown",
        category: "poison",
        code: "malformed-message",
        count: 1,
        redriven: 0,
        firstDate: "2026-01-15",
        lastDate: "2026-01-15"
      }
    ])
    expect(text.split("\n")).toEqual([
      "COUNT  REDRIVEN  TABLE             CATEGORY       CODE                        DAYS",
      "12     2         users             poison         not-an-integer              2026-01-14..2026-01-15",
      "1      0         _unknown          poison         malformed-message           2026-01-15",
      ""
    ])
    expect(renderGroups([])).toBe("no archived failures match\n")
  })
})
