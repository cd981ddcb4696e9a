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
import * as Schema from "effect/Schema"
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

type JsonObject = Record<string, unknown>

const isJsonObject = (value: unknown): value is JsonObject => typeof value === "object" && value !== null && !Array.isArray(value)

/**
 * Closes `changes` (and each `{old, new}` in it) in a generated document. Effect writes structs
 * open, as its decoder ignores excess keys, and that is right for the detail and its metadata
 * (fields can be added within a version). `changes` is different: its key set is the contract. A
 * REMOVE column, or an undeclared one the table withholds, must not appear there, and a
 * consumer's validation should catch one that does. A table publishing undeclared columns keeps
 * `changes` open for them.
 */
const closeChanges = (schema: JsonObject, definition: TableDefinition): JsonObject => {
  const properties = schema.properties
  const changes = isJsonObject(properties) ? properties.changes : undefined
  if (!isJsonObject(properties) || !isJsonObject(changes) || !isJsonObject(changes.properties)) return schema
  const fields = Object.fromEntries(
    Object.entries(changes.properties).map(([name, field]) => [
      name,
      isJsonObject(field) ? { ...field, additionalProperties: false } : field
    ])
  )
  const closed = { ...changes, properties: fields, additionalProperties: definition.undeclaredColumns === "publish" }
  return { ...schema, properties: { ...properties, changes: closed } }
}

/** The JSON Schema document of one event type's `Detail`. */
export const detailJsonSchema = (definition: TableDefinition, operation: Operation): Record<string, unknown> => {
  const document = Schema.toJsonSchemaDocument(detailSchemaOf(definition, operation))
  return {
    $schema: "https://json-schema.org/draft/2020-12/schema",
    ...closeChanges(document.schema as JsonObject, definition),
    ...(Object.keys(document.definitions).length > 0 ? { $defs: document.definitions } : {})
  }
}

/**
 * Builds the catalog of every published event type.
 *
 * @example
 * ```ts
 * eventCatalog({ sourcePrefix: "cdc-pipeline" }).schemas.length // 26
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
