/**
 * Hand-written accepts of the two change envelopes (./Input's `CdcEvent` and `DmsRecord`), tried
 * before the Schemas' own guards. An accept only ever says "valid" where the Schema would; what it
 * does not accept goes on to the Schema's guard, which decides. So the guard of each shape is
 * still its Schema's, only quicker for a well-formed record: the JIT-compiled Schema guard
 * dispatches every `Union` member (`NullOr` images, a timestamp of text or number) through a
 * candidate index, which cost ≈ 1.5% of the record path (measured with `npm run bench:compare`).
 * test/InputGuards.property.test.ts checks that every accepted input is one the Schema accepts.
 *
 * @example
 * ```ts
 * const isCdcEvent = acceptedOr(acceptsCdcEvent, Schema.is(CdcEvent))
 * isCdcEvent({ tableName: "users", operation: "DELETE", beforeImage: { id: 1 }, timestamp: 0 }) // true
 * ```
 */

type Fields = Readonly<Record<string, unknown>>

/** `Schema.ObjectKeyword` or `Schema.Null`: a row image (arrays included, as the Schema does) or null. */
const isImageOrNull = (value: unknown): boolean => value === null || typeof value === "object" || typeof value === "function"

const isTextOrNumber = (value: unknown): boolean => typeof value === "string" || typeof value === "number"

/**
 * An optional key (`Schema.optionalKey`): absent, or present with a value `valid` accepts. A key
 * present with the value `undefined` is left to the Schema (it is not absent).
 */
const optional = (fields: Fields, key: string, valid: (value: unknown) => boolean): boolean => {
  const value = fields[key]
  return value === undefined ? !(key in fields) : valid(value)
}

const isText = (value: unknown): boolean => typeof value === "string"

/**
 * A reference-design CDC event the `CdcEvent` Schema accepts, in the common case.
 *
 * @example
 * ```ts
 * acceptsCdcEvent({ tableName: "users", operation: "INSERT", afterImage: { id: 1 }, timestamp: "2024-01-15T10:30:00Z" }) // true
 * ```
 */
export const acceptsCdcEvent = (input: Fields): boolean => {
  const operation = input.operation
  return (
    typeof input.tableName === "string" &&
    (operation === "INSERT" || operation === "UPDATE" || operation === "DELETE") &&
    isTextOrNumber(input.timestamp) &&
    optional(input, "beforeImage", isImageOrNull) &&
    optional(input, "afterImage", isImageOrNull) &&
    optional(input, "sequenceNumber", isTextOrNumber)
  )
}

/** The `metadata` of a DMS record, as `DmsMetadata` accepts it, in the common case. */
const acceptsDmsMetadata = (metadata: unknown): boolean => {
  if (typeof metadata !== "object" || metadata === null || Array.isArray(metadata)) return false
  const fields = metadata as Fields
  const recordType = fields["record-type"]
  return (
    typeof fields.timestamp === "string" &&
    (recordType === "data" || recordType === "control") &&
    typeof fields.operation === "string" &&
    typeof fields["table-name"] === "string" &&
    optional(fields, "partition-key-type", isText) &&
    optional(fields, "schema-name", isText) &&
    optional(fields, "transaction-id", isTextOrNumber) &&
    optional(fields, "transaction-record-id", isTextOrNumber)
  )
}

/**
 * An AWS DMS Kinesis record the `DmsRecord` Schema accepts, in the common case (its `control` is
 * `Schema.Unknown`: any value, present or not).
 *
 * @example
 * ```ts
 * acceptsDmsRecord({ data: { id: 1 }, metadata: { timestamp: "2024-01-15 10:30:00", "record-type": "data", operation: "insert", "table-name": "users" } }) // true
 * ```
 */
export const acceptsDmsRecord = (input: Fields): boolean =>
  acceptsDmsMetadata(input.metadata) && optional(input, "data", isImageOrNull) && optional(input, "before-image", isImageOrNull)

/**
 * A guard that tries `accepts` first and asks `schemaGuard` about everything else.
 *
 * @example
 * ```ts
 * const isDmsRecord = acceptedOr(acceptsDmsRecord, Schema.is(DmsRecord))
 * ```
 */
export const acceptedOr =
  <A extends Fields>(accepts: (input: Fields) => boolean, schemaGuard: (input: unknown) => input is A) =>
  (input: Fields): input is A =>
    // a struct Schema refuses an array whatever fields it carries
    (!Array.isArray(input) && accepts(input)) || schemaGuard(input)
