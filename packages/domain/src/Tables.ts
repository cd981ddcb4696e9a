/**
 * The twelve monitored CoreDB tables: the one source of truth from which decoding, coercion,
 * transformation, redaction, the published JSON Schemas and the change generators are derived.
 * It mirrors `shared/spec/tables.md`. The definitions are decoded with {@link TableDefinition}
 * and checked when this module loads, so an invalid definition stops the process at start-up
 * with a message naming the table and column.
 *
 * @example
 * ```ts
 * import { tables } from "@cdc/domain/Tables"
 * tables.get("users")?.keyColumn // "id"
 * ```
 */
import * as Result from "effect/Result"
import {
  type ColumnDefinition,
  type ColumnType,
  eventTypeOf,
  type MaskFormat,
  type Operation,
  type Protection,
  type TableDefinition,
  validateTables
} from "./TableDefinition"

export type { ColumnDefinition, TableDefinition } from "./TableDefinition"

type ColumnOptions = Pick<ColumnDefinition, "transform" | "protection">

const column = (name: string, type: ColumnType, options: ColumnOptions = {}): ColumnDefinition => ({
  name,
  type,
  ...options
})
const remove: ColumnOptions = { protection: { action: "REMOVE" } }
const hash: ColumnOptions = { protection: { action: "HASH" } }
const fullMask: ColumnOptions = { protection: { action: "FULL_MASK" } }
const tokenize: ColumnOptions = { protection: { action: "TOKENIZE" } }
const mask = (format: MaskFormat): ColumnOptions => ({ protection: { action: "PARTIAL_MASK", format } })
const upper: ColumnOptions = { transform: "UPPERCASE" }
const lower: ColumnOptions = { transform: "LOWERCASE" }
const secretWhen = (condition: NonNullable<Protection["when"]>): ColumnOptions => ({
  protection: { action: "FULL_MASK", when: condition }
})

const define = (
  table: string,
  entity: string,
  keyColumn: string,
  operations: ReadonlyArray<Operation>,
  columns: ReadonlyArray<ColumnDefinition>
): TableDefinition => ({
  table,
  entity,
  keyColumn,
  operations,
  eventTypes: Object.fromEntries(operations.map((operation) => [operation, eventTypeOf(entity, operation)])),
  columns,
  undeclaredColumns: "withhold"
})

const all: ReadonlyArray<Operation> = ["INSERT", "UPDATE", "DELETE"]
const insertUpdate: ReadonlyArray<Operation> = ["INSERT", "UPDATE"]

