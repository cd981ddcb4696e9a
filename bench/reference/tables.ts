/**
 * The twelve tables of `@cdc/domain/Tables` in the reference design's configuration shape
 * (`partitionKey`, `redactionRules`, `transformations`, `targetEventTypes`), so the baseline
 * engine redacts and transforms the same columns as the product. Only what the reference shape
 * can express is carried over: conditions (`when`) and mask formats have no equivalent there, so
 * the baseline applies those rules unconditionally, as the reference design would.
 *
 * @example
 * ```ts
 * const engine = new ReferenceEngine(referenceConfigs())
 * ```
 */
import type { TableDefinition } from "@cdc/domain/Tables"
import { tables } from "@cdc/domain/Tables"
import type { ReferenceTableConfig } from "./engine"

const transformationOf = (
  column: TableDefinition["columns"][number]
): ReferenceTableConfig["transformations"][number]["type"] | undefined => {
  if (column.transform !== undefined) return column.transform
  if (column.type === "timestamp") return "ISO_DATE"
  if (column.type === "decimal") return "DECIMAL"
  return undefined
}

/** One reference configuration per table definition. */
export const toReferenceConfig = (definition: TableDefinition): ReferenceTableConfig => ({
  tableName: definition.table,
  partitionKey: definition.keyColumn,
  redactionRules: definition.columns.flatMap((column) =>
    column.protection === undefined ? [] : [{ field: column.name, action: column.protection.action }]
  ),
  transformations: definition.columns.flatMap((column) => {
    const type = transformationOf(column)
    return type === undefined ? [] : [{ field: column.name, type }]
  }),
  targetEventTypes: definition.eventTypes
})

/** The configurations of all twelve tables. */
export const referenceConfigs = (): ReadonlyArray<ReferenceTableConfig> => [...tables.values()].map(toReferenceConfig)
