import * as Result from "effect/Result"
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

  it("declares the columns, types, transformations, protections and event types of shared/spec/tables.md", () => {
    // the spec's notation, table by table: `entity key operations | column type [upper|lower] [ACTION[(format)] [when column=value]] · ...`
    const spec: Record<string, string> = {
      users:
        "user id IUD | id int · email string PARTIAL_MASK(email) · phone string PARTIAL_MASK(phone) · ssn string REMOVE · password_hash string REMOVE · first_name string · last_name string · status string · created_at timestamp · updated_at timestamp",
      orders:
        "order order_id IU | order_id string · customer_id int · status string · total_amount decimal · currency string upper · order_date timestamp · payment_details json REMOVE · shipping_address json HASH · updated_at timestamp",
      products:
        "product product_id IUD | product_id string · name string · category string lower · price decimal · active boolean · updated_at timestamp",
      sessions:
        "session session_id IUD | session_id string · user_id int · ip_address string HASH · user_agent string · session_token string REMOVE · started_at timestamp · expires_at timestamp · ended_at timestamp",
      transactions:
        "transaction txn_id I | txn_id string · order_id string · amount decimal · currency string upper · card_number string PARTIAL_MASK(card) · account_number string TOKENIZE · cvv string REMOVE · status string · created_at timestamp",
      inventory: "inventory sku U | sku string · warehouse_id string · quantity int · reserved int · updated_at timestamp",
      customers:
        "customer customer_id IU | customer_id int · email string PARTIAL_MASK(email) · phone string PARTIAL_MASK(phone) · full_name string FULL_MASK · tax_id string REMOVE · billing_address json HASH · segment string · lifetime_value decimal · created_at timestamp · updated_at timestamp",
      shipments:
        "shipment shipment_id IU | shipment_id string · order_id string · carrier string upper · tracking_number string · recipient_name string FULL_MASK · recipient_phone string PARTIAL_MASK(phone) · delivery_address json HASH · status string · shipped_at timestamp · delivered_at timestamp",
      returns:
        "return return_id IU | return_id string · order_id string · reason_code string upper · customer_notes string FULL_MASK · refund_amount decimal · status string · requested_at timestamp",
      reviews:
        "review review_id IUD | review_id string · product_id string · rating int · title string · body string · author_email string PARTIAL_MASK(email) · author_ip string HASH · created_at timestamp · updated_at timestamp",
      audit_logs:
        "audit_log log_id I | log_id string · actor_id int · actor_email string PARTIAL_MASK(email) · action string upper · resource string · ip_address string HASH · request_body json REMOVE · occurred_at timestamp",
      configurations:
        "configuration config_key IUD | config_key string · value string FULL_MASK when is_secret=true · is_secret boolean · description string · updated_by string · updated_at timestamp"
    }
    const transforms = { UPPERCASE: "upper", LOWERCASE: "lower" } as const
    const described = (definition: (typeof tableSource)[number]) => {
      const operations = definition.operations.map((operation) => operation[0]).join("")
      const columns = definition.columns.map((c) => {
        const protection = c.protection
        const action =
          protection === undefined
            ? []
            : [
                `${protection.action}${"format" in protection ? `(${protection.format})` : ""}`,
                ...(protection.when === undefined ? [] : [`when ${protection.when.column}=${protection.when.equals}`])
              ]
        return [c.name, c.type, ...(c.transform === undefined ? [] : [transforms[c.transform]]), ...action].join(" ")
      })
      return `${definition.entity} ${definition.keyColumn} ${operations} | ${columns.join(" · ")}`
    }
    expect(Object.fromEntries([...tables].map(([name, definition]) => [name, described(definition)]))).toEqual(spec)
    const suffixes = { INSERT: "created", UPDATE: "updated", DELETE: "deleted" } as const
    for (const definition of tables.values()) {
      expect(definition.eventTypes).toEqual(
        Object.fromEntries(definition.operations.map((operation) => [operation, `${definition.entity}.${suffixes[operation]}`]))
      )
    }
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

  it("rejects a condition whose value does not have the type of its column", () => {
    const configurations = tableSource.find((t) => t.table === "configurations")!
    const withCondition = (equals: unknown) =>
      configurations.columns.map((c) =>
        c.name === "value" ? { ...c, protection: { action: "FULL_MASK", when: { column: "is_secret", equals } } } : c
      )
    for (const equals of ["true", 1]) {
      expect(failureOf([{ ...configurations, columns: withCondition(equals) }]).message).toBe(
        "Invalid table definition (table configurations, column value): condition on is_secret must be a boolean"
      )
    }
    expect(Result.isSuccess(validateTables([{ ...configurations, columns: withCondition(false) }]))).toBe(true)
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
