/**
 * The published event: the EventBridge entry and its `Detail` (the reference design's event
 * schema), as Schemas. The generic {@link EventDetail} describes every event; {@link detailSchemaOf}
 * derives the precise schema of one event type from the table definition (which columns may
 * appear in `changes`, with which published type), from which the JSON Schema catalog is built.
 *
 * @example
 * ```ts
 * Schema.decodeUnknownSync(EventDetail)(JSON.parse(entry.Detail)).eventType // "user.updated"
 * ```
 */
import * as Schema from "effect/Schema"
import { fullMask } from "./Redaction"
import { type ColumnDefinition, type MaskFormat, Operation, type Protection, type TableDefinition } from "./TableDefinition"

/** The `metadata.version` of events built by this code. */
export const eventVersion = "1.0"

const EventId = Schema.String.check(Schema.isPattern(/^evt_[0-9]+_[a-z0-9]+$/u))
const IsoDate = Schema.String.check(Schema.isPattern(/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$/u))

/** One changed field: INSERT has only `new`, DELETE only `old`. */
export const FieldChange = <S extends Schema.Top>(value: S) =>
  Schema.Struct({ old: Schema.optionalKey(value), new: Schema.optionalKey(value) })

/**
 * One changed field in an event of `operation`, as the spec publishes it: an INSERT's `{new}`, a
 * DELETE's `{old}`, an UPDATE's `old` and/or `new`. (With {@link FieldChange} for every
 * operation, a catalog would let a consumer accept a created event carrying an `old`.)
 */
const fieldChangeOf = (operation: Operation, value: Schema.Top): Schema.Top =>
  operation === "INSERT" ? Schema.Struct({ new: value }) : operation === "DELETE" ? Schema.Struct({ old: value }) : FieldChange(value)

export const EventMetadata = Schema.Struct({
  sourceTable: Schema.String,
  sequenceNumber: Schema.optionalKey(Schema.String),
  processedAt: IsoDate,
  version: Schema.String,
  /** Present (true) on DMS full-load rows. */
  snapshot: Schema.optionalKey(Schema.Literal(true))
})

const detailFields = {
  eventId: EventId,
  eventType: Schema.String,
  entityId: Schema.String,
  entityType: Schema.String,
  operation: Operation,
  timestamp: IsoDate,
  metadata: EventMetadata
}

/** The `Detail` of any published event. */
export const EventDetail = Schema.Struct({
  ...detailFields,
  changes: Schema.Record(Schema.String, FieldChange(Schema.Unknown))
})
export type EventDetail = typeof EventDetail.Type

/** The EventBridge `PutEvents` entry built for one change. */
export const PublishedEntry = Schema.Struct({
  Source: Schema.String,
  DetailType: Schema.String,
  /** JSON text of an {@link EventDetail}. */
  Detail: Schema.String,
  /** ISO-8601: the source change time. */
  Time: Schema.String,
  EventBusName: Schema.String
})
export type PublishedEntry = typeof PublishedEntry.Type

const published = {
  int: Schema.Int,
  string: Schema.String,
  boolean: Schema.Boolean,
  decimal: Schema.String.check(Schema.isPattern(/^-?\d+\.\d{2}$/u)),
  timestamp: IsoDate,
  json: Schema.Json
} as const

/**
 * One character as the masks count it (./Redaction's `endOfChars`): a surrogate pair or any one
 * code unit. Written out rather than left to the `u` flag, which a JSON Schema `pattern` does not
 * carry: a validator matching by UTF-16 code unit (.NET, ajv with `unicodeRegExp: false`) would
 * otherwise refuse a mask that starts with an emoji.
 */
const char = String.raw`(?:[\uD800-\uDBFF][\uDC00-\uDFFF]|[\s\S])`

/**
 * The published form of a redacted value, as precise as `Redaction.ts` writes it, so that a
 * consumer validating against the catalog rejects a clear value published by mistake (an email
 * in clear is a string too). Each pattern is what its redactor returns, and nothing wider.
 */
export const maskPatterns: Record<MaskFormat, RegExp> = {
  // `o**@example.com`, or `***` for a text with no local part or domain (after the last `@`)
  email: new RegExp(String.raw`^(?:\*\*\*|${char}\*\*@[^@]+)$`, "u"),
  // `***4567`, or `***` for four digits or fewer
  phone: /^\*\*\*(?:[0-9]{4})?$/u,
  card: /^\*\*\*(?:[0-9]{4})?$/u,
  // `abc***`, or `***` for three characters or fewer
  generic: new RegExp(String.raw`^(?:${char}{3})?\*\*\*$`, "u")
}

const redactedValue = (protection: Exclude<Protection, { action: "REMOVE" }>): Schema.Top => {
  switch (protection.action) {
    case "HASH":
      return Schema.String.check(Schema.isPattern(/^[0-9a-f]{16}$/u))
    case "TOKENIZE":
      return Schema.String.check(Schema.isPattern(/^tok_[0-9a-f]{12}$/u))
    case "FULL_MASK":
      return Schema.Literal(fullMask)
    case "PARTIAL_MASK":
      return Schema.String.check(Schema.isPattern(maskPatterns[protection.format]))
  }
}

/** The published value schema of a column: redacted columns publish their redacted form only. */
const columnValue = (column: ColumnDefinition): Schema.Top => {
  const protection = column.protection
  const clear = published[column.type]
  if (protection === undefined || protection.action === "REMOVE") return Schema.NullOr(clear)
  // a conditional rule publishes the clear value where its condition is known false
  if (protection.when !== undefined) return Schema.NullOr(Schema.Union([clear, redactedValue(protection)]))
  return Schema.NullOr(redactedValue(protection))
}

/**
 * The precise `Detail` schema of one event type of a table: `changes` may hold only its
 * published columns (REMOVE columns cannot appear), with their published types.
 *
 * @example
 * ```ts
 * const schema = detailSchemaOf(tables.get("users")!, "UPDATE")
 * ```
 */
export const detailSchemaOf = (definition: TableDefinition, operation: Operation) => {
  const changeFields: Record<string, Schema.Top> = {}
  for (const column of definition.columns) {
    if (column.protection?.action === "REMOVE" && column.protection.when === undefined) continue
    changeFields[column.name] = Schema.optionalKey(fieldChangeOf(operation, columnValue(column)))
  }
  const eventType = definition.eventTypes[operation] ?? ""
  return Schema.Struct({
    ...detailFields,
    eventType: Schema.Literal(eventType),
    entityType: Schema.Literal(definition.entity),
    operation: Schema.Literal(operation),
    changes: Schema.Struct(changeFields),
    metadata: Schema.Struct({ ...EventMetadata.fields, sourceTable: Schema.Literal(definition.table) })
  }).annotate({
    title: eventType,
    description: `${operation} of a row of CoreDB table ${definition.table}, redacted (key column ${definition.keyColumn}).`
  })
}
