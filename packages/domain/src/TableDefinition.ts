/**
 * The shape of a table definition: the Schema every entry of {@link "./Tables"} is decoded with,
 * and the semantic checks that a Schema cannot express (the key column is declared, a condition
 * names a boolean column, ...). An invalid definition is an {@link InvalidTableDefinitionError}
 * naming the table and the column, raised when the module is loaded, i.e. at start-up.
 *
 * @example
 * ```ts
 * const result = validateTables([{ table: "users", entity: "user", keyColumn: "id", ... }])
 * if (result._tag === "Failure") console.error(result.failure.message)
 * ```
 */
import * as Data from "effect/Data"
import * as Result from "effect/Result"
import * as Schema from "effect/Schema"
import type { Classified } from "./Classified"

/** Database operations a change record can describe. */
export const Operation = Schema.Literals(["INSERT", "UPDATE", "DELETE"])
export type Operation = typeof Operation.Type

/** Column types of the spec (`stored as` → `published as`, see README.md, "The domain"). */
export const ColumnType = Schema.Literals(["int", "string", "boolean", "decimal", "timestamp", "json"])
export type ColumnType = typeof ColumnType.Type

/** Case transformations of string columns. */
export const Transformation = Schema.Literals(["UPPERCASE", "LOWERCASE"])
export type Transformation = typeof Transformation.Type

/** Formats known to `PARTIAL_MASK`. */
export const MaskFormat = Schema.Literals(["email", "phone", "card", "generic"])
export type MaskFormat = typeof MaskFormat.Type

/** A condition on the row: the rule applies only when `column` equals `equals`. */
export const RuleCondition = Schema.Struct({
  column: Schema.String,
  equals: Schema.Union([Schema.Boolean, Schema.String, Schema.Number])
})
export type RuleCondition = typeof RuleCondition.Type

const when = { when: Schema.optionalKey(RuleCondition) }

/** A protection action with its parameters. */
export const Protection = Schema.Union([
  Schema.Struct({ action: Schema.Literal("REMOVE"), ...when }),
  Schema.Struct({ action: Schema.Literal("HASH"), ...when }),
  Schema.Struct({ action: Schema.Literal("PARTIAL_MASK"), format: MaskFormat, ...when }),
  Schema.Struct({ action: Schema.Literal("FULL_MASK"), ...when }),
  Schema.Struct({ action: Schema.Literal("TOKENIZE"), ...when })
])
export type Protection = typeof Protection.Type
export type ProtectionAction = Protection["action"]

export const ColumnDefinition = Schema.Struct({
  name: Schema.String.check(Schema.isPattern(/^[a-z][a-z0-9_]*$/)),
  type: ColumnType,
  transform: Schema.optionalKey(Transformation),
  protection: Schema.optionalKey(Protection)
})
export type ColumnDefinition = typeof ColumnDefinition.Type

export const TableDefinition = Schema.Struct({
  table: Schema.String.check(Schema.isPattern(/^[a-z][a-z0-9_]*$/)),
  /** Singular entity name: event types are `<entity>.created|updated|deleted`. */
  entity: Schema.String.check(Schema.isPattern(/^[a-z][a-z0-9_]*$/)),
  keyColumn: Schema.String,
  operations: Schema.Array(Operation),
  /** Event type per published operation. */
  eventTypes: Schema.Record(Schema.String, Schema.String),
  columns: Schema.Array(ColumnDefinition),
  /** What happens to a column the definition does not declare (schema drift). */
  undeclaredColumns: Schema.Literals(["withhold", "publish"])
})
export type TableDefinition = typeof TableDefinition.Type

/** A table definition that is not valid: raised at start-up, names table and column. */
export class InvalidTableDefinitionError
  extends Data.TaggedError("InvalidTableDefinitionError")<{
    readonly table: string
    readonly column: string | undefined
    readonly problem: string
  }>
  implements Classified
{
  readonly category = "configuration" as const
  readonly code = "invalid-table-definition"
  readonly retryable = false
  override get message(): string {
    const where = this.column === undefined ? `table ${this.table}` : `table ${this.table}, column ${this.column}`
    return `Invalid table definition (${where}): ${this.problem}`
  }
}

