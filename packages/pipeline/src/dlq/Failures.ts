/**
 * Turns each kind of DLQ input into {@link ArchivedFailure}s, the one archived form:
 *
 * - a processor dead letter becomes one failure, copied field by field (it is already free of
 *   values: coordinates, typed reason, redacted event, encrypted payload);
 * - each record of a discarded Kinesis batch, fetched back from the stream, goes through the same
 *   record path as the processor, giving the typed reason (rejected) or the redacted event (a
 *   record that was fine but whose batch ran out of retries); records already past the stream's
 *   retention become one `records-expired` failure for the batch, saying how many are gone;
 * - a malformed message becomes a failure with its SQS id, a keyed fingerprint and its size.
 *
 * @example
 * ```ts
 * const failure = fromDeadLetter(input, "2026-01-02T03:04:05.000Z")
 * ```
 */
import type { RecordCoordinates } from "@cdc/domain/Classified"
import type { RecordOutcome } from "@cdc/domain/RecordPath"
import type { DeadLetterCoordinates } from "../DeadLetter"
import { type ArchivedFailure, malformedId, streamRecordId, unknownTable } from "./ArchivedFailure"
import type { DlqInput } from "./DlqInput"
import type { StreamRecord } from "./RecordFetcher"

type Input<Tag extends DlqInput["_tag"]> = Extract<DlqInput, { _tag: Tag }>

const deliveryOf = (input: DlqInput): ArchivedFailure["delivery"] =>
  input.delivery.sentTimestamp === undefined
    ? { messageId: input.delivery.messageId }
    : { messageId: input.delivery.messageId, sentAt: new Date(input.delivery.sentTimestamp).toISOString() }

/** `A` with its possibly-undefined fields turned into optional keys. */
type Defined<A> = { [K in keyof A as undefined extends A[K] ? never : K]: A[K] } & {
  [K in keyof A as undefined extends A[K] ? K : never]?: Exclude<A[K], undefined>
}

/** Drops undefined fields (the archive schema uses exact optional keys). */
const defined = <A extends object>(value: A): Defined<A> =>
  Object.fromEntries(Object.entries(value).filter(([, field]) => field !== undefined)) as Defined<A>

/** Coordinates without anything but the documented fields (a producer may add more). */
const coordinatesOf = (coordinates: RecordCoordinates): DeadLetterCoordinates =>
  defined({
    streamArn: coordinates.streamArn,
    shardId: coordinates.shardId,
    sequenceNumber: coordinates.sequenceNumber,
    partitionKey: coordinates.partitionKey,
    arrivalTime: coordinates.arrivalTime,
    table: coordinates.table
  })

const timeOr = (iso: string, fallback: number): number => {
  const parsed = Date.parse(iso)
  return Number.isNaN(parsed) ? fallback : parsed
}

/**
 * The processor's dead letter, archived as is. Its date is the record's arrival time, else the
 * first failure.
 *
 * @example
 * ```ts
 * fromDeadLetter(input, archivedAt).id === input.message.id // true
 * ```
 */
export const fromDeadLetter = (input: Input<"DeadLetter">, archivedAt: string): ArchivedFailure => {
  const message = input.message
  return defined({
    version: 1 as const,
    id: message.id,
    kind: message.kind,
    table: message.coordinates.table ?? unknownTable,
    category: message.category,
    code: message.reason,
    errorTag: message.errorTag,
    message: message.message,
    retryable: message.retryable,
    coordinates: coordinatesOf(message.coordinates),
    eventId: message.eventId,
    event: message.event,
    columns: message.columns,
    attempts: message.attempts,
    firstFailedAt: message.firstFailedAt,
    failedAt: message.failedAt,
    encryptedPayload: message.encryptedPayload,
    delivery: deliveryOf(input),
    recordTime: message.coordinates.arrivalTime ?? timeOr(message.firstFailedAt, Date.parse(archivedAt)),
    archivedAt
  })
}

/** The event source mapping's context of a discarded batch, as archived with its failures. */
const batchOf = (input: Input<"StreamFailure">): NonNullable<ArchivedFailure["batch"]> => {
  const info = input.record.KinesisBatchInfo
  const context = input.record.requestContext
  return defined({
    requestId: context?.requestId,
    condition: context?.condition,
    approximateInvokeCount: context?.approximateInvokeCount,
    startSequenceNumber: info.startSequenceNumber,
    endSequenceNumber: info.endSequenceNumber,
    batchSize: info.batchSize
  })
}

