/**
 * The archived form of one failed record: one S3 object per record, the same shape whichever way
 * the failure reached the DLQ. It holds coordinates (to fetch the raw record again from Kinesis),
 * the typed reason, the already-redacted event when one was built, and a raw payload only
 * KMS-encrypted: never a value in clear.
 *
 * Its key is deterministic, `failed-events/<table>/<yyyy>/<mm>/<dd>/<id>.json`, so a message
 * delivered twice lands on the same key. The date is the record's own (Kinesis arrival, else
 * first failure, else the SQS send time), not the time of archiving: a redelivery on the next day
 * must not create a second object. `archivedAt` is the only field taken from the Clock.
 *
 * @example
 * ```ts
 * archiveKey({ id: "dl-1", table: "users", recordDate: Date.UTC(2026, 0, 2) })
 * // "failed-events/users/2026/01/02/dl-1.json"
 * ```
 */
import { Schema } from "effect"
import { DeadLetterMessage } from "../DeadLetter"

/** How the failure reached the DLQ. */
export const archiveKinds = ["cdc.dead-letter", "cdc.schema-drift", "kinesis.on-failure", "malformed"] as const
export type ArchiveKind = (typeof archiveKinds)[number]

/** The table segment of keys whose table is not known (malformed messages, undecodable records). */
export const unknownTable = "_unknown"

/** The prefix of every archive object. */
export const archivePrefix = "failed-events/"

const fields = DeadLetterMessage.fields

export const ArchivedFailure = Schema.Struct({
  version: Schema.Literal(1),
  /** The file name of the object: the dead letter's id, `kinesis-<shard>-<sequence>` or `sqs-<message id>`. */
  id: Schema.String,
  kind: Schema.Literals(archiveKinds),
  table: Schema.String,
  category: fields.category,
  /** The reason code (`invalid-json`, `unknown-table`, `malformed-message`, ...). */
  code: Schema.String,
  errorTag: Schema.String,
  message: Schema.String,
  retryable: Schema.Boolean,
  coordinates: fields.coordinates,
  eventId: fields.eventId,
  event: fields.event,
  columns: fields.columns,
  attempts: Schema.optionalKey(Schema.Number),
  firstFailedAt: Schema.optionalKey(Schema.String),
  failedAt: Schema.optionalKey(Schema.String),
  encryptedPayload: fields.encryptedPayload,
  /** The SQS message that carried it. */
  delivery: Schema.Struct({ messageId: Schema.String, sentAt: Schema.optionalKey(Schema.String) }),
  /** For records of a discarded Kinesis batch: the event source mapping's context. */
  batch: Schema.optionalKey(
    Schema.Struct({
      requestId: Schema.optionalKey(Schema.String),
      condition: Schema.optionalKey(Schema.String),
      approximateInvokeCount: Schema.optionalKey(Schema.Number),
      startSequenceNumber: Schema.String,
      endSequenceNumber: Schema.String,
      batchSize: Schema.Number
    })
  ),
  /** For malformed messages: a keyed fingerprint and the size of the body, never the body. */
  bodyFingerprint: Schema.optionalKey(Schema.String),
  bodyBytes: Schema.optionalKey(Schema.Number),
  /** Epoch millis the key's date is taken from (see the module doc). */
  recordTime: Schema.Number,
  archivedAt: Schema.String
})
export type ArchivedFailure = typeof ArchivedFailure.Type

/** What an archive object's key says about it. */
export interface ArchiveKeyParts {
  readonly table: string
  readonly id: string
  /** `yyyy-mm-dd` */
  readonly date: string
}

const unsafe = /[^A-Za-z0-9._=-]/g

/**
 * Makes a key segment safe and bounded (no `/`, no spaces, at most 128 characters).
 *
 * @example
 * ```ts
 * keySegment("a/b c") // "a_b_c"
 * ```
 */
export const keySegment = (value: string): string => {
  const safe = value.replace(unsafe, "_").slice(0, 128)
  return safe.length === 0 || safe === "." || safe === ".." ? "_" : safe
}

const pad = (n: number) => String(n).padStart(2, "0")

/**
 * The object key of a failure.
 *
 * @example
 * ```ts
 * archiveKey({ id: "sqs-1", table: "_unknown", recordDate: 0 }) // "failed-events/_unknown/1970/01/01/sqs-1.json"
 * ```
 */
export const archiveKey = (input: { readonly id: string; readonly table: string; readonly recordDate: number }): string => {
  const date = new Date(input.recordDate)
  const day = `${date.getUTCFullYear()}/${pad(date.getUTCMonth() + 1)}/${pad(date.getUTCDate())}`
  return `${archivePrefix}${keySegment(input.table)}/${day}/${keySegment(input.id)}.json`
}

/** The key of an archived failure. */
export const keyOf = (failure: Pick<ArchivedFailure, "id" | "table" | "recordTime">): string =>
  archiveKey({ id: failure.id, table: failure.table, recordDate: failure.recordTime })

const keyPattern = /^failed-events\/([^/]+)\/(\d{4})\/(\d{2})\/(\d{2})\/([^/]+)\.json$/

/**
 * Reads table, date and id back from a key; `undefined` for keys outside the layout.
 *
 * @example
 * ```ts
 * parseArchiveKey("failed-events/users/2026/01/02/dl-1.json") // { table: "users", date: "2026-01-02", id: "dl-1" }
 * ```
 */
export const parseArchiveKey = (key: string): ArchiveKeyParts | undefined => {
  const match = keyPattern.exec(key)
  if (!match) return undefined
  const [, table, yyyy, mm, dd, id] = match as unknown as [string, string, string, string, string, string]
  return { table, id, date: `${yyyy}-${mm}-${dd}` }
}

/**
 * The id of a record of a discarded Kinesis batch: readable and deterministic.
 *
 * @example
 * ```ts
 * streamRecordId("shardId-000000000000", "4960") // "kinesis-shardId-000000000000-4960"
 * ```
 */
export const streamRecordId = (shardId: string, sequenceNumber: string): string => `kinesis-${shardId}-${sequenceNumber}`

/** The id of a malformed SQS message. */
export const malformedId = (messageId: string): string => `sqs-${messageId}`

/** Whether a failure can be re-injected into the stream: it has a record to fetch or decrypt. */
export const isRedrivable = (failure: ArchivedFailure): boolean =>
  failure.encryptedPayload !== undefined || (failure.coordinates.shardId !== undefined && failure.coordinates.sequenceNumber !== undefined)
