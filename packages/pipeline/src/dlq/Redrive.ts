/**
 * The redrive: after a fix (a table definition, a configuration), archived failures are put back
 * into the Kinesis stream from their raw record, fetched by coordinates, and each archived object
 * is marked as redriven. Marked objects are skipped, so running it twice re-injects nothing twice.
 * If a run stops between the put and the mark, the next run puts that record again: the redrive
 * is at least once, like the pipeline.
 *
 * What cannot be redriven is reported, not guessed: malformed messages (no record), records past
 * the stream's retention (`unavailable`), and failures carrying only a KMS-encrypted payload
 * (decryption is not implemented here).
 *
 * @example
 * ```ts
 * const report = yield* redrive(entries, { dryRun: false })
 * report.counts // { redriven: 3, "already-redriven": 1, unavailable: 0, ... }
 * ```
 */
import type { Classified } from "@cdc/domain/Classified"
import { Clock, Effect, Result } from "effect"
import { retrying } from "../RetryPolicy"
import { Archive, type ArchiveEntry } from "./Archive"
import type { OnProgress } from "./ArchiveQuery"
import { RecordFetcher } from "./RecordFetcher"
import { RecordInjector } from "./RecordInjector"

export type RedriveStatus = "redriven" | "would-redrive" | "already-redriven" | "not-redrivable" | "unavailable" | "failed"

export interface RedriveItem {
  readonly key: string
  readonly table: string
  readonly code: string | undefined
  readonly status: RedriveStatus
  /** The new position in the stream (redriven). */
  readonly sequenceNumber?: string
  /** Why not (not-redrivable, unavailable, failed): a code, never a value. */
  readonly reason?: string
}

export interface RedriveReport {
  readonly stream: string
  readonly dryRun: boolean
  readonly counts: Readonly<Record<RedriveStatus, number>>
  readonly items: ReadonlyArray<RedriveItem>
}

const concurrency = 4

const one = Effect.fnUntraced(function* (entry: ArchiveEntry, dryRun: boolean) {
  const item = { key: entry.key, table: entry.table, code: entry.code }
  if (entry.redrivenAt !== undefined) return { ...item, status: "already-redriven" as const }
  if (entry.kind === "malformed") return { ...item, status: "not-redrivable" as const, reason: "malformed-message" }
  const archive = yield* Archive
  const failure = yield* archive.get(entry.key)
  const { shardId, sequenceNumber, streamArn } = failure.coordinates
  if (shardId === undefined || sequenceNumber === undefined) {
    const reason = failure.encryptedPayload === undefined ? "no-coordinates" : "encrypted-payload-only"
    return { ...item, status: "not-redrivable" as const, reason }
  }
  const record = yield* (yield* RecordFetcher).fetchOne({ streamArn, shardId, sequenceNumber })
  if (record === undefined) return { ...item, status: "unavailable" as const, reason: "record-expired" }
  if (dryRun) return { ...item, status: "would-redrive" as const }
  const injected = yield* retrying("dlq-send", (yield* RecordInjector).put({ partitionKey: record.partitionKey, data: record.data }))
  const at = new Date(yield* Clock.currentTimeMillis).toISOString()
  yield* retrying("dlq-send", archive.markRedriven(entry.key, at))
  return { ...item, status: "redriven" as const, sequenceNumber: injected.sequenceNumber }
})

/**
 * Redrives the given entries (typically the result of `listEntries` with the operator's filters).
 *
 * @example
 * ```ts
 * yield* redrive(yield* listEntries({ table: "users", category: "configuration" }), { dryRun: true })
 * ```
 */
export const redrive = Effect.fnUntraced(function* (
  entries: ReadonlyArray<ArchiveEntry>,
  options: { readonly dryRun: boolean },
  onProgress: OnProgress = () => Effect.void
) {
  let done = 0
  const items = yield* Effect.forEach(
    entries,
    (entry) =>
      Effect.result(one(entry, options.dryRun)).pipe(
        Effect.map(
          (result): RedriveItem =>
            Result.isSuccess(result)
              ? result.success
              : { key: entry.key, table: entry.table, code: entry.code, status: "failed", reason: (result.failure as Classified).code }
        ),
        Effect.tap(() => {
          done++
          return onProgress(done, entries.length)
        })
      ),
    { concurrency }
  )
  const counts: Record<RedriveStatus, number> = {
    redriven: 0,
    "would-redrive": 0,
    "already-redriven": 0,
    "not-redrivable": 0,
    unavailable: 0,
    failed: 0
  }
  for (const item of items) counts[item.status]++
  const report: RedriveReport = { stream: (yield* RecordInjector).stream, dryRun: options.dryRun, counts, items }
  return report
})
