/**
 * What the DLQ worker needs from the domain: the processor's record path (to turn a record
 * fetched back from Kinesis into the same typed reason or redacted event the processor would
 * have produced) and a keyed fingerprint for bodies that must not be archived.
 *
 * {@link DlqRecordPath.layerConfig} builds it from the same configuration as the processor
 * (`CDC_HASH_KEY`, `CDC_TOKENIZE_KEY`, `CDC_SOURCE_PREFIX`, `CDC_EVENT_BUS_NAME`), read once.
 *
 * @example
 * ```ts
 * const { outcomeOf } = yield* DlqRecordPath
 * const outcome = outcomeOf(record, now)
 * ```
 */
import { createHmac } from "node:crypto"
import { makeRecordPath, type RecordOutcome, type RecordPath } from "@cdc/domain/RecordPath"
import { type RedactionKeys, redactionKeysConfig } from "@cdc/domain/RedactionKeys"
import type { KinesisStreamRecord } from "aws-lambda"
import * as Config from "effect/Config"
import * as Context from "effect/Context"
import * as Effect from "effect/Effect"
import * as Layer from "effect/Layer"
import * as Redacted from "effect/Redacted"
import { eventBusNameConfig, sourcePrefixConfig, warnOnWeakKeys } from "../RecordPath"
import type { BodyFingerprint } from "./DlqInput"
import type { StreamRecord } from "./RecordFetcher"

/**
 * A fetched record in the shape Lambda hands to the processor, so both take the same path.
 *
 * @example
 * ```ts
 * toLambdaRecord(record).eventID // "shardId-000000000000:4960…"
 * ```
 */
export const toLambdaRecord = (record: StreamRecord): KinesisStreamRecord => ({
  kinesis: {
    kinesisSchemaVersion: "1.0",
    partitionKey: record.partitionKey,
    sequenceNumber: record.sequenceNumber,
    data: Buffer.from(record.data).toString("base64"),
    approximateArrivalTimestamp: record.arrivalTime / 1000
  },
  eventSource: "aws:kinesis",
  eventVersion: "1.0",
  eventID: `${record.shardId}:${record.sequenceNumber}`,
  eventName: "aws:kinesis:record",
  invokeIdentityArn: "",
  awsRegion: record.streamArn.split(":")[3] ?? "",
  eventSourceARN: record.streamArn
})

/**
 * HMAC-SHA256 of a body with the hash key, 32 hex characters.
 *
 * @example
 * ```ts
 * keyedFingerprint(keys)("{}") // "5f1c…" (32 hex characters, the same for the same body and key)
 * ```
 */
export const keyedFingerprint =
  (keys: RedactionKeys): BodyFingerprint =>
  (body) =>
    createHmac("sha256", Redacted.value(keys.hashKey)).update(body).digest("hex").slice(0, 32)

export class DlqRecordPath extends Context.Service<
  DlqRecordPath,
  {
    readonly outcomeOf: (record: StreamRecord, processedAtMillis: number) => RecordOutcome
    readonly fingerprint: BodyFingerprint
  }
>()("@cdc/pipeline/dlq/DlqRecordPath") {
  /** From an already-built record path (tests, the local runner). */
  static readonly make = (recordPath: RecordPath, keys: RedactionKeys) =>
    DlqRecordPath.of({
      outcomeOf: (record, processedAtMillis) => recordPath.fromKinesis(toLambdaRecord(record), processedAtMillis),
      fingerprint: keyedFingerprint(keys)
    })

  static readonly layer = (recordPath: RecordPath, keys: RedactionKeys) =>
    Layer.succeed(DlqRecordPath, DlqRecordPath.make(recordPath, keys))

  /** The processor's configuration, read once. */
  static readonly layerConfig = Layer.effect(
    DlqRecordPath,
    Effect.gen(function* () {
      const keys = yield* redactionKeysConfig
      yield* warnOnWeakKeys(keys)
      const sourcePrefix = yield* sourcePrefixConfig
      // the worker never publishes: the bus name only fills the entry's EventBusName, which is not archived
      const eventBusName = yield* eventBusNameConfig.pipe(Config.withDefault("default"))
      return DlqRecordPath.make(makeRecordPath({ keys, sourcePrefix, eventBusName }), keys)
    })
  )
}
