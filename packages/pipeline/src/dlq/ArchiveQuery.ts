/**
 * What the operator asks the archive: which failures match a filter (table, since a date,
 * category), grouped and counted; and one failure by id. Table and date come from the key, so a
 * table filter lists only that table's prefix; category, code and the redrive mark come from
 * object metadata (one HEAD per object, `concurrency` at a time, reported through `onProgress`).
 * Objects whose key is outside the layout are not failures: skipped, and counted.
 *
 * @example
 * ```ts
 * const entries = yield* listEntries({ table: "users", since: "2026-01-01" }, (done, total) => Effect.sync(() => bar.update(done, total)))
 * const groups = groupEntries(entries)
 * ```
 */
import type { ErrorCategory } from "@cdc/domain/Classified"
import * as Data from "effect/Data"
import * as Effect from "effect/Effect"
import { retrying } from "../RetryPolicy"
import { Archive, type ArchiveEntry } from "./Archive"
import { archivePrefix, keySegment, parseArchiveKey } from "./ArchivedFailure"

export interface ListFilter {
  readonly table?: string | undefined
  /** `yyyy-mm-dd`: failures of records from that day on. */
  readonly since?: string | undefined
  readonly category?: ErrorCategory | undefined
}

/** Called after each object looked at: `done` of `total`. */
export type OnProgress = (done: number, total: number) => Effect.Effect<void>

const noProgress: OnProgress = () => Effect.void

/** Objects described at once while listing. */
const concurrency = 16

/** A listing: the matching entries, and how many objects under the prefix were not failures. */
export interface Listing {
  readonly entries: Array<ArchiveEntry>
  /**
   * Objects whose key is outside the archive's layout (e.g. the empty `failed-events/users/` a
   * console's "Create folder" makes, or a file someone copied in): not failures, so not listed.
   */
  readonly skipped: number
}

/**
 * The archive entries matching the filter, oldest record first, and the count of foreign objects
 * skipped. Only keys in the layout are described: another object under the prefix is not a
 * failure, and must not make the whole listing (and so `cdc dlq list` and `redrive`) fail.
 *
 * @example
 * ```ts
 * const { entries, skipped } = yield* listArchive({ category: "poison" })
 * ```
 */
export const listArchive = Effect.fnUntraced(function* (filter: ListFilter, onProgress: OnProgress = noProgress) {
  const archive = yield* Archive
  const prefix = filter.table === undefined ? archivePrefix : `${archivePrefix}${keySegment(filter.table)}/`
  // a listing makes one call per object: a throttle or a reset connection on any of them is
  // retried (`dlq-send`, as the redrive's reads and marks are), not the end of the command
  const listed = yield* retrying("dlq-send", archive.listKeys(prefix))
  const failures = listed.flatMap((key) => {
    const parts = parseArchiveKey(key)
    return parts === undefined ? [] : [{ key, date: parts.date }]
  })
  const keys = failures.filter(({ date }) => filter.since === undefined || date >= filter.since).map(({ key }) => key)
  let done = 0
  const described = yield* Effect.forEach(
    keys,
    (key) =>
      retrying("dlq-send", archive.describe(key)).pipe(
        Effect.tap(() => {
          done++
          return onProgress(done, keys.length)
        })
      ),
    { concurrency }
  )
  const listing: Listing = {
    entries: described
      .filter((entry) => filter.category === undefined || entry.category === filter.category)
      .sort((a, b) => a.date.localeCompare(b.date) || a.key.localeCompare(b.key)),
    skipped: listed.length - failures.length
  }
  return listing
})

/**
 * The archive entries matching the filter, oldest record first (see {@link listArchive}).
 *
 * @example
 * ```ts
 * yield* listEntries({ category: "poison" }) // [{ key, table, date, category: "poison", code, ... }]
 * ```
 */
