/**
 * The redrive: after a fix (a table definition, a configuration), archived failures are put back
 * into the Kinesis stream from their raw record, fetched by coordinates, and each archived object
 * is marked as redriven. Marked objects are skipped, so running it twice re-injects nothing twice.
 * If a run stops between the put and the mark, the next run puts that record again: the redrive
 * is at least once, like the pipeline.
 *
 * What a consumer relies on survives it:
 * - **ids**: a record is written as a `RedrivenRecord` (`@cdc/domain/RedrivenRecord`), the original record
 *   under its first stream position, so its events keep the ids they had (or would have had) the
 *   first time, and a record published before its batch was given up is deduplicated. The
 *   original goes in as written, not in base64, so a record close to Kinesis's size limit fits;
 * - **per-entity order**: records are put in their original stream order, one after another per
 *   partition key (keys in parallel), and a key stops at its first failed put;
 * - **once per record**: two archive objects of one record (a dead letter and a discarded batch
 *   both naming it) put it once; the other is reported as a `duplicate` and marked too;
 * - **no entity overtaken by a lookup failure**: when a failure's record cannot be read back (the
 *   stream call failed), no record of its partition key is put in that run, whatever table it
 *   was archived under (a record of no known shape is archived under `_unknown`, yet shares its
 *   entity's key); when its archived object cannot be read, its key is unknown too, so no record
 *   of its table is put, nor any `_unknown` one (and, for an `_unknown` failure, none at all).
 *
 * Not redriven, and reported: malformed messages (no record), records whose bytes are not a JSON
 * object (no fix makes them pass), schema-drift notices (their record
 * was published; the notice only alerts), records past the stream's retention (`unavailable`),
 * failures carrying only a KMS-encrypted payload (decryption is not implemented here), and
 * objects of the archive that are no failure or are gone since the listing.
 *
 * @example
 * ```ts
 * const report = yield* redrive(entries, { dryRun: false })
 * report.counts // { redriven: 3, "already-redriven": 1, unavailable: 0, ... }
 * ```
 */
import type { Classified } from "@cdc/domain/Classified"
import { redrivenRecordBytes, redriveOriginOf } from "@cdc/domain/RedrivenRecord"
import * as Clock from "effect/Clock"
import * as Effect from "effect/Effect"
import * as Result from "effect/Result"
import { retrying } from "../RetryPolicy"
import { Archive, type ArchiveEntry, ArchiveObjectError } from "./Archive"
import { unknownTable } from "./ArchivedFailure"
import type { OnProgress } from "./ArchiveQuery"
import { skippedCodePrefix } from "./Failures"
import { compareSequenceNumbers, RecordFetcher, type StreamRecord } from "./RecordFetcher"
import { RecordInjector } from "./RecordInjector"

export type RedriveStatus =
  | "redriven"
  | "would-redrive"
  | "already-redriven"
  | "duplicate"
  | "skipped"
  | "not-redrivable"
  | "unavailable"
  | "failed"

export interface RedriveItem {
  readonly key: string
  readonly table: string
  readonly code: string | undefined
  readonly status: RedriveStatus
  /** The new position in the stream (redriven): its shard, and its sequence number there. */
  readonly shardId?: string
  readonly sequenceNumber?: string
  /** Why not (skipped, not-redrivable, unavailable, failed): a code, never a value. */
  readonly reason?: string
  /** For a duplicate: the key of the object whose record was (or would be) put instead. */
  readonly duplicateOf?: string
  /** Redriven, but the object could not be marked: a next run puts the record again (same ids). */
  readonly notMarked?: string
}

export interface RedriveReport {
  readonly stream: string
  readonly dryRun: boolean
  readonly counts: Readonly<Record<RedriveStatus, number>>
  readonly items: ReadonlyArray<RedriveItem>
}

/** Statuses that mean a matching failure was not put back, for good (no later run can). */
export const permanentStatuses: ReadonlyArray<RedriveStatus> = ["unavailable", "not-redrivable"]

/**
 * Whether a report leaves work a next run can do (the CLI exits 1): a failure not put back for a
 * reason that may pass (`failed`), or one put back but not marked. Failures that can never be put
 * back ({@link permanentStatuses}) are reported, not counted: they would make every later run
 * fail, and a script could no longer tell a run to repeat from one that did all it could.
 */
export const isIncomplete = (report: RedriveReport): boolean =>
  report.items.some((item) => item.status === "failed" || item.notMarked !== undefined)

