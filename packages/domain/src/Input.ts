/**
 * The accepted input shapes as Effect Schemas, and their normalisation into one
 * {@link SourceChange} (or a DDL {@link ControlChange}). The shapes:
 *
 * 1. the reference design's CDC event `{tableName, operation, beforeImage?, afterImage?, timestamp, sequenceNumber}`;
 * 2. AWS DMS's Kinesis JSON `{data, "before-image"?, metadata: {timestamp, "record-type", operation, "table-name", ...}}`
 *    (`load` → a create with `snapshot: true`; `record-type: control` → DDL);
 * 3. the Lambda `KinesisStreamRecord` wrapper with base64 `data` (see `RecordPath.fromKinesis`);
 * 4. a redriven record (./RedrivenRecord): a record `cdc dlq redrive` put back into the stream,
 *    the original under its first position, so its events keep their original ids.
 *
 * Validation uses the Schemas' compiled guards (`Schema.is`, built once), after a hand-written
 * accept of a well-formed envelope (./InputGuards); a failure names the offending envelope field,
 * never a value.
 *
 * @example
 * ```ts
 * const normalized = normalize(JSON.parse(line))
 * if (normalized._tag === "Change") normalized.table // "users"
 * ```
 */
import * as Schema from "effect/Schema"
import * as SchemaJIT from "effect/schema/SchemaJITCompiler"
import type { DecodeReason } from "./Errors"
import { acceptedOr, acceptsCdcEvent, acceptsDmsRecord } from "./InputGuards"
import { Operation } from "./TableDefinition"

/**
 * A row image: a JSON object. Its columns are checked per table by the compiled coercers, so the
 * envelope guard does not walk every key (measured: that walk alone cost more than JSON.parse).
 */
const Image = Schema.ObjectKeyword.annotate({ description: "A row image: column name → stored value" })

/** The reference design's CDC event. */
export const CdcEvent = Schema.Struct({
  tableName: Schema.String,
  operation: Operation,
  beforeImage: Schema.optionalKey(Schema.NullOr(Image)),
  afterImage: Schema.optionalKey(Schema.NullOr(Image)),
  /** ISO-8601 / DMS text or epoch millis. */
  timestamp: Schema.Union([Schema.String, Schema.Number]),
  sequenceNumber: Schema.optionalKey(Schema.Union([Schema.String, Schema.Number]))
})
export type CdcEvent = typeof CdcEvent.Type

/** The `metadata` of an AWS DMS Kinesis record. */
export const DmsMetadata = Schema.Struct({
  timestamp: Schema.String,
  "record-type": Schema.Literals(["data", "control"]),
  operation: Schema.String,
  "partition-key-type": Schema.optionalKey(Schema.String),
  "schema-name": Schema.optionalKey(Schema.String),
  "table-name": Schema.String,
  "transaction-id": Schema.optionalKey(Schema.Union([Schema.String, Schema.Number])),
  /** The record's offset within its transaction (DMS `IncludeTransactionDetails`). */
  "transaction-record-id": Schema.optionalKey(Schema.Union([Schema.String, Schema.Number]))
})
export type DmsMetadata = typeof DmsMetadata.Type

/** An AWS DMS Kinesis JSON record (data or control). */
export const DmsRecord = Schema.Struct({
  data: Schema.optionalKey(Schema.NullOr(Image)),
  "before-image": Schema.optionalKey(Schema.NullOr(Image)),
  control: Schema.optionalKey(Schema.Unknown),
  metadata: DmsMetadata
})
export type DmsRecord = typeof DmsRecord.Type

/** DMS data-record operations; `load` is a full-load row. */
export const DmsDataOperation = Schema.Literals(["load", "insert", "update", "delete"])

/** The Lambda event source mapping's Kinesis record (the `kinesis` part is what we read). */
export const KinesisStreamRecord = Schema.Struct({
  eventID: Schema.optionalKey(Schema.String),
  eventSourceARN: Schema.optionalKey(Schema.String),
  kinesis: Schema.Struct({
    data: Schema.String,
    partitionKey: Schema.String,
    sequenceNumber: Schema.String,
    /** Epoch seconds (with a fraction). */
    approximateArrivalTimestamp: Schema.Number,
    kinesisSchemaVersion: Schema.optionalKey(Schema.String)
  })
})

