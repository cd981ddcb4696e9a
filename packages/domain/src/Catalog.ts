/**
 * The event catalog: the JSON Schema (draft 2020-12) of every published event type, generated
 * from the `Detail` Schemas derived from the table definitions ({@link detailSchemaOf}), plus an
 * index. It is what consumers validate against; `npx cdc schema --out DIR` writes it.
 *
 * @example
 * ```ts
 * const catalog = eventCatalog()
 * catalog.index.eventTypes.map((e) => e.file) // ["user.created.schema.json", ...]
 * ```
 */
import { Schema } from "effect"
import { detailSchemaOf } from "./Event"
import type { Operation, TableDefinition } from "./TableDefinition"
import { tables as definedTables } from "./Tables"

export interface CatalogEntry {
  readonly eventType: string
  readonly source: string
  readonly table: string
  readonly operation: Operation
  readonly file: string
  readonly schema: Record<string, unknown>
}

export interface EventCatalog {
  readonly index: {
    readonly title: string
    readonly version: string
    readonly eventTypes: ReadonlyArray<Omit<CatalogEntry, "schema">>
  }
  readonly schemas: ReadonlyArray<CatalogEntry>
}

/** The JSON Schema document of one event type's `Detail`. */
export const detailJsonSchema = (definition: TableDefinition, operation: Operation): Record<string, unknown> => {
  const document = Schema.toJsonSchemaDocument(detailSchemaOf(definition, operation))
  return {
    $schema: "https://json-schema.org/draft/2020-12/schema",
    ...document.schema,
    ...(Object.keys(document.definitions).length > 0 ? { $defs: document.definitions } : {})
  }
}

/**
 * Builds the catalog of every published event type.
 *
 * @example
 * ```ts
 * eventCatalog({ sourcePrefix: "cdc-pipeline" }).schemas.length // 29
 * ```
 */
export const eventCatalog = (
  options: { readonly sourcePrefix?: string; readonly tables?: ReadonlyMap<string, TableDefinition> } = {}
): EventCatalog => {
  const prefix = options.sourcePrefix ?? "cdc-pipeline"
  const schemas: Array<CatalogEntry> = []
  for (const definition of (options.tables ?? definedTables).values()) {
    for (const operation of definition.operations) {
      const eventType = definition.eventTypes[operation] as string
      schemas.push({
        eventType,
        source: `${prefix}.${definition.table}`,
        table: definition.table,
        operation,
        file: `${eventType}.schema.json`,
        schema: detailJsonSchema(definition, operation)
      })
    }
  }
  return {
    index: {
      title: "CDC pipeline event catalog",
      version: "1.0",
      eventTypes: schemas.map(({ schema: _schema, ...entry }) => entry)
    },
    schemas
  }
}