const concurrency = 4

/** An entry whose record was fetched: what is put, in stream order. */
interface Fetched {
  readonly entry: ArchiveEntry
  readonly record: StreamRecord
  /** Where the record was first written: its own position, or the one a redriven record carries. */
  readonly origin: { readonly shardId: string; readonly sequenceNumber: string }
}

const itemOf = (entry: ArchiveEntry) => ({ key: entry.key, table: entry.table, code: entry.code })

/** An entry whose record could not be looked up, with what is known of its entity. */
interface Unresolved {
  readonly unresolved: RedriveItem
  /** From the archived failure's coordinates; unknown when the archived object itself could not be read. */
  readonly partitionKey: string | undefined
}

const failedItem = (entry: ArchiveEntry, error: Classified): RedriveItem => ({ ...itemOf(entry), status: "failed", reason: error.code })

/**
 * Failures of the record's bytes themselves, whatever the pipeline's code or configuration: not
 * JSON, or JSON that is no object. Put back, such a record could only fail again, as a new failure.
 */
const unfixableCodes: ReadonlySet<string> = new Set(["invalid-json", "not-an-object"])

/** Resolves one entry: a final item, its fetched record, or what is known of it when a lookup failed. */
const resolve = Effect.fnUntraced(function* (entry: ArchiveEntry) {
  const item = itemOf(entry)
  if (entry.redrivenAt !== undefined) return { ...item, status: "already-redriven" as const }
  if (entry.kind === "malformed") return { ...item, status: "not-redrivable" as const, reason: "malformed-message" }
  if (entry.kind === "cdc.schema-drift") return { ...item, status: "skipped" as const, reason: "schema-drift-notice" }
  // a record of a discarded batch the processor does not publish (a DDL control record, an
  // operation its table does not publish): put back, it would publish nothing, and a DDL would
  // raise its schema-drift alert again
  if (entry.code?.startsWith(skippedCodePrefix)) return { ...item, status: "skipped" as const, reason: "not-published" }
  // a loss on record: its coordinates name where the lost records began, not a record to fetch
  if (entry.code === "records-expired") return { ...item, status: "unavailable" as const, reason: "record-expired" }
  if (entry.code !== undefined && unfixableCodes.has(entry.code))
    return { ...item, status: "not-redrivable" as const, reason: "malformed-record" }
  const read = yield* Effect.result(retrying("dlq-send", (yield* Archive).get(entry.key)))
  if (Result.isFailure(read)) {
    // an object that is no failure (a stray file), or gone since the listing, names no record:
    // nothing to put, and nothing to hold the others for
    if (read.failure instanceof ArchiveObjectError) return { ...item, status: "not-redrivable" as const, reason: read.failure.code }
    return { unresolved: failedItem(entry, read.failure), partitionKey: undefined } satisfies Unresolved
  }
  const failure = read.success
  const { shardId, sequenceNumber, streamArn } = failure.coordinates
  if (shardId === undefined || sequenceNumber === undefined) {
    const reason = failure.encryptedPayload === undefined ? "no-coordinates" : "encrypted-payload-only"
    return { ...item, status: "not-redrivable" as const, reason }
  }
  const lookup = yield* Effect.result((yield* RecordFetcher).fetchOne({ streamArn, shardId, sequenceNumber }))
  if (Result.isFailure(lookup))
    return { unresolved: failedItem(entry, lookup.failure), partitionKey: failure.coordinates.partitionKey } satisfies Unresolved
  const record = lookup.success
  if (record === undefined) return { ...item, status: "unavailable" as const, reason: "record-expired" }
  const fetched: Fetched = { entry, record, origin: redriveOriginOf(record.data) ?? record }
  return fetched
})

/**
 * Original stream order: by first sequence number within a first shard (a record that failed
 * again after a redrive keeps its first place), else by first shard: a key's shards succeed each
 * other with growing ids (a reshard's children get new, higher ids, written fixed-width). Arrival
 * times are not compared: a redriven copy's is the redrive's, and two shards' clocks may disagree
 * by a little at a reshard, which mixed with the shard order made no consistent order (a cycle).
 */
const streamOrder = (a: Fetched, b: Fetched): number =>
  a.origin.shardId === b.origin.shardId
    ? compareSequenceNumbers(a.origin.sequenceNumber, b.origin.sequenceNumber)
    : a.origin.shardId < b.origin.shardId
      ? -1
      : 1

