/**
 * The change generators reach every table and operation of the table definitions, carry the images
 * each operation has, and change protected columns in UPDATEs: an UPDATE whose old and new
 * sensitive values are always equal never tests that the `old` side is protected.
 */
import { type TableDefinition, tableNames, tables } from "@cdc/domain/Tables"
import fc from "fast-check"
import { describe, expect, it } from "vitest"
import { type Change, changeArbitrary, changeOfArbitrary, publishedChangeArbitrary } from "../src/Changes"

const operations = ["INSERT", "UPDATE", "DELETE"] as const
const kindsOf = (changes: ReadonlyArray<Change>) => new Set(changes.map((change) => `${change.table}:${change.operation}`))

describe("generated changes", () => {
  it("changeArbitrary reaches every operation of every table; publishedChangeArbitrary every published one", () => {
    const all = kindsOf(fc.sample(changeArbitrary(), 2_000))
    const published = kindsOf(fc.sample(publishedChangeArbitrary(), 2_000))
    for (const [table, definition] of tables) {
      for (const operation of operations) expect(all).toContain(`${table}:${operation}`)
      for (const operation of definition.operations) expect(published).toContain(`${table}:${operation}`)
    }
  })

  it("INSERT carries only the after image, DELETE only the before image, UPDATE both, of the same key", () => {
    fc.assert(
      fc.property(changeArbitrary(), (change) => {
        const key = (tables.get(change.table) as TableDefinition).keyColumn
        expect(change.before !== undefined).toBe(change.operation !== "INSERT")
        expect(change.after !== undefined).toBe(change.operation !== "DELETE")
        if (change.operation === "UPDATE") expect(change.after?.[key]).toEqual(change.before?.[key])
      })
    )
  })

  it("UPDATEs change every protected column of every table, old and new values differing", () => {
    for (const table of tableNames) {
      const definition = tables.get(table) as TableDefinition
      const updates = fc.sample(changeOfArbitrary(table, "UPDATE"), 200)
      for (const column of definition.columns) {
        if (column.protection === undefined) continue
        const changed = updates.filter((u) => JSON.stringify(u.before?.[column.name]) !== JSON.stringify(u.after?.[column.name]))
        expect(changed.length, `${table}.${column.name}`).toBeGreaterThan(0)
      }
    }
  })
})
