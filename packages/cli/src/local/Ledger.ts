/**
 * The headless run's accounting: every record the simulator wrote, by its Kinesis coordinates,
 * against what actually arrived downstream:
 *
 * - a published event on the tap queue: its deterministic `eventId` ends with the digest of the
 *   record's Kinesis identity (shard and sequence number, see `@cdc/domain/EventId`), so it names
 *   exactly one produced record;
 * - a dead letter on the DLQ: the processor's message (its `coordinates`) or the event source
 *   mapping's on-failure record (a sequence-number range of one shard);
 * - for records the pipeline is meant to drop (DDL control records), the event source mapping's
 *   position having moved past them (the processor acknowledged them).
 *
 * A record for which none of these happened is unaccounted for, and the run fails.
 *
 * @example
 * ```ts
 * const ledger = makeLedger()
 * ledger.produced(records, placed)
 * ledger.published("evt_1705314600123_2k3j…")
 * ledger.report(positions.snapshot()).unaccounted // 0 when everything arrived
 * ```
 */
import { identityDigest, kinesisIdentity } from "@cdc/domain/EventId"
import type { Expectation, SimulatedRecord } from "./ChangeSimulator"
import type { DlqMessage } from "./LiveStats"
import { compareSequenceNumbers } from "./PositionStore"
import type { PlacedRecord } from "./StreamWriter"

interface Entry {
  readonly shardId: string
  readonly sequenceNumber: string
  readonly expect: Expectation
  deadLettered: boolean
}

export interface LedgerReport {
  readonly produced: number
  readonly published: number
  readonly deadLettered: number
  readonly skipped: number
  readonly unaccounted: number
  /** Records that ended differently than the simulator meant (e.g. a malformed record published). */
  readonly unexpected: number
  /** Up to 5 sample coordinates of unaccounted records (no content), for the operator. */
  readonly unaccountedSample: ReadonlyArray<string>
}

export interface Ledger {
  readonly produced: (records: ReadonlyArray<SimulatedRecord>, placed: ReadonlyArray<PlacedRecord>) => void
  /** A published event arrived (by its `eventId`). */
  readonly published: (eventId: string) => void
  /** Produced records published so far (what the summary's `published` will say), kept as events arrive. */
  readonly publishedCount: () => number
  /** Reads a DLQ message body; marks the records it covers; returns what the statistics count of it. */
  readonly deadLettered: (body: string) => DlqMessage
  readonly report: (positions: Readonly<Record<string, string>>) => LedgerReport
  /** Records still held: produced and not yet published (a published one is only counted). */
  readonly held: () => number
}

const isRecord = (value: unknown): value is Record<string, unknown> => typeof value === "object" && value !== null

/**
 * The reason of a DLQ message of either kind, the sequence numbers it covers (a single one, or a
 * range on one shard), how many records it gives up, and whether it is a schema-drift notice.
 *
 * @example
 * ```ts
 * classifyDeadLetter('{"kind":"cdc.dead-letter","reason":"invalid-json","coordinates":{"shardId":"s-1","sequenceNumber":"1"}}')
 * // { reason: "invalid-json", record: "s-1:1", range: undefined, covers: true, records: 1, notice: false }
 * ```
 */
