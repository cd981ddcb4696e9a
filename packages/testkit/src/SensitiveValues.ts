/**
 * The clear values of a row that must never appear in any output, log line, error, DLQ message,
 * archive object or alert: what leak checks search for.
 *
 * @example
 * ```ts
 * import { sensitiveValues } from "@cdc/testkit/SensitiveValues"
 * for (const value of sensitiveValues("users", row)) expect(output).not.toContain(value)
 * ```
 */
import { definitionOf } from "./internal/tableDefinition"
import type { Row } from "./Rows"

const leaves = (value: unknown, out: Array<string>): void => {
  if (typeof value === "string") {
    if (value.length >= 6) out.push(value)
    const trimmed = value.trimStart()
    if (trimmed.startsWith("{") || trimmed.startsWith("[")) {
      try {
        leaves(JSON.parse(value), out)
      } catch {
        // not JSON text: the string itself is already listed
      }
    }
  } else if (typeof value === "number") {
    if (String(value).length >= 6) out.push(String(value))
  } else if (Array.isArray(value)) {
    for (const item of value) leaves(item, out)
  } else if (typeof value === "object" && value !== null) {
    out.push(JSON.stringify(value))
    for (const item of Object.values(value)) leaves(item, out)
  }
}

const isTrue = (value: unknown) => value === true || value === 1 || value === "true" || value === "1"

/**
 * The clear values of a row's protected columns (REMOVE, HASH, PARTIAL_MASK, FULL_MASK,
 * TOKENIZE; conditional rules evaluated on the row) and of its undeclared columns when the table
 * withholds them (schema drift, treated as REMOVE), including the leaf strings of JSON values,
 * that must never appear in any output, log line or error. Values shorter than 6 characters
 * (a CVV, a small number) are left out: they occur by chance in ids and timestamps.
 *
 * @example
 * ```ts
 * for (const value of sensitiveValues("users", row)) expect(output).not.toContain(value)
 * ```
 */
export const sensitiveValues = (table: string, row: Row): ReadonlyArray<string> => {
  const out: Array<string> = []
  const definition = definitionOf(table)
  for (const column of definition.columns) {
    const protection = column.protection
    if (protection === undefined) continue
    const condition = protection.when
    // the pipeline fails closed: a condition whose column is absent or null protects the value
    const known = condition === undefined ? undefined : row[condition.column]
    if (condition?.equals === true && known !== undefined && known !== null && !isTrue(known)) continue
    leaves(row[column.name], out)
  }
  if (definition.undeclaredColumns === "withhold") {
    // schema drift: a column the definition does not declare is withheld, treated as REMOVE
    const declared = new Set(definition.columns.map((column) => column.name))
    for (const [name, value] of Object.entries(row)) if (!declared.has(name)) leaves(value, out)
  }
  return out
}