const eventSuffix: Record<Operation, string> = { INSERT: "created", UPDATE: "updated", DELETE: "deleted" }

/** The event type of an operation for an entity, e.g. `eventTypeOf("user", "UPDATE")` → `user.updated`. */
export const eventTypeOf = (entity: string, operation: Operation): string => `${entity}.${eventSuffix[operation]}`

const decodeTable = Schema.decodeUnknownResult(TableDefinition)

const isColumn = Schema.is(ColumnDefinition)

/** The name of the first column that does not match {@link ColumnDefinition}, to point at it. */
const invalidColumnName = (entry: unknown): string | undefined => {
  const columns = typeof entry === "object" && entry !== null ? (entry as { columns?: unknown }).columns : undefined
  if (!Array.isArray(columns)) return undefined
  for (const [index, column] of columns.entries()) {
    if (isColumn(column)) continue
    const name = typeof column === "object" && column !== null ? (column as { name?: unknown }).name : undefined
    return typeof name === "string" ? name : `#${index}`
  }
  return undefined
}

const check = (definition: TableDefinition): InvalidTableDefinitionError | undefined => {
  const fail = (column: string | undefined, problem: string) =>
    new InvalidTableDefinitionError({ table: definition.table, column, problem })
  const byName = new Map<string, ColumnDefinition>()
  for (const column of definition.columns) {
    if (byName.has(column.name)) return fail(column.name, "declared twice")
    byName.set(column.name, column)
    if (column.transform !== undefined && column.type !== "string") {
      return fail(column.name, `transformation ${column.transform} needs a string column`)
    }
  }
  const key = byName.get(definition.keyColumn)
  if (key === undefined) return fail(definition.keyColumn, "the key column is not declared")
  if (key.protection !== undefined) return fail(key.name, "the key column cannot be protected (it is the entityId)")
  if (key.type !== "int" && key.type !== "string") return fail(key.name, "the key column must be int or string")
  if (definition.operations.length === 0) return fail(undefined, "no published operation")
  for (const operation of definition.operations) {
    if (definition.eventTypes[operation] === undefined) return fail(undefined, `no event type for ${operation}`)
  }
  for (const operation of Object.keys(definition.eventTypes)) {
    if (!definition.operations.includes(operation as Operation)) {
      return fail(undefined, `event type declared for unpublished operation ${operation}`)
    }
  }
  for (const column of definition.columns) {
    const condition = column.protection?.when
    if (condition === undefined) continue
    const target = byName.get(condition.column)
    if (target === undefined) return fail(column.name, `condition names undeclared column ${condition.column}`)
    if (target.protection !== undefined) return fail(column.name, `condition column ${target.name} is protected`)
    const expected = target.type === "boolean" ? "boolean" : target.type === "int" ? "number" : "string"
    if (typeof condition.equals !== expected) return fail(column.name, `condition on ${target.name} must be a ${expected}`)
  }
  return undefined
}

/**
 * Decodes and checks table definitions; the first problem found is the failure.
 *
 * @example
 * ```ts
 * Result.getOrThrow(validateTables(rawDefinitions))
 * ```
 */
export const validateTables = (raw: ReadonlyArray<unknown>): Result.Result<ReadonlyArray<TableDefinition>, InvalidTableDefinitionError> => {
  const out: Array<TableDefinition> = []
  const seen = new Set<string>()
  for (const [index, entry] of raw.entries()) {
    const decoded = decodeTable(entry)
    const name =
      typeof entry === "object" && entry !== null && typeof (entry as { table?: unknown }).table === "string"
        ? (entry as { table: string }).table
        : `#${index}`
    if (decoded._tag === "Failure") {
      return Result.fail(
        new InvalidTableDefinitionError({
          table: name,
          column: invalidColumnName(entry),
          problem: "does not match the TableDefinition schema"
        })
      )
    }
    const definition = decoded.success
    if (seen.has(definition.table)) {
      return Result.fail(new InvalidTableDefinitionError({ table: name, column: undefined, problem: "declared twice" }))
    }
    seen.add(definition.table)
    const problem = check(definition)
    if (problem !== undefined) return Result.fail(problem)
    out.push(definition)
  }
  return Result.succeed(out)
}