export const listEntries = (filter: ListFilter, onProgress: OnProgress = noProgress) =>
  Effect.map(listArchive(filter, onProgress), (listing) => listing.entries)

/** One group of the listing: a distinct problem. */
export interface EntryGroup {
  readonly table: string
  readonly category: ErrorCategory | "unknown"
  readonly code: string
  readonly count: number
  readonly redriven: number
  readonly firstDate: string
  readonly lastDate: string
}

/**
 * Groups entries by (table, category, code), largest group first.
 *
 * @example
 * ```ts
 * groupEntries(entries)[0] // { table: "users", category: "poison", code: "invalid-json", count: 12, redriven: 0, ... }
 * ```
 */
export const groupEntries = (entries: ReadonlyArray<ArchiveEntry>): ReadonlyArray<EntryGroup> => {
  const groups = new Map<string, Array<ArchiveEntry>>()
  for (const entry of entries) {
    const id = JSON.stringify([entry.table, entry.category, entry.code])
    groups.set(id, [...(groups.get(id) ?? []), entry])
  }
  return [...groups.values()]
    .map((members) => {
      const first = members[0] as ArchiveEntry
      const dates = members.map((member) => member.date).sort()
      return {
        table: first.table,
        category: first.category ?? ("unknown" as const),
        code: first.code ?? "unknown",
        count: members.length,
        redriven: members.filter((member) => member.redrivenAt !== undefined).length,
        firstDate: dates[0] as string,
        lastDate: dates[dates.length - 1] as string
      }
    })
    .sort((a, b) => b.count - a.count || a.table.localeCompare(b.table) || a.code.localeCompare(b.code))
}

/** No archived failure has this id (or key). */
export class FailureNotFound extends Data.TaggedError("FailureNotFound")<{
  readonly id: string
  /** Set when `id` is a location in another archive than this one (`s3://<its bucket>/`). */
  readonly archive?: string | undefined
  /** Set when `id` is a location in this archive's bucket, outside where failures are kept (this place). */
  readonly under?: string | undefined
}> {
  override get message(): string {
    if (this.under !== undefined) return `${this.id} is no archived failure: the archive keeps them under ${this.under}`
    return this.archive === undefined
      ? `no archived failure with id ${this.id}`
      : `${this.id} is not in this archive (${this.archive}); name its bucket with --bucket`
  }
}

/**
 * The key of a failure given its id (the file name, with or without `.json`), its full key, or
 * its location as an alert lists it (`s3://<bucket>/failed-events/…`: the key, without listing
 * the archive).
 *
 * @example
 * ```ts
 * yield* findKey("dl_5c0f…") // "failed-events/users/2026/01/14/dl_5c0f….json"
 * yield* findKey("s3://cdc-archive/failed-events/users/2026/01/14/dl_5c0f….json") // the same key
 * ```
 */
export const findKey = Effect.fnUntraced(function* (idOrKey: string) {
  const archive = yield* Archive
  if (idOrKey.startsWith(archivePrefix)) return idOrKey
  const here = archive.location("")
  if (idOrKey.startsWith(`${here}${archivePrefix}`)) return idOrKey.slice(here.length)
  if (idOrKey.startsWith(here)) return yield* new FailureNotFound({ id: idOrKey, under: `${here}${archivePrefix}` })
  if (/^[a-z][a-z0-9+.-]*:\/\//i.test(idOrKey)) return yield* new FailureNotFound({ id: idOrKey, archive: here })
  // the file name as copied from a listing of the bucket is the id too
  const id = keySegment(idOrKey.endsWith(".json") ? idOrKey.slice(0, -".json".length) : idOrKey)
  // by the parsed id, so a foreign object that merely ends the same way is not taken for it
  const key = (yield* retrying("dlq-send", archive.listKeys(archivePrefix))).find((candidate) => parseArchiveKey(candidate)?.id === id)
  return key === undefined ? yield* new FailureNotFound({ id: idOrKey }) : key
})