/**
 * Groups fetched records by partition key, one record once, each group sorted in stream order
 * (sorted per key: shards succeed each other only along one key's hash range, so the shard order
 * says nothing of two keys' records).
 */
const plan = (fetched: ReadonlyArray<Fetched>) => {
  const first = new Map<string, Fetched>()
  const duplicates: Array<{ readonly duplicate: Fetched; readonly of: Fetched }> = []
  for (const candidate of fetched) {
    const identity = `${candidate.origin.shardId}/${candidate.origin.sequenceNumber}`
    const kept = first.get(identity)
    if (kept === undefined) first.set(identity, candidate)
    else duplicates.push({ duplicate: candidate, of: kept })
  }
  const byKey = new Map<string, Array<Fetched>>()
  for (const candidate of first.values()) {
    const group = byKey.get(candidate.record.partitionKey)
    if (group === undefined) byKey.set(candidate.record.partitionKey, [candidate])
    else group.push(candidate)
  }
  const groups = [...byKey.values()].map((group) => group.sort(streamOrder))
  return { groups, duplicates }
}

const markRedriven = Effect.fnUntraced(function* (keys: ReadonlyArray<string>) {
  const archive = yield* Archive
  const at = new Date(yield* Clock.currentTimeMillis).toISOString()
  for (const key of keys) yield* retrying("dlq-send", archive.markRedriven(key, at))
})

/**
 * Puts one partition key's records in order, stopping at the first failure: putting a later
 * change of the entity before an earlier one would leave consumers on the older state. A record
 * put but not marked stops the key too: the next run puts it again, and the key's later records
 * must follow it then.
 */
const putGroup = Effect.fnUntraced(function* (
  group: ReadonlyArray<Fetched>,
  duplicatesOf: ReadonlyMap<string, ReadonlyArray<string>>,
  /** Told of each item as it is settled (put and marked, or not), so progress counts records, not groups. */
  onItem: (item: RedriveItem) => Effect.Effect<void>
) {
  const injector = yield* RecordInjector
  let stoppedBy: string | undefined
  for (const { entry, record } of group) {
    if (stoppedBy !== undefined) {
      yield* onItem({ ...itemOf(entry), status: "failed", reason: "earlier-record-of-key-failed" })
      continue
    }
    const position = { streamArn: record.streamArn, shardId: record.shardId, sequenceNumber: record.sequenceNumber }
    // the injector retries its own calls (`dlq-send`); retrying here too would multiply the puts
    const put = yield* Effect.result(injector.put({ partitionKey: record.partitionKey, data: redrivenRecordBytes(record.data, position) }))
    if (Result.isFailure(put)) {
      stoppedBy = entry.key
      yield* onItem(failedItem(entry, put.failure))
      continue
    }
    const marked = yield* Effect.result(markRedriven([entry.key, ...(duplicatesOf.get(entry.key) ?? [])]))
    const redriven: RedriveItem = {
      ...itemOf(entry),
      status: "redriven",
      shardId: put.success.shardId,
      sequenceNumber: put.success.sequenceNumber
    }
    if (Result.isSuccess(marked)) yield* onItem(redriven)
    else {
      stoppedBy = entry.key
      yield* onItem({ ...redriven, notMarked: marked.failure.code })
    }
  }
})

const emptyCounts = (): Record<RedriveStatus, number> => ({
  redriven: 0,
  "would-redrive": 0,
  "already-redriven": 0,
  duplicate: 0,
  skipped: 0,
  "not-redrivable": 0,
  unavailable: 0,
  failed: 0
})

/**
 * Fails unless the stream redriven records are written to exists and can be written: what a
 * redrive does first, dry run too, so that a run that cannot finish reads nothing.
 *
 * @example
 * ```ts
 * yield* checkStream // before reading the archive
 * ```
 */
export const checkStream = Effect.flatMap(Effect.service(RecordInjector), (injector) => injector.check)

/**
 * Redrives the given entries (typically the result of `listEntries` with the operator's filters).
 * Items come back in the order of `entries`. The stream is checked first ({@link checkStream}).
 *
 * @example
 * ```ts
 * yield* redrive(yield* listEntries({ table: "users", category: "configuration" }), { dryRun: true })
 * ```
 */
export const redrive = (given: ReadonlyArray<ArchiveEntry>, options: { readonly dryRun: boolean }, onProgress?: OnProgress) =>
  Effect.andThen(checkStream, redriveToCheckedStream(given, options, onProgress))

