/**
 * What the operator asks the archive: which failures match a filter (table, since a date,
 * category), grouped and counted; and one failure by id. Table and date come from the key, so a
 * table filter lists only that table's prefix; category, code and the redrive mark come from
 * object metadata (one HEAD per object, `concurrency` at a time, reported through `onProgress`).
 *
 * @example
 * ```ts
 * const entries = yield* listEntries({ table: "users", since: "2026-01-01" }, (done, total) => Effect.sync(() => bar.update(done, total)))
 * const groups = groupEntries(entries)
 * ```
 */
import type { ErrorCategory } from "@cdc/domain/Classified"
import { Data, Effect } from "effect"
import { Archive, type ArchiveEntry } from "./Archive"
import { archivePrefix, keySegment } from "./ArchivedFailure"

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

/**
 * The archive entries matching the filter, oldest record first.
 *
 * @example
 * ```ts
 * yield* listEntries({ category: "poison" }) // [{ key, table, date, category: "poison", code, ... }]
 * ```
 */
export const listEntries = Effect.fnUntraced(function* (filter: ListFilter, onProgress: OnProgress = noProgress) {
  const archive = yield* Archive
  const prefix = filter.table === undefined ? archivePrefix : `${archivePrefix}${keySegment(filter.table)}/`
  const since = filter.since?.replaceAll("-", "/")
  const keys = (yield* archive.listKeys(prefix)).filter((key) => since === undefined || dateOf(key) >= since)
  let done = 0
  const entries = yield* Effect.forEach(
    keys,
    (key) =>
      archive.describe(key).pipe(
        Effect.tap(() => {
          done++
          return onProgress(done, keys.length)
        })
      ),
    { concurrency }
  )
  return entries
    .filter((entry) => filter.category === undefined || entry.category === filter.category)
    .sort((a, b) => a.date.localeCompare(b.date) || a.key.localeCompare(b.key))
})

/** `yyyy/mm/dd` of a key `failed-events/<table>/<yyyy>/<mm>/<dd>/<id>.json`. */
const dateOf = (key: string) => key.split("/").slice(2, 5).join("/")

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
export class FailureNotFound extends Data.TaggedError("FailureNotFound")<{ readonly id: string }> {
  override get message(): string {
    return `no archived failure with id ${this.id}`
  }
}

/**
 * The key of a failure given its id (the file name without `.json`) or its full key.
 *
 * @example
 * ```ts
 * yield* findKey("dl_5c0f…") // "failed-events/users/2026/01/14/dl_5c0f….json"
 * ```
 */
export const findKey = Effect.fnUntraced(function* (idOrKey: string) {
  const archive = yield* Archive
  if (idOrKey.startsWith(archivePrefix)) return idOrKey
  const suffix = `/${keySegment(idOrKey)}.json`
  const key = (yield* archive.listKeys(archivePrefix)).find((candidate) => candidate.endsWith(suffix))
  return key === undefined ? yield* new FailureNotFound({ id: idOrKey }) : key
})