const kebab = (value: string): string =>
  value
    .replace(/([a-z0-9])([A-Z])/g, "$1-$2")
    .replace(/[^A-Za-z0-9]+/g, "-")
    .toLowerCase()
    .replace(/^-|-$/g, "")

/** The column names an error names (never values). */
const columnsOf = (error: object): ReadonlyArray<string> | undefined => {
  const { column, columns } = error as { column?: unknown; columns?: unknown }
  if (Array.isArray(columns) && columns.every((name) => typeof name === "string")) return columns
  return typeof column === "string" ? [column] : undefined
}

/**
 * The code's prefix of a discarded batch's record the processor does not publish
 * (`skipped-control-record`, `skipped-operation-not-published`): archived so the batch's every
 * record is accounted for, never put back by a redrive.
 */
export const skippedCodePrefix = "skipped-"

/**
 * One record of a discarded Kinesis batch, after the record path. A rejected record keeps the
 * typed reason; a record the path would publish was discarded for the batch's sake (the
 * condition, e.g. `RetryAttemptsExhausted`, becomes the code) and keeps its redacted event.
 *
 * @example
 * ```ts
 * fromStreamRecord(input, record, recordPath.fromKinesis(toLambdaRecord(record), now), archivedAt).code // "invalid-json"
 * ```
 */
export const fromStreamRecord = (
  input: Input<"StreamFailure">,
  record: StreamRecord,
  outcome: RecordOutcome,
  archivedAt: string
): ArchivedFailure => {
  const context = input.record.requestContext
  const coordinates = {
    streamArn: record.streamArn,
    shardId: record.shardId,
    sequenceNumber: record.sequenceNumber,
    partitionKey: record.partitionKey,
    arrivalTime: record.arrivalTime
  }
  const condition = kebab(context?.condition ?? "batch-discarded") || "batch-discarded"
  const base = {
    version: 1 as const,
    id: streamRecordId(record.shardId, record.sequenceNumber),
    kind: "kinesis.on-failure" as const,
    attempts: context?.approximateInvokeCount,
    failedAt: input.record.timestamp,
    delivery: deliveryOf(input),
    batch: batchOf(input),
    recordTime: record.arrivalTime,
    archivedAt
  }
  switch (outcome._tag) {
    case "Reject": {
      const error = outcome.error
      const table = error.coordinates.table ?? ("table" in error ? error.table : undefined)
      return defined({
        ...base,
        table: table ?? unknownTable,
        category: error.category,
        code: error.code,
        errorTag: error._tag,
        message: error.message,
        retryable: error.retryable,
        coordinates: coordinatesOf({ ...coordinates, table }),
        columns: columnsOf(error)
      })
    }
    case "Publish": {
      const { EventBusName: _bus, ...event } = outcome.entry
      return defined({
        ...base,
        table: outcome.table,
        category: "transient" as const,
        code: condition,
        errorTag: "BatchDiscarded",
        message: `Record ${record.shardId}/${record.sequenceNumber} was valid but its batch was discarded by the event source mapping (${context?.condition ?? "no condition given"})`,
        retryable: true,
        coordinates: coordinatesOf({ ...coordinates, table: outcome.table }),
        eventId: outcome.eventId,
        event,
        columns: outcome.withheldColumns.length > 0 ? outcome.withheldColumns : undefined
      })
    }
    case "Skip":
      return defined({
        ...base,
        table: outcome.table ?? unknownTable,
        category: "permanent" as const,
        code: `${skippedCodePrefix}${outcome.reason}`,
        errorTag: "BatchDiscarded",
        message: `Record ${record.shardId}/${record.sequenceNumber} was in a discarded batch but is not published (${outcome.reason})`,
        retryable: false,
        coordinates: coordinatesOf({ ...coordinates, table: outcome.table })
      })
  }
}

