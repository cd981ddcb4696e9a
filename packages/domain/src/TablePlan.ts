/**
 * A table definition compiled once into per-column functions (coercer, redactor), so that the
 * change computation (./Changes) only looks columns up and calls them.
 *
 * @example
 * ```ts
 * const plan = compileTable(tables.get("users")!, makeSecrets(keys))
 * computeChanges(plan, "INSERT", undefined, row)
 * ```
 */
import { makeRedactor, type RedactionSecrets, type Redactor } from "./Redaction"
import type { RuleCondition, TableDefinition } from "./TableDefinition"
import { type Coercer, makeCoercer } from "./Values"

export interface ColumnPlan {
  readonly name: string
  /** The column's position in the definition: its index in per-change arrays of values. */
  readonly slot: number
  readonly coerce: Coercer
  /** Unconditional REMOVE: never read. */
  readonly removed: boolean
  readonly redact: Redactor | undefined
  /** Conditional rule: `redact` (or removal) applies only when this holds. */
  readonly condition: RuleCondition | undefined
}

export interface TablePlan {
  readonly definition: TableDefinition
  readonly columns: ReadonlyMap<string, ColumnPlan>
  /**
   * The columns by slot, and `undefined` after the last: the column a row is expected to hold
   * next (see `columnOf` in ./Changes), read without a bounds check.
   */
  readonly bySlot: ReadonlyArray<ColumnPlan | undefined>
  readonly key: ColumnPlan
  readonly publishUndeclared: boolean
  /** The columns with a conditional rule (most tables have none). */
  readonly conditional: ReadonlyArray<ColumnPlan>
  /** The decimal columns (read exactly when written as long JSON numbers, see ./ExactDecimals). */
  readonly decimals: ReadonlyArray<string>
}

/** Compiles a definition; done once per table when the record path is built. */
export const compileTable = (definition: TableDefinition, secrets: RedactionSecrets): TablePlan => {
  const columns = new Map<string, ColumnPlan>()
  for (const column of definition.columns) {
    const protection = column.protection
    columns.set(column.name, {
      name: column.name,
      slot: columns.size,
      coerce: makeCoercer(column),
      removed: protection?.action === "REMOVE" && protection.when === undefined,
      redact: protection === undefined || protection.action === "REMOVE" ? undefined : makeRedactor(protection, secrets),
      condition: protection?.when
    })
  }
  return {
    definition,
    columns,
    bySlot: [...columns.values(), undefined],
    key: columns.get(definition.keyColumn) as ColumnPlan,
    publishUndeclared: definition.undeclaredColumns === "publish",
    conditional: [...columns.values()].filter((column) => column.condition !== undefined),
    decimals: definition.columns.filter((column) => column.type === "decimal").map((column) => column.name)
  }
}
