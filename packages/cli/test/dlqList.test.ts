import { describe, expect, it } from "vitest"
import { displayWidth, listFooter, listJson, renderGroups } from "../src/commands/dlqList"

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

  it("keeps the columns aligned for wide characters and long names", () => {
    const group = {
      category: "configuration" as const,
      code: "unknown-table",
      count: 1,
      redriven: 0,
      firstDate: "2026-01-15",
      lastDate: "2026-01-15"
    }
    const text = renderGroups([
      { ...group, table: "用户" },
      { ...group, table: "a_table_named_well_past_eighteen_columns" },
      { ...group, table: "users" }
    ])
    const lines = text.trimEnd().split("\n")
    // every line's CATEGORY and DAYS columns start at the same terminal column
    const columnOf = (line: string, word: string) => displayWidth(line.slice(0, line.indexOf(word)))
    expect(new Set(lines.map((line, i) => columnOf(line, i === 0 ? "CATEGORY" : "configuration"))).size).toBe(1)
    expect(new Set(lines.map((line, i) => columnOf(line, i === 0 ? "DAYS" : "2026-01-15"))).size).toBe(1)
    expect([displayWidth("用户"), displayWidth("users"), displayWidth("e\u0301")]).toEqual([4, 5, 1])
  })
})

describe("cdc dlq list: the line under the listing", () => {
  it("says where the ids `cdc dlq show` takes are, since the grouped listing shows none", () => {
    expect(listFooter(13)).toBe(
      "13 failure(s); ids with `cdc dlq list --json`, one in full with `cdc dlq show ID`, `cdc dlq redrive` to re-inject\n"
    )
  })
})

describe("cdc dlq list --json", () => {
  it("writes every field of every entry and of the filter, null where there is no value", () => {
    const entry = (id: string, redrivenAt?: string) => ({
      key: `failed-events/users/2026/01/14/${id}.json`,
      id,
      table: "users",
      date: "2026-01-14",
      kind: "cdc.dead-letter" as const,
      category: "poison" as const,
      code: "not-an-integer",
      redrivenAt
    })
    const unlabelled = { ...entry("dl_3"), kind: undefined, category: undefined, code: undefined }
    const json = JSON.parse(
      JSON.stringify(
        listJson({ table: "users" }, { entries: [entry("dl_1"), entry("dl_2", "2026-01-16T08:00:00.000Z"), unlabelled], skipped: 1 })
      )
    )
    expect(json.filter).toEqual({ table: "users", since: null, category: null })
    expect(json.entries.map((e: Record<string, unknown>) => Object.keys(e).sort())).toEqual(
      Array(3).fill(["category", "code", "date", "id", "key", "kind", "redrivenAt", "table"])
    )
    expect(json.entries.map((e: Record<string, unknown>) => e.redrivenAt)).toEqual([null, "2026-01-16T08:00:00.000Z", null])
    expect(json.entries[2]).toMatchObject({ kind: null, category: null, code: null })
    expect(json).toMatchObject({ total: 3, skipped: 1 })
    expect(json.groups.map((g: { count: number }) => g.count)).toEqual([2, 1])
  })
})
