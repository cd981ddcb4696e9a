/**
 * `sensitiveValues` checked against the table definitions (`@cdc/domain/Tables`, which mirrors
 * shared/spec/tables.md) over generated rows of every table: every protected column, the string
 * leaves of JSON values, the conditional rule, undeclared columns. Every leak test searches its
 * output for these values: a value missing here is a leak those tests cannot see.
 */
import { type ColumnDefinition, type TableDefinition, tableNames, tables } from "@cdc/domain/Tables"
import { makeCoercer } from "@cdc/domain/Values"
import fc from "fast-check"
import { describe, expect, it } from "vitest"
import { type Row, rowArbitrary, sampleRows } from "../src/Rows"
import { sensitiveValues } from "../src/SensitiveValues"

/** sensitiveValues leaves out values shorter than this: they occur by chance in ids and timestamps. */
const floor = 6
/** Protected columns whose values are by nature shorter than the floor (a CVV): leak tests check them by name. */
const tooShortToSearch = new Set(["transactions.cvv"])

const definitionOf = (table: string) => tables.get(table) as TableDefinition
const protectedColumns = (definition: TableDefinition) =>
  definition.columns.filter((column) => column.protection !== undefined && !tooShortToSearch.has(`${definition.table}.${column.name}`))

/** Whether a column's rule applies to a row: unconditional, or its condition holds or cannot be evaluated (fail closed). */
const applies = (definition: TableDefinition, column: ColumnDefinition, row: Row): boolean => {
  const condition = column.protection?.when
  if (condition === undefined) return true
  const stored = row[condition.column]
  if (stored === undefined || stored === null) return true
  const conditionColumn = definition.columns.find((c) => c.name === condition.column) as ColumnDefinition
  return makeCoercer(conditionColumn)(stored) === condition.equals
}

/** The string leaves of a JSON column's value (an object, or JSON text), long enough to search for. */
const jsonLeaves = (value: unknown): ReadonlyArray<string> => {
  const parsed = typeof value === "string" ? JSON.parse(value) : value
  const out: Array<string> = []
  const walk = (node: unknown): void => {
    if (typeof node === "string" && node.length >= floor) out.push(node)
    else if (typeof node === "object" && node !== null) for (const item of Object.values(node)) walk(item)
  }
  walk(parsed)
  return out
}

const anyRow = fc.constantFrom(...tableNames).chain((table) => rowArbitrary(table).map((row) => ({ table, row })))

describe("sensitiveValues against the table definitions", () => {
  it("lists the value of every protected column of every table whose rule applies, and no other", () => {
    fc.assert(
      fc.property(anyRow, ({ table, row }) => {
        const definition = definitionOf(table)
        const values = sensitiveValues(table, row)
        for (const column of protectedColumns(definition)) {
          const value = row[column.name]
          if (value === null || value === undefined) continue
          const text = typeof value === "string" ? value : JSON.stringify(value)
          if (!applies(definition, column, row)) {
            expect(values, `${table}.${column.name}`).not.toContain(text)
            continue
          }
          expect(values, `${table}.${column.name}`).toContain(text)
          if (column.type !== "json") continue
          // a field copied out of a JSON value leaks without its whole: every leaf is searched for
          const leaves = jsonLeaves(value)
          expect(leaves.length, `${table}.${column.name} has no leaf to search for`).toBeGreaterThan(0)
          for (const leaf of leaves) expect(values, `${table}.${column.name}`).toContain(leaf)
        }
      }),
      { numRuns: 600 }
    )
  })

  it("generated rows give every protected column of every table values its rule applies to", () => {
    for (const table of tableNames) {
      const definition = definitionOf(table)
      const rows = sampleRows(table, 100, 3)
      for (const column of protectedColumns(definition)) {
        const searched = rows.filter((row) => row[column.name] !== null && applies(definition, column, row))
        expect(searched.length, `${table}.${column.name}`).toBeGreaterThan(0)
      }
    }
  })

  it("a conditional rule whose condition column is null or absent protects the value (the pipeline fails closed)", () => {
    for (const definition of tables.values()) {
      for (const column of definition.columns) {
        const condition = column.protection?.when
        if (condition === undefined) continue
        for (const row of sampleRows(definition.table, 5)) {
          const { [condition.column]: _, ...absent } = row
          for (const image of [{ ...row, [condition.column]: null }, absent]) {
            expect(sensitiveValues(definition.table, image)).toContain(row[column.name])
          }
        }
      }
    }
  })

  it("lists the values of undeclared columns of a table that withholds them (treated as REMOVE)", () => {
    fc.assert(
      fc.property(anyRow, fc.stringMatching(/^[a-z]{3,10}$/), (generated, suffix) => {
        const { table, row } = generated
        const name = `drift_${suffix}`
        if (definitionOf(table).undeclaredColumns !== "withhold") return
        expect(sensitiveValues(table, { ...row, [name]: `undeclared-${suffix}` })).toContain(`undeclared-${suffix}`)
      })
    )
  })
})