/**
 * The id of the failure that records the expired records of a discarded batch: its shard and
 * first sequence number, then `expired` (none left) or `partly-expired` (some left). Sequence
 * numbers are digits, so no record's `kinesis-<shard>-<sequence>` ends like this, and the two
 * markers differ: the loss never lands on a record's key, nor the partial loss on the total one.
 * The count of missing records is left out because it grows as retention passes, and a redelivered
 * message must land on the same key. The range's end is left out too, to keep the id well under
 * the 128 characters of a key segment, where truncation would cut the marker.
 *
 * @example
 * ```ts
 * expiredRecordsId("shardId-000000000000", "4960", "all") // "kinesis-shardId-000000000000-4960-expired"
 * ```
 */
export const expiredRecordsId = (shardId: string, startSequenceNumber: string, lost: "all" | "some"): string =>
  `kinesis-${shardId}-${startSequenceNumber}-${lost === "all" ? "expired" : "partly-expired"}`

/**
 * The loss of `missing` records of a discarded batch, past the stream's retention when the worker
 * read it back: one failure for the batch (which records are gone is unknown, only how many), so
 * the loss is on record and alerted. Its date is the batch's first arrival, as the missing records
 * are the oldest.
 */
const expiredRecords = (input: Input<"StreamFailure">, missing: number, archivedAt: string): ArchivedFailure => {
  const info = input.record.KinesisBatchInfo
  const first = info.approximateArrivalOfFirstRecord
  const all = missing >= info.batchSize
  const batch = `the discarded batch ${info.shardId}/${info.startSequenceNumber}..${info.endSequenceNumber}`
  return {
    version: 1,
    id: expiredRecordsId(info.shardId, info.startSequenceNumber, all ? "all" : "some"),
    kind: "kinesis.on-failure",
    table: unknownTable,
    category: "permanent",
    code: "records-expired",
    errorTag: "RecordsExpired",
    message: all
      ? `None of the ${info.batchSize} records of ${batch} is still in the stream`
      : `${missing} of the ${info.batchSize} records of ${batch} are no longer in the stream; the ${info.batchSize - missing} left are archived one by one`,
    retryable: false,
    coordinates: { streamArn: info.streamArn, shardId: info.shardId, sequenceNumber: info.startSequenceNumber },
    delivery: deliveryOf(input),
    batch: batchOf(input),
    recordTime: first === undefined ? Date.parse(archivedAt) : timeOr(first, Date.parse(archivedAt)),
    archivedAt
  }
}

/**
 * A discarded batch none of whose records is left in the stream (retention has passed).
 *
 * @example
 * ```ts
 * expiredBatch(input, archivedAt).id // "kinesis-<shard>-<first sequence>-expired"
 * ```
 */
export const expiredBatch = (input: Input<"StreamFailure">, archivedAt: string): ArchivedFailure =>
  expiredRecords(input, input.record.KinesisBatchInfo.batchSize, archivedAt)

/**
 * A discarded batch only `found` of whose records are left in the stream: the failure recording
 * the others (the ones found are archived one by one beside it).
 *
 * @example
 * ```ts
 * partlyExpiredBatch(input, 2, archivedAt).id // "kinesis-<shard>-<first sequence>-partly-expired"
 * ```
 */
export const partlyExpiredBatch = (input: Input<"StreamFailure">, found: number, archivedAt: string): ArchivedFailure =>
  expiredRecords(input, input.record.KinesisBatchInfo.batchSize - found, archivedAt)

/**
 * A message that is neither a dead letter nor an on-failure record. Its date is the SQS send time.
 *
 * @example
 * ```ts
 * malformed(input, archivedAt).id // "sqs-<message id>"
 * ```
 */
export const malformed = (input: Input<"Malformed">, archivedAt: string): ArchivedFailure => ({
  version: 1,
  id: malformedId(input.delivery.messageId),
  kind: "malformed",
  table: unknownTable,
  category: "poison",
  code: "malformed-message",
  errorTag: "MalformedDlqMessage",
  message: `DLQ message ${input.delivery.messageId} is not a dead letter nor an on-failure record (${input.problem}, ${input.bodyBytes} bytes)`,
  retryable: false,
  coordinates: {},
  delivery: deliveryOf(input),
  bodyFingerprint: input.bodyFingerprint,
  bodyBytes: input.bodyBytes,
  recordTime: input.delivery.sentTimestamp ?? Date.parse(archivedAt),
  archivedAt
})
