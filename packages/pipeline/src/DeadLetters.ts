/**
 * Building {@link DeadLetterMessage}s and publishing them through the {@link DeadLetterQueue}.
 *
 * Ids are deterministic (SHA-256 of the record's coordinates and the reason), so a retried
 * batch that dead-letters the same record again yields the same id and the DLQ worker archives
 * it once. Coordinates are public (they locate the record in Kinesis, whose content stays there
 * for the retention period); messages and error texts never hold a record value; `event` is the
 * already-redacted entry.
 *
 * @example
 * ```ts
 * const message = deadLetter({ error, coordinates, at: "2024-01-15T10:30:00.000Z" })
 * const outcomes = yield* publishDeadLetters([message])
 * ```
 */
import { createHash } from "node:crypto"
import type { Classified, RecordCoordinates } from "@cdc/domain/Classified"
import * as Effect from "effect/Effect"
import { packBatches } from "./Batches"
import { clipped, maxMessageLength, maxNameLength } from "./Clipped"
import type { DeadLetterCoordinates, DeadLetterMessage } from "./DeadLetter"
import { DeadLetterQueue, maxBatchBytes, maxMessagesPerBatch, messageBytes } from "./DeadLetterQueue"
import type { EventEntry } from "./EventBus"
import { type ItemOutcome, sendPartial } from "./PartialBatch"
import type { RetryPolicies } from "./RetryPolicy"

/**
 * The deterministic id of a dead letter.
 *
 * @example
 * ```ts
 * deadLetterId(["stream-arn", "shardId-0", "4960", "invalid-json"]) // "dl_5c0f…" (32 hex chars)
 * ```
 */
export const deadLetterId = (parts: ReadonlyArray<string | undefined>): string =>
  `dl_${createHash("sha256")
    .update(parts.map((part) => part ?? "").join("\u0000"))
    .digest("hex")
    .slice(0, 32)}`

/** Drops absent fields (the Schema's keys are optional, not undefined-valued). */
const coordinatesOf = (c: RecordCoordinates): DeadLetterCoordinates =>
  Object.fromEntries(Object.entries(c).filter(([, value]) => value !== undefined)) as DeadLetterCoordinates

export interface DeadLetterInput {
  readonly error: Classified
  readonly coordinates: RecordCoordinates
  /** ISO time of this failure. */
  readonly at: string
  readonly firstFailedAt?: string | undefined
  readonly attempts?: number | undefined
  readonly eventId?: string | undefined
  readonly event?: EventEntry | undefined
  readonly columns?: ReadonlyArray<string> | undefined
}

/**
 * The dead letter of one record.
 *
 * @example
 * ```ts
 * deadLetter({ error: decodeError, coordinates: { shardId, sequenceNumber }, at }).reason // "invalid-json"
 * ```
 */
export const deadLetter = (input: DeadLetterInput): DeadLetterMessage => {
  const c = input.coordinates
  return {
    kind: "cdc.dead-letter",
    version: 1,
    id: deadLetterId([c.streamArn, c.shardId, c.sequenceNumber, input.error.code]),
    reason: input.error.code,
    category: input.error.category,
    errorTag: input.error._tag,
    message: input.error.message,
    retryable: input.error.retryable,
    coordinates: coordinatesOf(c),
    ...(input.eventId === undefined ? {} : { eventId: input.eventId }),
    ...(input.event === undefined
      ? {}
      : { event: { Source: input.event.Source, DetailType: input.event.DetailType, Detail: input.event.Detail, Time: input.event.Time } }),
    ...(input.columns === undefined ? {} : { columns: [...input.columns] }),
    attempts: input.attempts ?? 1,
    firstFailedAt: input.firstFailedAt ?? input.at,
    failedAt: input.at
  }
}

export interface SchemaDriftInput {
  readonly table: string
  /** Column names only. */
  readonly columns: ReadonlyArray<string>
  /** `undeclared-columns`, or `ddl-<operation>` for a DDL control record. */
  readonly reason: string
  /** The first record of the batch that showed it. */
  readonly coordinates: RecordCoordinates
  readonly at: string
}

/**
 * A schema-drift notice: the record itself was handled (published without the withheld columns,
 * or a DDL control record skipped); this message is for the DLQ worker to alert on.
 */