export const classifyDeadLetter = (body: string) => {
  const unreadable = { reason: "unreadable-message", record: undefined, range: undefined, covers: false, records: 0, notice: false }
  let message: unknown
  try {
    message = JSON.parse(body)
  } catch {
    return unreadable
  }
  if (!isRecord(message)) return unreadable
  const batch = message.KinesisBatchInfo
  if (
    isRecord(batch) &&
    typeof batch.shardId === "string" &&
    typeof batch.startSequenceNumber === "string" &&
    typeof batch.endSequenceNumber === "string"
  ) {
    const context = isRecord(message.requestContext) ? message.requestContext : {}
    const condition = typeof context.condition === "string" ? context.condition : "RetryAttemptsExhausted"
    return {
      reason: `esm-${condition.replace(/([a-z])([A-Z])/g, "$1-$2").toLowerCase()}`,
      record: undefined,
      range: { shardId: batch.shardId, start: batch.startSequenceNumber, end: batch.endSequenceNumber },
      covers: true,
      // sequence numbers are not contiguous: the batch's size is the only count of its records
      records: typeof batch.batchSize === "number" && batch.batchSize > 0 ? batch.batchSize : 1,
      notice: false
    }
  }
  const coordinates = isRecord(message.coordinates) ? message.coordinates : {}
  const covers = message.kind === "cdc.dead-letter"
  return {
    reason: typeof message.reason === "string" ? message.reason : "unknown",
    record:
      typeof coordinates.shardId === "string" && typeof coordinates.sequenceNumber === "string"
        ? `${coordinates.shardId}:${coordinates.sequenceNumber}`
        : undefined,
    range: undefined,
    // A schema-drift notice accompanies records that are still published: it does not account for one.
    covers,
    records: covers ? 1 : 0,
    notice: message.kind === "cdc.schema-drift"
  }
}

/** The identity part of an event id (`evt_<change time>_<identity digest>`). */
const digestOf = (eventId: string) => eventId.slice(eventId.lastIndexOf("_") + 1)

export const makeLedger = (): Ledger => {
  // Sequence numbers are unique per shard only: entries are keyed `<shardId>:<sequenceNumber>`.
  const entries = new Map<string, Entry>()
  const byDigest = new Map<string, Entry>()
  // A published record is settled (publishing wins over everything in the report) and leaves the
  // maps: an interactive run that goes on for days holds only what is still open, not every
  // record it ever produced (≈ 380 bytes each).
  let publishedCount = 0
  let unexpectedPublished = 0
  return {
    produced: (records, placed) => {
      records.forEach((record, index) => {
        const at = placed[index]
        if (!at) return
        const entry: Entry = { ...at, expect: record.expect, deadLettered: false }
        entries.set(`${at.shardId}:${at.sequenceNumber}`, entry)
        byDigest.set(identityDigest(kinesisIdentity(at.shardId, at.sequenceNumber)), entry)
      })
    },
    published: (eventId) => {
      const digest = digestOf(eventId)
      const entry = byDigest.get(digest)
      if (entry === undefined) return
      publishedCount += 1
      if (entry.expect === "reject") unexpectedPublished += 1
      byDigest.delete(digest)
      entries.delete(`${entry.shardId}:${entry.sequenceNumber}`)
    },
    publishedCount: () => publishedCount,
    deadLettered: (body) => {
      const { reason, record, range, covers, records, notice } = classifyDeadLetter(body)
      if (!covers) return { reason, records, notice }
      if (record !== undefined) {
        const entry = entries.get(record)
        if (entry) entry.deadLettered = true
      }
      if (range !== undefined) {
        for (const entry of entries.values()) {
          const within =
            entry.shardId === range.shardId &&
            compareSequenceNumbers(entry.sequenceNumber, range.start) >= 0 &&
            compareSequenceNumbers(entry.sequenceNumber, range.end) <= 0
          if (within) entry.deadLettered = true
        }
      }
      return { reason, records, notice }
    },
    report: (positions) => {
      let deadLettered = 0
      let skipped = 0
      let unexpected = unexpectedPublished
      const missing: Array<string> = []
      for (const [key, entry] of entries) {
        const position = positions[entry.shardId]
        const passed = position !== undefined && compareSequenceNumbers(entry.sequenceNumber, position) <= 0
        if (entry.deadLettered) deadLettered += 1
        else if (entry.expect === "skip" && passed) skipped += 1
        else {
          missing.push(key)
          continue
        }
        if (entry.expect === "publish") unexpected += 1
      }
      return {
        produced: entries.size + publishedCount,
        published: publishedCount,
        deadLettered,
        skipped,
        unaccounted: missing.length,
        unexpected,
        unaccountedSample: missing.slice(0, 5)
      }
    },
    held: () => entries.size
  }
}
