import { tableNames, tables } from "@cdc/domain/Tables"
import { describe, expect, it } from "vitest"
import { sampleRows } from "../src/Rows"

describe("Rows", () => {
  it("samples are deterministic for a seed and differ across seeds", () => {
    expect(sampleRows("users", 5, 7)).toEqual(sampleRows("users", 5, 7))
    expect(sampleRows("users", 5, 7)).not.toEqual(sampleRows("users", 5, 8))
  })

  it("rows hold every declared column of their table", () => {
    for (const table of tableNames) {
      const [row] = sampleRows(table, 1)
      expect(Object.keys(row ?? {}).sort()).toEqual(
        tables
          .get(table)
          ?.columns.map((c) => c.name)
          .sort()
      )
    }
  })
})
