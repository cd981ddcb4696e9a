/**
 * What can arrive on the DLQ, told apart without trusting the body:
 *
 * 1. `DeadLetter`: the processor's own message ({@link DeadLetterMessage}, kinds
 *    `cdc.dead-letter` and `cdc.schema-drift`);
 * 2. `StreamFailure`: the Kinesis event source mapping's on-failure record, which names a shard
 *    and a sequence-number range but carries no data (the records are fetched from the stream);
 * 3. `Malformed`: anything else. It is identified by its SQS message id and a keyed fingerprint
 *    of its body (HMAC-SHA256 with the hash key: a bare SHA-256 of a short body, say a phone
 *    number, can be reversed by brute force), never by the body itself, which may hold anything.
 *
 * @example
 * ```ts
 * const input = classifyDelivery({ messageId: "m-1", body: sqsRecord.body }, fingerprint)
 * if (input._tag === "StreamFailure") input.record.KinesisBatchInfo.shardId
 * ```
 */
import * as Option from "effect/Option"
import * as Schema from "effect/Schema"
import { DeadLetterMessage } from "../DeadLetter"

/** One SQS message as the worker sees it (mapped from the Lambda `SQSRecord` at the edge). */
export interface DlqDelivery {
  readonly messageId: string
  readonly body: string
  /** Epoch millis at which SQS accepted the message (`attributes.SentTimestamp`), when known. */
  readonly sentTimestamp?: number | undefined
}

/**
 * The on-failure invocation record Lambda sends for a discarded Kinesis batch (AWS Lambda
 * developer guide, "Retain discarded batch records"). Only the fields the worker relies on are
 * required; the rest is kept when present.
 */
export const StreamFailureRecord = Schema.Struct({
  requestContext: Schema.optionalKey(
    Schema.Struct({
      requestId: Schema.optionalKey(Schema.String),
      functionArn: Schema.optionalKey(Schema.String),
      condition: Schema.optionalKey(Schema.String),
      approximateInvokeCount: Schema.optionalKey(Schema.Number)
    })
  ),
  version: Schema.optionalKey(Schema.String),
  timestamp: Schema.optionalKey(Schema.String),
  KinesisBatchInfo: Schema.Struct({
    shardId: Schema.String,
    startSequenceNumber: Schema.String.check(Schema.isPattern(/^\d+$/)),
    endSequenceNumber: Schema.String.check(Schema.isPattern(/^\d+$/)),
    approximateArrivalOfFirstRecord: Schema.optionalKey(Schema.String),
    approximateArrivalOfLastRecord: Schema.optionalKey(Schema.String),
    batchSize: Schema.Number,
    streamArn: Schema.String
  })
})
export type StreamFailureRecord = typeof StreamFailureRecord.Type

/** Why a message is malformed: not JSON at all, or JSON of no known shape. */
export type MalformedProblem = "not-json" | "unknown-shape"

export type DlqInput =
  | { readonly _tag: "DeadLetter"; readonly delivery: DlqDelivery; readonly message: DeadLetterMessage }
  | { readonly _tag: "StreamFailure"; readonly delivery: DlqDelivery; readonly record: StreamFailureRecord }
  | {
      readonly _tag: "Malformed"
      readonly delivery: DlqDelivery
      readonly problem: MalformedProblem
      /** {@link BodyFingerprint} of the body: lets an operator match two copies, reveals nothing. */
      readonly bodyFingerprint: string
      readonly bodyBytes: number
    }

/** A keyed, one-way fingerprint of a message body (see the module doc). */
export type BodyFingerprint = (body: string) => string

const decodeDeadLetter = Schema.decodeUnknownOption(DeadLetterMessage)
const decodeStreamFailure = Schema.decodeUnknownOption(StreamFailureRecord)

const parseJson = (text: string): Option.Option<unknown> => {
  try {
    return Option.some(JSON.parse(text))
  } catch {
    return Option.none()
  }
}

/**
 * Classifies one SQS message. Never throws; whatever does not decode is `Malformed`.
 *
 * @example
 * ```ts
 * classifyDelivery({ messageId: "m-1", body: "not json" }, fingerprint)._tag // "Malformed"
 * ```
 */
export const classifyDelivery = (delivery: DlqDelivery, fingerprint: BodyFingerprint): DlqInput => {
  const json = parseJson(delivery.body)
  if (Option.isSome(json)) {
    const deadLetter = decodeDeadLetter(json.value)
    if (Option.isSome(deadLetter)) return { _tag: "DeadLetter", delivery, message: deadLetter.value }
    const streamFailure = decodeStreamFailure(json.value)
    if (Option.isSome(streamFailure)) return { _tag: "StreamFailure", delivery, record: streamFailure.value }
  }
  return {
    _tag: "Malformed",
    delivery,
    problem: Option.isSome(json) ? "unknown-shape" : "not-json",
    bodyFingerprint: fingerprint(delivery.body),
    bodyBytes: Buffer.byteLength(delivery.body)
  }
}
