import { tables } from "@cdc/domain/Tables"
import fc from "fast-check"
import { describe, expect, it } from "vitest"
import { changeArbitrary, publishedChangeArbitrary, sampleChanges } from "../src/Changes"

describe("Changes", () => {
  it("samples are deterministic for a seed and differ across seeds", () => {
    expect(sampleChanges(50, 3)).toEqual(sampleChanges(50, 3))
    expect(sampleChanges(50, 3)).not.toEqual(sampleChanges(50, 4))
  })

  it("sampleChanges covers every table and every published operation", () => {
    const changes = sampleChanges(240, 1)
    expect(changes).toHaveLength(240)
    const kinds = new Set(changes.map((c) => `${c.table}:${c.operation}`))
    for (const [table, definition] of tables) {
      for (const operation of definition.operations) expect(kinds).toContain(`${table}:${operation}`)
    }
  })

  it("UPDATE changes at least one non-key column and keeps the key", () => {
    fc.assert(
      fc.property(changeArbitrary(), (change) => {
        if (change.operation !== "UPDATE") return
        const key = tables.get(change.table)?.keyColumn as string
        expect(change.after?.[key]).toEqual(change.before?.[key])
      })
    )
  })

  it("published changes only use the table's published operations", () => {
    fc.assert(
      fc.property(publishedChangeArbitrary(), (change) => {
        expect(tables.get(change.table)?.operations).toContain(change.operation)
      })
    )
  })
})
