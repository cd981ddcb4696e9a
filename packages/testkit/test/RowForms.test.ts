/**
 * The generators produce every table, and every stored form shared/spec/tables.md lists for each
 * column type ("stored as (DMS JSON)"): a form never generated is a decoding path the property
 * tests never take.
 */
import type { ColumnType } from "@cdc/domain/TableDefinition"
import { tableNames, tables } from "@cdc/domain/Tables"
import { describe, expect, it } from "vitest"
import { rowArbitraries, sampleRows } from "../src/Rows"

/** The stored forms of the spec's type table, as {@link formOf} names them (null: nullable columns). */
const specForms: Record<ColumnType, ReadonlyArray<string>> = {
  int: ["number", "numeric string"],
  string: ["string"],
  boolean: ["true", "false", "0", "1", '"true"', '"false"'],
  decimal: ["number", "numeric string"],
  timestamp: ["DMS", "ISO-8601", "epoch millis", "null"],
  json: ["object", "JSON text"]
}

const formOf = (type: ColumnType, value: unknown): string => {
  if (value === null) return "null"
  if (type === "boolean") return JSON.stringify(value)
  if (type === "json") return typeof value === "string" ? "JSON text" : "object"
  if (typeof value === "number") return type === "timestamp" ? "epoch millis" : "number"
  if (typeof value !== "string") return typeof value
  if (type === "timestamp") return /^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d(\.\d{1,6})?$/.test(value) ? "DMS" : "ISO-8601"
  return /^-?\d+(\.\d+)?$/.test(value) && type !== "string" ? "numeric string" : "string"
}

describe("generated rows", () => {
  it("rowArbitraries has a generator for every table", () => {
    expect(Object.keys(rowArbitraries)).toEqual(tableNames)
  })

  it("hold every stored form of every column type of the spec", () => {
    const seen = new Map<ColumnType, Set<string>>()
    for (const table of tableNames) {
      const definition = tables.get(table)
      for (const row of sampleRows(table, 200, 2)) {
        for (const column of definition?.columns ?? []) {
          const forms = seen.get(column.type) ?? new Set()
          seen.set(column.type, forms.add(formOf(column.type, row[column.name])))
        }
      }
    }
    for (const [type, forms] of Object.entries(specForms)) {
      expect([...(seen.get(type as ColumnType) ?? [])], type).toEqual(expect.arrayContaining([...forms]))
    }
  })
})
