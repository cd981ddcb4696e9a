import { Result } from "effect"
import { describe, expect, it } from "vitest"
import { InvalidTableDefinitionError, validateTables } from "../src/TableDefinition"
import { loadTables, tableNames, tableSource, tables } from "../src/Tables"

const users = tableSource[0] as (typeof tableSource)[number]
const failureOf = (raw: ReadonlyArray<unknown>) => {
  const result = validateTables(raw)
  if (Result.isSuccess(result)) throw new Error("expected a failure")
  return result.failure
}

describe("Tables", () => {
  it("defines the twelve tables of the spec with their keys and operations", () => {
    expect(tableNames).toEqual([
      "users",
      "orders",
      "products",
      "sessions",
      "transactions",
      "inventory",
      "customers",
      "shipments",
      "returns",
      "reviews",
      "audit_logs",
      "configurations"
    ])
    expect(tables.get("orders")?.keyColumn).toBe("order_id")
    expect(tables.get("orders")?.operations).toEqual(["INSERT", "UPDATE"])
    expect(tables.get("inventory")?.eventTypes).toEqual({ UPDATE: "inventory.updated" })
    expect(tables.get("audit_logs")?.eventTypes).toEqual({ INSERT: "audit_log.created" })
    const value = tables.get("configurations")?.columns.find((c) => c.name === "value")
    expect(value?.protection).toEqual({ action: "FULL_MASK", when: { column: "is_secret", equals: true } })
  })

  it("withholds undeclared columns by default", () => {
    for (const definition of tables.values()) expect(definition.undeclaredColumns).toBe("withhold")
  })

  it("rejects a key column that is not declared, naming table and column", () => {
    const error = failureOf([{ ...users, keyColumn: "uuid" }])
    expect(error).toBeInstanceOf(InvalidTableDefinitionError)
    expect(error.message).toBe("Invalid table definition (table users, column uuid): the key column is not declared")
    expect(error.category).toBe("configuration")
  })

  it("rejects a column of an unknown type, naming it", () => {
    const columns = users.columns.map((c) => (c.name === "email" ? { ...c, type: "varchar" } : c))
    expect(failureOf([{ ...users, columns }]).message).toContain("table users, column email")
  })

  it("rejects a condition on an undeclared column", () => {
    const columns = users.columns.map((c) =>
      c.name === "status" ? { ...c, protection: { action: "FULL_MASK", when: { column: "is_admin", equals: true } } } : c
    )
    expect(failureOf([{ ...users, columns }]).message).toContain("column status): condition names undeclared column is_admin")
  })

  it("rejects a protected key, an event type without operation and duplicates", () => {
    const protectedKey = users.columns.map((c) => (c.name === "id" ? { ...c, protection: { action: "HASH" } } : c))
    expect(failureOf([{ ...users, columns: protectedKey }]).message).toContain("column id")
    expect(failureOf([{ ...users, operations: ["INSERT"] }]).message).toContain("unpublished operation UPDATE")
    expect(failureOf([users, users]).message).toContain("declared twice")
    expect(failureOf([{ ...users, columns: [...users.columns, users.columns[1]] }]).message).toContain("column email")
  })

  it("loadTables throws at start-up on an invalid definition", () => {
    expect(() => loadTables([{ ...users, keyColumn: "uuid" }])).toThrow(/table users, column uuid/)
    expect(loadTables(tableSource).size).toBe(12)
  })
})
