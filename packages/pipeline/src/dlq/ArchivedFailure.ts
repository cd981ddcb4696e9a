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
import { createHash } from "node:crypto"
import * as Schema from "effect/Schema"
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
  /** The table as named (its key segment read back, see {@link segmentName}). */
  readonly table: string
  readonly id: string
  /** `yyyy-mm-dd` */
  readonly date: string
}

const unsafe = /[^A-Za-z0-9._=-]/gu
const maxSegment = 128

/** `~` and the UTF-8 bytes of a character in upper-case hex: `/` is `~2F`. */
const escapeCharacter = (character: string): string =>
  [...Buffer.from(character, "utf8")].map((byte) => `~${byte.toString(16).toUpperCase().padStart(2, "0")}`).join("")

/**
 * Makes a key segment safe and bounded (no `/`, no spaces, at most 128 characters) without
 * merging two names into one: every other character is escaped as `~` and its UTF-8 bytes in
 * hex, so `a/b`, `a_b` and `a b` stay three tables, and `用户` and `订单` two. A name that escapes
 * to more than 128 characters keeps its first 110 and `~~` and 16 hex characters of its SHA-256.
 *
 * @example
 * ```ts
 * keySegment("a/b c") // "a~2Fb~20c"
 * keySegment("users") // "users"
 * ```
 */
export const keySegment = (value: string): string => {
  if (value === "") return "~"
  if (value === "." || value === "..") return value.replaceAll(".", "~2E")
  const escaped = value.replace(unsafe, escapeCharacter)
  if (escaped.length <= maxSegment) return escaped
  return `${escaped.slice(0, maxSegment - 18)}~~${createHash("sha256").update(value).digest("hex").slice(0, 16)}`
}

/**
 * The name a key segment was made from, for display; a shortened segment stays as it is.
 *
 * @example
 * ```ts
 * segmentName("a~2Fb~20c") // "a/b c"
 * ```
 */
export const segmentName = (segment: string): string => {
  if (segment === "~") return ""
  if (segment.includes("~~")) return segment
  return segment.replace(/(?:~[0-9A-F]{2})+/gu, (run) => Buffer.from(run.replaceAll("~", ""), "hex").toString("utf8"))
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
  return { table: segmentName(table), id, date: `${yyyy}-${mm}-${dd}` }
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
