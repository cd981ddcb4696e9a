/**
 * The typed failures of the pure record path. Each implements {@link Classified} and carries the
 * record's {@link RecordCoordinates} (never its content), so the processor can route it to the DLQ
 * and the DLQ worker can classify and alert from the error alone. Later issues extend
 * {@link CdcError} with their own tagged errors.
 *
 * @example
 * ```ts
 * const error = new DecodeError({ coordinates: { shardId, sequenceNumber }, reason: "invalid-json" })
 * error.message // "Record shardId-0/4960… could not be decoded: invalid-json"
 * ```
 */
import * as Data from "effect/Data"
import type { Classified, RecordCoordinates } from "./Classified"

/** Why a record could not be decoded; each is also the error `code`. */
export type DecodeReason =
  | "invalid-base64"
  | "invalid-json"
  | "not-an-object"
  | "unknown-shape"
  | "invalid-cdc-event"
  | "invalid-dms-record"
  | "invalid-kinesis-record"
  | "invalid-redriven-record"
  | "missing-image"
  | "missing-key"
  | "invalid-timestamp"
  | "unexpected-failure"

/** Why a column value was refused; each is also the error `code`. */
export type InvalidValueReason =
  | "not-an-integer"
  | "integer-out-of-range"
  | "not-a-string"
  | "not-a-boolean"
  | "not-a-decimal"
  | "not-a-timestamp"
  | "not-json"
  | "json-too-deep"
  /** A column deciding another's protection, named twice in one object (./RepeatedMembers). */
  | "duplicate-column"

/** Where the record is, for messages: `shard/sequence`, else the partition key. */
export const describeCoordinates = (coordinates: RecordCoordinates): string => {
  if (coordinates.shardId !== undefined || coordinates.sequenceNumber !== undefined) {
    return `${coordinates.shardId ?? "?"}/${coordinates.sequenceNumber ?? "?"}`
  }
  return coordinates.partitionKey !== undefined ? `with partition key ${coordinates.partitionKey}` : "(no stream coordinates)"
}

/** The record is not one of the accepted input shapes (poison: retrying cannot help). */
export class DecodeError
  extends Data.TaggedError("DecodeError")<{
    readonly coordinates: RecordCoordinates
    readonly reason: DecodeReason
    /** The offending field name of the envelope, when known (a name, never a value). */
    readonly field?: string | undefined
  }>
  implements Classified
{
  readonly category = "poison" as const
  readonly retryable = false
  get code(): string {
    return this.reason
  }
  override get message(): string {
    const field = this.field === undefined ? "" : ` (field ${this.field})`
    return `Record ${describeCoordinates(this.coordinates)} could not be decoded: ${this.reason}${field}`
  }
}

/** The record belongs to a table the pipeline has no definition for. */
export class UnknownTableError
  extends Data.TaggedError("UnknownTableError")<{
    readonly coordinates: RecordCoordinates
    readonly table: string
  }>
  implements Classified
{
  readonly category = "configuration" as const
  readonly code = "unknown-table"
  readonly retryable = false
  override get message(): string {
    return `Record ${describeCoordinates(this.coordinates)}: table ${this.table} has no definition`
  }
}

/** A column value has the wrong type and cannot be coerced (poison). */
export class InvalidValueError
  extends Data.TaggedError("InvalidValueError")<{
    readonly coordinates: RecordCoordinates
    readonly table: string
    readonly column: string
    readonly reason: InvalidValueReason
  }>
  implements Classified
{
  readonly category = "poison" as const
  readonly retryable = false
  get code(): string {
    return this.reason
  }
  override get message(): string {
    return `Record ${describeCoordinates(this.coordinates)}: column ${this.table}.${this.column} is invalid: ${this.reason}`
  }
}

/** Every failure of the pure record path. */
export type CdcError = DecodeError | UnknownTableError | InvalidValueError
