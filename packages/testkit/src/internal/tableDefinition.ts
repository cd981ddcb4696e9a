import { type TableDefinition, tables } from "@cdc/domain/Tables"

/** The definition of `table`; generators are only ever asked for the twelve tables. */
export const definitionOf = (table: string): TableDefinition => {
  const definition = tables.get(table)
  if (definition === undefined) throw new Error(`no table definition for ${table}`)
  return definition
}