/** A data change, whatever shape it came in. */
export interface SourceChange {
  readonly _tag: "Change"
  readonly table: string
  readonly operation: Operation
  /** A DMS full-load row (published as a create). */
  readonly snapshot: boolean
  readonly before: Readonly<Record<string, unknown>> | undefined
  readonly after: Readonly<Record<string, unknown>> | undefined
  /** The source change time as given (ISO/DMS text or epoch millis). */
  readonly changeTime: string | number
  /** The source's own sequence number (the reference CDC event's `sequenceNumber`), when it has one. */
  readonly sourceSequence: string | undefined
  /**
   * The DMS transaction id, with the record's offset in it when DMS writes one (`41/3`): part of
   * the change's identity when there are no Kinesis coordinates, but no sequence number, so never
   * published as one.
   */
  readonly transactionId?: string | undefined
}

/** A DMS control (DDL) record: column names only. */
export interface ControlChange {
  readonly _tag: "Control"
  readonly table: string
  readonly operation: string
  readonly columns: ReadonlyArray<string>
}

/** The input is none of the shapes, or a shape with an invalid field. */
export interface InvalidInput {
  readonly _tag: "Invalid"
  readonly reason: DecodeReason
  readonly field: string | undefined
  readonly table: string | undefined
}

export type Normalized = SourceChange | ControlChange | InvalidInput

// The envelope guards run once per record: JIT-compile them (measured ~2x faster than interpreted).
SchemaJIT.enable(CdcEvent.ast)
SchemaJIT.enable(DmsRecord.ast)
const isCdcEvent = acceptedOr(acceptsCdcEvent, Schema.is(CdcEvent))
const isDmsRecord = acceptedOr(acceptsDmsRecord, Schema.is(DmsRecord))
const isDmsDataOperation = Schema.is(DmsDataOperation)

/** Field guards of a struct, to name the first invalid envelope field on the (rare) failure path. */
const fieldGuards = (fields: Readonly<Record<string, Schema.Top>>): ReadonlyArray<FieldGuard> =>
  Object.entries(fields).map(([name, schema]) => ({ name, is: Schema.is(schema), optional: schema.ast.context?.isOptional === true }))

interface FieldGuard {
  readonly name: string
  readonly is: (u: unknown) => boolean
  /** An optional key may be absent; only a value it has can be the culprit. */
  readonly optional: boolean
}

const cdcFields = fieldGuards(CdcEvent.fields)
const dmsFields = fieldGuards(DmsRecord.fields)
const metadataFields = fieldGuards(DmsMetadata.fields)

const firstInvalidField = (guards: ReadonlyArray<FieldGuard>, input: Record<string, unknown>, prefix = ""): string | undefined => {
  for (const { name, is, optional } of guards) {
    if (optional && !Object.hasOwn(input, name)) continue
    if (!is(input[name])) return `${prefix}${name}`
  }
  return undefined
}

const stringField = (value: unknown): string | undefined => (typeof value === "string" ? value : undefined)

const invalid = (reason: DecodeReason, field?: string, table?: string): InvalidInput => ({
  _tag: "Invalid",
  reason,
  field,
  table
})

type Image = Readonly<Record<string, unknown>>
const isImage = (value: unknown): value is Image | null | undefined => value == null || !Array.isArray(value)
const image = (value: object | null | undefined): Image | undefined =>
  value === null || value === undefined ? undefined : (value as Image)

const fromCdcEvent = (input: Record<string, unknown>): Normalized => {
  if (!isCdcEvent(input)) {
    const field = firstInvalidField(cdcFields, input)
    return invalid("invalid-cdc-event", field, stringField(input.tableName))
  }
  if (!isImage(input.beforeImage)) return invalid("invalid-cdc-event", "beforeImage", input.tableName)
  if (!isImage(input.afterImage)) return invalid("invalid-cdc-event", "afterImage", input.tableName)
  const before = image(input.beforeImage)
  const after = image(input.afterImage)
  const needed = input.operation === "DELETE" ? before : after
  if (needed === undefined) {
    return invalid("missing-image", input.operation === "DELETE" ? "beforeImage" : "afterImage", input.tableName)
  }
  return {
    _tag: "Change",
    table: input.tableName,
    operation: input.operation,
    snapshot: false,
    before,
    after: input.operation === "DELETE" ? undefined : after,
    changeTime: input.timestamp,
    sourceSequence: sequenceText(input.sequenceNumber)
  }
}