/**
 * {@link redrive} once the caller has checked the stream ({@link checkStream}), e.g. before it
 * read the archive to find the entries.
 *
 * @example
 * ```ts
 * yield* checkStream
 * yield* redriveToCheckedStream(yield* listEntries({ table: "users" }), { dryRun: false })
 * ```
 */
export const redriveToCheckedStream = Effect.fnUntraced(function* (
  given: ReadonlyArray<ArchiveEntry>,
  options: { readonly dryRun: boolean },
  onProgress: OnProgress = () => Effect.void
) {
  const seen = new Set<string>()
  const entries = given.filter((entry) => !seen.has(entry.key) && seen.add(entry.key))
  let done = 0
  const progress = (count: number) =>
    Effect.suspend(() => {
      done += count
      return onProgress(done, entries.length)
    })
  const resolved = yield* Effect.forEach(
    entries,
    (entry) => resolve(entry).pipe(Effect.tap((result) => ("record" in result ? Effect.void : progress(1)))),
    { concurrency }
  )
  // A failure whose lookup failed may be followed by later changes of its entity, which must not
  // be put before it: none of its partition key's records is put this run (they are reported,
  // not lost); with the key unknown, none of its table's (of any table, for `_unknown`). A dry
  // run reports the same: it previews this run, not one where every lookup succeeds.
  const unresolved = resolved.filter((result): result is Unresolved => "unresolved" in result)
  const heldKeys = new Set(unresolved.flatMap((u) => (u.partitionKey === undefined ? [] : [u.partitionKey])))
  const heldTables = new Set(unresolved.flatMap((u) => (u.partitionKey === undefined ? [u.unresolved.table] : [])))
  // `_unknown` failures may be of any table's entity: one of them unresolved holds every table,
  // and any table held holds them
  const tableHeld = (table: string) =>
    heldTables.has(table) || heldTables.has(unknownTable) || (table === unknownTable && heldTables.size > 0)
  const resolvedRecords = resolved.filter((result): result is Fetched => "record" in result)
  // a record held for its table holds its key too: its entity's later changes, archived under
  // another table, must wait for it
  for (const { entry, record } of resolvedRecords) if (tableHeld(entry.table)) heldKeys.add(record.partitionKey)
  const heldReason = ({ entry, record }: Fetched) =>
    tableHeld(entry.table) ? "lookup-failed-in-table" : heldKeys.has(record.partitionKey) ? "lookup-failed-for-key" : undefined
  const fetched = resolvedRecords.filter((candidate) => heldReason(candidate) === undefined)
  const held = resolvedRecords.flatMap((candidate) => {
    const reason = heldReason(candidate)
    return reason === undefined ? [] : [{ entry: candidate.entry, reason }]
  })
  const { groups, duplicates } = plan(fetched)
  const duplicatesOf = new Map<string, Array<string>>()
  for (const { duplicate, of } of duplicates)
    duplicatesOf.set(of.entry.key, [...(duplicatesOf.get(of.entry.key) ?? []), duplicate.entry.key])

  const byKey = new Map<string, RedriveItem>()
  for (const { entry, reason } of held) byKey.set(entry.key, { ...itemOf(entry), status: "failed", reason })
  yield* progress(held.length)
  for (const { duplicate, of } of duplicates)
    byKey.set(duplicate.entry.key, { ...itemOf(duplicate.entry), status: "duplicate", duplicateOf: of.entry.key })
  yield* progress(duplicates.length)
  if (options.dryRun) {
    for (const group of groups) for (const { entry } of group) byKey.set(entry.key, { ...itemOf(entry), status: "would-redrive" })
    yield* progress(fetched.length - duplicates.length)
  } else {
    yield* Effect.forEach(
      groups,
      (group) =>
        putGroup(group, duplicatesOf, (item) =>
          Effect.andThen(
            Effect.sync(() => byKey.set(item.key, item)),
            progress(1)
          )
        ),
      { concurrency, discard: true }
    )
  }
  const items = resolved.map((result) =>
    "record" in result ? (byKey.get(result.entry.key) as RedriveItem) : "unresolved" in result ? result.unresolved : result
  )
  const counts = emptyCounts()
  for (const item of items) counts[item.status]++
  const report: RedriveReport = { stream: (yield* RecordInjector).stream, dryRun: options.dryRun, counts, items }
  return report
})
