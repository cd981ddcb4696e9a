/**
 * The dead-letter message: what the processor sends to the DLQ (SQS) for every record it cannot
 * publish, and for every schema-drift notice. It is the contract between the processor and the
 * DLQ worker, so it is a Schema both sides decode with.
 *
 * It never holds a sensitive value in clear: the record is identified by its Kinesis coordinates
 * (it stays in the stream for the retention period and can be fetched again), `event` is the
 * already-redacted event when one was built, and a raw payload, if carried at all, is KMS
 * envelope-encrypted.
 *
 * @example
 * ```ts
 * const message = Schema.decodeUnknownSync(DeadLetterMessage)(JSON.parse(sqsRecord.body))
 * message.category // "poison"
 * ```
 */
import { errorCategories } from "@cdc/domain/Classified"
import * as Schema from "effect/Schema"

export const DeadLetterCoordinates = Schema.Struct({
  streamArn: Schema.optionalKey(Schema.String),
  shardId: Schema.optionalKey(Schema.String),
  sequenceNumber: Schema.optionalKey(Schema.String),
  partitionKey: Schema.optionalKey(Schema.String),
  /** Epoch millis at which Kinesis accepted the record. */
  arrivalTime: Schema.optionalKey(Schema.Number),
  table: Schema.optionalKey(Schema.String)
})
export type DeadLetterCoordinates = typeof DeadLetterCoordinates.Type

/** A raw payload encrypted with a KMS data key (AES-256-GCM); only present when configured. */
export const EncryptedPayload = Schema.Struct({
  keyId: Schema.String,
  encryptedDataKey: Schema.String,
  iv: Schema.String,
  authTag: Schema.String,
  ciphertext: Schema.String
})
export type EncryptedPayload = typeof EncryptedPayload.Type

export const DeadLetterMessage = Schema.Struct({
  /** Marks the processor's own messages, as opposed to the event source mapping's on-failure records. */
  kind: Schema.Literals(["cdc.dead-letter", "cdc.schema-drift"]),
  version: Schema.Literal(1),
  /** Deterministic: the same failed record always yields the same id (archive idempotency). */
  id: Schema.String,
  /** Short reason code, e.g. `invalid-json`, `unknown-table`, `oversized`, `publish-rejected`. */
  reason: Schema.String,
  category: Schema.Literals(errorCategories),
  /** The tag of the typed error, e.g. `DecodeError`. */
  errorTag: Schema.String,
  /** Operator-facing explanation; never a record value. */
  message: Schema.String,
  retryable: Schema.Boolean,
  coordinates: DeadLetterCoordinates,
  /** The deterministic event id, when the record got as far as becoming an event. */
  eventId: Schema.optionalKey(Schema.String),
  /** The already-redacted EventBridge entry (Source, DetailType, Detail, Time), when one was built. */
  event: Schema.optionalKey(
    Schema.Struct({ Source: Schema.String, DetailType: Schema.String, Detail: Schema.String, Time: Schema.String })
  ),
  /** Column names involved (schema drift, invalid values): names only, never values. */
  columns: Schema.optionalKey(Schema.Array(Schema.String)),
  attempts: Schema.Number,
  firstFailedAt: Schema.String,
  failedAt: Schema.String,
  encryptedPayload: Schema.optionalKey(EncryptedPayload)
})
export type DeadLetterMessage = typeof DeadLetterMessage.Type
