/**
 * The redriven record: what `cdc dlq redrive` puts back into the stream, the original record
 * under the position it was first written at, so that its events keep their ids. Read by the
 * record path (./RecordPath) as a fourth input shape, written by the redrive
 * (`@cdc/pipeline/dlq/Redrive`).
 *
 * @example
 * ```ts
 * const bytes = redrivenRecordBytes(original, { shardId: "shardId-000000000000", sequenceNumber: "4960" })
 * redriveOriginOf(bytes) // { shardId: "shardId-000000000000", sequenceNumber: "4960" }
 * ```
 */
import { isUtf8 } from "node:buffer"
import * as Schema from "effect/Schema"

/** Where a record was first written to the stream. */
export const StreamPosition = Schema.Struct({
  streamArn: Schema.optionalKey(Schema.String),
  shardId: Schema.String,
  sequenceNumber: Schema.String.check(Schema.isPattern(/^[0-9]{1,129}$/u))
})
export type StreamPosition = typeof StreamPosition.Type

/**
 * A record put back into the stream by the redrive: the original record and its first position.
 * Event ids derive from the record's identity, its first shard and sequence number, so a
 * redriven change is published under the id it had (or would have had) the first time, and
 * consumers deduplicate it. The new position is only where the record is now.
 *
 * The original travels in one of two forms:
 * - `record`: the original JSON object, its text spliced in as it was written (what
 *   {@link redrivenRecordBytes} writes for every record the redrive puts back). The envelope is
 *   the original's size plus its position (≈ 230 bytes with a stream ARN), so a record close to
 *   Kinesis's 1 MiB limit can still be put back;
 * - `data`: the original bytes in base64, a third larger than the record. Written for bytes that
 *   are not a UTF-8 JSON object (which the redrive does not put back, but which the format can
 *   carry), and by the redrive of earlier versions, whose records the processor still reads.
 */
export const RedrivenRecord = Schema.Union([
  Schema.Struct({
    redriveOf: StreamPosition,
    /** The original record. */
    record: Schema.ObjectKeyword
  }),
  Schema.Struct({
    redriveOf: StreamPosition,
    /** The original record's bytes, base64. */
    data: Schema.String
  })
])
export type RedrivenRecord = typeof RedrivenRecord.Type

/** True when a parsed value claims to be a {@link RedrivenRecord} (it has `redriveOf`); check it with {@link isRedrivenRecord}. */
export const isRedriveEnvelope = (input: unknown): input is { redriveOf: unknown } =>
  typeof input === "object" && input !== null && !Array.isArray(input) && "redriveOf" in input

export const isRedrivenRecord = Schema.is(RedrivenRecord)

/**
 * The original record inside a redriven record written in the `record` form; any other value as
 * it is (a `data` form carries bytes, which are parsed apart).
 *
 * @example
 * ```ts
 * redrivenContent({ redriveOf: position, record: { tableName: "users" } }) // { tableName: "users" }
 * redrivenContent({ tableName: "users" })                                  // { tableName: "users" }
 * ```
 */
export const redrivenContent = (parsed: unknown): unknown =>
  isRedriveEnvelope(parsed) && "record" in parsed ? (parsed as { record: unknown }).record : parsed

const bufferOf = (bytes: Uint8Array): Buffer => Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength)
const textOf = (bytes: Uint8Array): string => bufferOf(bytes).toString("utf8")
const base64Of = (bytes: Uint8Array): string => bufferOf(bytes).toString("base64")

/** A text parsed as JSON; `undefined` when it is not JSON. */
const parsedJson = (text: string): unknown => {
  try {
    return JSON.parse(text)
  } catch {
    return undefined // not JSON: a poison record
  }
}

/**
 * The first position a redriven record carries; `undefined` for any other record.
 *
 * @example
 * ```ts
 * redriveOriginOf(redrivenRecordBytes(bytes, position)) // position
 * redriveOriginOf(bytes)                                 // undefined
 * ```
 */
export const redriveOriginOf = (bytes: Uint8Array): StreamPosition | undefined => {
  const parsed = parsedJson(textOf(bytes))
  return isRedrivenRecord(parsed) ? parsed.redriveOf : undefined
}

/**
 * The bytes the redrive writes for an original record: it wraps them once; a record that is
 * already a redriven one (redriven again) is written as it is, keeping its first position. A
 * UTF-8 JSON object is spliced in as the `record` (its text unchanged, so long decimal literals
 * keep their digits); other bytes are carried in base64 (see {@link RedrivenRecord}).
 *
 * @example
 * ```ts
 * redrivenRecordBytes(bytes, { shardId: "shardId-000000000000", sequenceNumber: "4960" })
 * // '{"redriveOf":{"shardId":"shardId-000000000000","sequenceNumber":"4960"},"record":{"tableName":"users",…}}'
 * ```
 */
export const redrivenRecordBytes = (original: Uint8Array, position: StreamPosition): Uint8Array => {
  const text = textOf(original)
  const parsed = parsedJson(text)
  if (isRedrivenRecord(parsed)) return original
  const { streamArn, shardId, sequenceNumber } = position
  const origin = `{"redriveOf":${JSON.stringify({ streamArn, shardId, sequenceNumber })},`
  const isObject = typeof parsed === "object" && parsed !== null && !Array.isArray(parsed)
  // invalid UTF-8 decodes to replacement characters: only bytes that are text keep them all
  return isObject && isUtf8(original)
    ? Buffer.from(`${origin}"record":${text}}`, "utf8")
    : Buffer.from(`${origin}"data":${JSON.stringify(base64Of(original))}}`, "utf8")
}