export const schemaDriftNotice = (input: SchemaDriftInput): DeadLetterMessage => {
  const c = input.coordinates
  const columns = [...input.columns].sort()
  return {
    kind: "cdc.schema-drift",
    version: 1,
    id: deadLetterId([c.streamArn, c.shardId, c.sequenceNumber, input.reason, input.table, ...columns]),
    reason: input.reason,
    category: "schema-drift",
    errorTag: "SchemaDrift",
    message:
      input.reason === "undeclared-columns"
        ? `table ${input.table} has ${columns.length} undeclared column(s), withheld from events: ${columns.join(", ")}`
        : `table ${input.table} received a DDL control record (${input.reason.replace(/^ddl-/, "")}) on column(s): ${columns.join(", ") || "(none)"}`,
    retryable: false,
    coordinates: coordinatesOf({ ...c, table: input.table }),
    columns,
    attempts: 1,
    firstFailedAt: input.at,
    failedAt: input.at
  }
}

const bytes = messageBytes

/**
 * A message too large for SQS loses its `event` copy (the record stays fetchable by its
 * coordinates). One still too large holds text the record decided, an unknown table's name or
 * thousands of undeclared column names (a Kinesis record takes up to 1 MiB): that text is
 * clipped, so that every dead letter can be stored and none holds its shard back for good.
 */
const fitting = (message: DeadLetterMessage): DeadLetterMessage => {
  if (bytes(message) <= maxBatchBytes) return message
  const { event: _dropped, ...rest } = message
  return bytes(rest) <= maxBatchBytes ? rest : bounded(rest)
}

/** With names of at most 256 characters (≤ 1.6 KB each as escaped JSON): far below 256 KiB. */
const maxColumns = 100

const bounded = (message: DeadLetterMessage): DeadLetterMessage => {
  const { table, partitionKey } = message.coordinates
  return {
    ...message,
    message: clipped(message.message, maxMessageLength),
    coordinates: {
      ...message.coordinates,
      ...(table === undefined ? {} : { table: clipped(table, maxNameLength) }),
      ...(partitionKey === undefined ? {} : { partitionKey: clipped(partitionKey, maxNameLength) })
    },
    ...(message.columns === undefined ? {} : { columns: message.columns.slice(0, maxColumns).map((c) => clipped(c, maxNameLength)) })
  }
}

const batches = (messages: ReadonlyArray<DeadLetterMessage>): ReadonlyArray<ReadonlyArray<number>> =>
  packBatches(
    messages.map((_, index) => index),
    { maxItems: maxMessagesPerBatch, maxBytes: maxBatchBytes, sizeOf: (index) => bytes(messages[index]!) }
  )

/**
 * Sends messages in SQS-sized batches, retrying refused ones by the `dlq-send` policy. The
 * outcome of each message is returned in order; a message that is not `Done` was not stored and
 * its record must not be checkpointed.
 *
 * With `untilFirstFailure` (messages of records in sequence order, where the first one not stored
 * stops the shard), no batch is sent after one that left a message unstored: the later messages
 * would be sent again on the retry anyway, and each batch against a failing queue costs its
 * retries' time. Those messages have no outcome (the array is shorter): not stored.
 *
 * @example
 * ```ts
 * const outcomes = yield* publishDeadLetters(messages, { untilFirstFailure: true })
 * const stored = messages.filter((_, i) => outcomes[i]?._tag === "Done")
 * ```
 */
export const publishDeadLetters = (
  messages: ReadonlyArray<DeadLetterMessage>,
  options: { readonly untilFirstFailure?: boolean } = {}
): Effect.Effect<ReadonlyArray<ItemOutcome>, never, DeadLetterQueue | RetryPolicies> =>
  Effect.gen(function* () {
    const dlq = yield* DeadLetterQueue
    const sized = messages.map(fitting)
    const outcomes: Array<ItemOutcome> = []
    for (const batch of batches(sized)) {
      const results = yield* sendPartial(
        "dlq-send",
        batch.map((index) => sized[index] as DeadLetterMessage),
        (part) => dlq.sendBatch(part)
      )
      outcomes.push(...results)
      if (options.untilFirstFailure && results.some((outcome) => outcome._tag !== "Done")) break
    }
    return outcomes
  })