/** The raw definitions, before validation (exported for the validation tests). */
export const tableSource: ReadonlyArray<TableDefinition> = [
  define("users", "user", "id", all, [
    column("id", "int"),
    column("email", "string", mask("email")),
    column("phone", "string", mask("phone")),
    column("ssn", "string", remove),
    column("password_hash", "string", remove),
    column("first_name", "string"),
    column("last_name", "string"),
    column("status", "string"),
    column("created_at", "timestamp"),
    column("updated_at", "timestamp")
  ]),
  define("orders", "order", "order_id", insertUpdate, [
    column("order_id", "string"),
    column("customer_id", "int"),
    column("status", "string"),
    column("total_amount", "decimal"),
    column("currency", "string", upper),
    column("order_date", "timestamp"),
    column("payment_details", "json", remove),
    column("shipping_address", "json", hash),
    column("updated_at", "timestamp")
  ]),
  define("products", "product", "product_id", all, [
    column("product_id", "string"),
    column("name", "string"),
    column("category", "string", lower),
    column("price", "decimal"),
    column("active", "boolean"),
    column("updated_at", "timestamp")
  ]),
  define("sessions", "session", "session_id", all, [
    column("session_id", "string"),
    column("user_id", "int"),
    column("ip_address", "string", hash),
    column("user_agent", "string"),
    column("session_token", "string", remove),
    column("started_at", "timestamp"),
    column("expires_at", "timestamp"),
    column("ended_at", "timestamp")
  ]),
  define(
    "transactions",
    "transaction",
    "txn_id",
    ["INSERT"],
    [
      column("txn_id", "string"),
      column("order_id", "string"),
      column("amount", "decimal"),
      column("currency", "string", upper),
      column("card_number", "string", mask("card")),
      column("account_number", "string", tokenize),
      column("cvv", "string", remove),
      column("status", "string"),
      column("created_at", "timestamp")
    ]
  ),
  define(
    "inventory",
    "inventory",
    "sku",
    ["UPDATE"],
    [
      column("sku", "string"),
      column("warehouse_id", "string"),
      column("quantity", "int"),
      column("reserved", "int"),
      column("updated_at", "timestamp")
    ]
  ),
  define("customers", "customer", "customer_id", insertUpdate, [
    column("customer_id", "int"),
    column("email", "string", mask("email")),
    column("phone", "string", mask("phone")),
    column("full_name", "string", fullMask),
    column("tax_id", "string", remove),
    column("billing_address", "json", hash),
    column("segment", "string"),
    column("lifetime_value", "decimal"),
    column("created_at", "timestamp"),
    column("updated_at", "timestamp")
  ]),
  define("shipments", "shipment", "shipment_id", insertUpdate, [
    column("shipment_id", "string"),
    column("order_id", "string"),
    column("carrier", "string", upper),
    column("tracking_number", "string"),
    column("recipient_name", "string", fullMask),
    column("recipient_phone", "string", mask("phone")),
    column("delivery_address", "json", hash),
    column("status", "string"),
    column("shipped_at", "timestamp"),
    column("delivered_at", "timestamp")
  ]),
  define("returns", "return", "return_id", insertUpdate, [
    column("return_id", "string"),
    column("order_id", "string"),
    column("reason_code", "string", upper),
    column("customer_notes", "string", fullMask),
    column("refund_amount", "decimal"),
    column("status", "string"),
    column("requested_at", "timestamp")
  ]),
  define("reviews", "review", "review_id", all, [
    column("review_id", "string"),
    column("product_id", "string"),
    column("rating", "int"),
    column("title", "string"),
    column("body", "string"),
    column("author_email", "string", mask("email")),
    column("author_ip", "string", hash),
    column("created_at", "timestamp"),
    column("updated_at", "timestamp")
  ]),
  define(
    "audit_logs",
    "audit_log",
    "log_id",
    ["INSERT"],
    [
      column("log_id", "string"),
      column("actor_id", "int"),
      column("actor_email", "string", mask("email")),
      column("action", "string", upper),
      column("resource", "string"),
      column("ip_address", "string", hash),
      column("request_body", "json", remove),
      column("occurred_at", "timestamp")
    ]
  ),
  define("configurations", "configuration", "config_key", all, [
    column("config_key", "string"),
    column("value", "string", secretWhen({ column: "is_secret", equals: true })),
    column("is_secret", "boolean"),
    column("description", "string"),
    column("updated_by", "string"),
    column("updated_at", "timestamp")
  ])
]

/**
 * Validates definitions and indexes them by table name; throws the
 * {@link InvalidTableDefinitionError} (naming table and column) when one is invalid.
 *
 * @example
 * ```ts
 * const custom = loadTables([...tableSource, myTable])
 * ```
 */
export const loadTables = (raw: ReadonlyArray<unknown>): ReadonlyMap<string, TableDefinition> => {
  const result = validateTables(raw)
  if (Result.isFailure(result)) throw result.failure
  return new Map(result.success.map((definition) => [definition.table, definition]))
}

/** The validated table definitions, by table name. */
export const tables: ReadonlyMap<string, TableDefinition> = loadTables(tableSource)

/** The monitored table names, in definition order. */
export const tableNames: ReadonlyArray<string> = [...tables.keys()]