/**
 * A sequence number as text. One given as a JSON number above 2^53 − 1 (Kinesis sequence numbers
 * are 56 digits) was rounded by `JSON.parse`, its digits lost: published it would be another
 * number (`4.9607933946721e+25`), and two records would share it. It is taken as absent; give
 * such a sequence number as a string.
 */
const sequenceText = (value: string | number | undefined): string | undefined =>
  typeof value === "number" ? (Number.isSafeInteger(value) ? String(value) : undefined) : value

const controlColumns = (record: DmsRecord): ReadonlyArray<string> => {
  const control = record.control as { "table-def"?: { columns?: unknown } } | undefined
  const columns = control?.["table-def"]?.columns
  const names = typeof columns === "object" && columns !== null ? Object.keys(columns) : []
  return record.data && !Array.isArray(record.data) ? [...new Set([...names, ...Object.keys(record.data)])] : names
}

/**
 * A control record's DDL operation as a name (`add-column`, `drop-table`, …): it becomes a DLQ
 * reason, a metric's and an alert's code, so any other text (too long, or not a name) is `other`.
 */
const ddlOperation = (operation: string): string => (/^[A-Za-z][A-Za-z-]{0,63}$/.test(operation) ? operation.toLowerCase() : "other")

const dmsOperations = { load: "INSERT", insert: "INSERT", update: "UPDATE", delete: "DELETE" } as const

/** With the offset, two UPDATEs of one row in one transaction (one commit time) have distinct identities. */
const transactionOf = (metadata: DmsMetadata): string | undefined => {
  const id = metadata["transaction-id"]
  const offset = metadata["transaction-record-id"]
  if (offset === undefined) return id === undefined ? undefined : String(id)
  return `${id ?? ""}/${offset}`
}

const fromDmsRecord = (input: Record<string, unknown>): Normalized => {
  if (!isDmsRecord(input)) {
    const metadata = input.metadata
    const table =
      typeof metadata === "object" && metadata !== null ? stringField((metadata as Record<string, unknown>)["table-name"]) : undefined
    const field =
      typeof metadata === "object" && metadata !== null && !Array.isArray(metadata)
        ? (firstInvalidField(metadataFields, metadata as Record<string, unknown>, "metadata.") ?? firstInvalidField(dmsFields, input))
        : "metadata"
    return invalid("invalid-dms-record", field, table)
  }
  const metadata = input.metadata
  const table = metadata["table-name"]
  if (metadata["record-type"] === "control") {
    return { _tag: "Control", table, operation: ddlOperation(metadata.operation), columns: controlColumns(input) }
  }
  if (!isDmsDataOperation(metadata.operation)) return invalid("invalid-dms-record", "metadata.operation", table)
  const operation = dmsOperations[metadata.operation]
  if (!isImage(input.data)) return invalid("invalid-dms-record", "data", table)
  if (!isImage(input["before-image"])) return invalid("invalid-dms-record", "before-image", table)
  const data = image(input.data)
  if (data === undefined) return invalid("missing-image", "data", table)
  return {
    _tag: "Change",
    table,
    operation,
    snapshot: metadata.operation === "load",
    before: operation === "DELETE" ? data : image(input["before-image"]),
    after: operation === "DELETE" ? undefined : data,
    changeTime: metadata.timestamp,
    sourceSequence: undefined,
    transactionId: transactionOf(metadata)
  }
}

/**
 * Normalises a parsed CDC event or DMS record. (A Kinesis wrapper is unwrapped by the record
 * path, which owns its coordinates.)
 *
 * @example
 * ```ts
 * normalize({ tableName: "users", operation: "DELETE", beforeImage: { id: 1 }, timestamp: 0 })._tag // "Change"
 * ```
 */
export const normalize = (input: unknown): Normalized => {
  if (typeof input !== "object" || input === null || Array.isArray(input)) return invalid("not-an-object")
  const record = input as Record<string, unknown>
  if ("metadata" in record) return fromDmsRecord(record)
  if ("tableName" in record) return fromCdcEvent(record)
  return invalid("unknown-shape")
}

/** True when a parsed value looks like a Lambda Kinesis record (it has a `kinesis` object). */
export const isKinesisWrapper = (input: unknown): input is { kinesis: unknown } =>
  typeof input === "object" && input !== null && "kinesis" in input
