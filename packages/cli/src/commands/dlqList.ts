/**
 * `cdc dlq list`: what failed, grouped by (table, category, code) and counted, from the archive
 * bucket (one HEAD per object, with a progress bar on stderr).
 *
 * Exit codes: 0 listed (even if empty), 1 the archive could not be read, 2 usage error, 130
 * interrupted (143 SIGTERM).
 *
 * @example
 * ```sh
 * npx cdc dlq list --table users --since 2026-01-01 --category poison
 * npx cdc dlq list --json | jq '.groups[] | select(.count > 10)'
 * ```
 */
import type { ArchiveEntry } from "@cdc/pipeline/dlq/Archive"
import { groupEntries, type ListFilter, listArchive } from "@cdc/pipeline/dlq/ArchiveQuery"
import { Command } from "effect/cli"
import * as Effect from "effect/Effect"
import { jsonLine, printable } from "../Printable"
import { archiveLayer, bucketFlag, filterFlags, filterOf, jsonFlag, withProgressOnStderr } from "./dlqShared"
import { stateDirFlag } from "./usage"

/** East Asian wide and fullwidth characters, and emoji: two terminal columns each. */
const wide =
  /[\u1100-\u115F\u2E80-\uA4CF\uAC00-\uD7A3\uF900-\uFAFF\uFE30-\uFE4F\uFF00-\uFF60\uFFE0-\uFFE6\u{1F300}-\u{1F64F}\u{1F900}-\u{1F9FF}\u{20000}-\u{3FFFD}]/u
/** Combining marks and zero-width characters: no column of their own. */
const zeroWidth = /[\p{Mn}\p{Me}\u200B-\u200F]/u

/** The columns a text takes on a terminal (a table named `用户` takes 4). */
export const displayWidth = (text: string): number => {
  let width = 0
  for (const char of text) width += zeroWidth.test(char) ? 0 : wide.test(char) ? 2 : 1
  return width
}

const pad = (value: string | number, width: number) => {
  const text = String(value)
  return text + " ".repeat(Math.max(1, width - displayWidth(text)))
}

/** A group's fields as printed: table names and codes come from records (see ../Printable). */
const printed = (g: ReturnType<typeof groupEntries>[number]) => ({ ...g, table: printable(g.table), code: printable(g.code) })

/**
 * The human-readable listing: one line per problem.
 *
 * @example
 * ```ts
 * renderGroups([{ table: "users", category: "poison", code: "invalid-json", count: 3, redriven: 0, firstDate: "2026-01-02", lastDate: "2026-01-03" }])
 * ```
 */
export const renderGroups = (listed: ReturnType<typeof groupEntries>): string => {
  if (listed.length === 0) return "no archived failures match\n"
  const groups = listed.map(printed)
  // a column is as wide as its widest value (an unknown table's name may be long), never narrower than before
  const widthOf = (minimum: number, values: ReadonlyArray<string>) => Math.max(minimum, ...values.map((v) => displayWidth(v) + 2))
  const table = widthOf(
    18,
    groups.map((g) => g.table)
  )
  const code = widthOf(
    28,
    groups.map((g) => g.code)
  )
  const header = `${pad("COUNT", 7)}${pad("REDRIVEN", 10)}${pad("TABLE", table)}${pad("CATEGORY", 15)}${pad("CODE", code)}DAYS\n`
  const lines = groups.map(
    (g) =>
      `${pad(g.count, 7)}${pad(g.redriven, 10)}${pad(g.table, table)}${pad(g.category, 15)}${pad(g.code, code)}${g.firstDate}${g.lastDate === g.firstDate ? "" : `..${g.lastDate}`}\n`
  )
  return header + lines.join("")
}

/**
 * The line under the listing: how many, and where the ids `cdc dlq show` takes are (the
 * grouped listing has none; `--json` lists every entry with its id).
 *
 * @example
 * ```ts
 * listFooter(13) // "13 failure(s); ids with `cdc dlq list --json`, one in full with `cdc dlq show ID`, …"
 * ```
 */
export const listFooter = (count: number): string =>
  `${count} failure(s); ids with \`cdc dlq list --json\`, one in full with \`cdc dlq show ID\`, \`cdc dlq redrive\` to re-inject\n`

/**
 * The `--json` document. Every field is written, `null` where it has no value (an entry not
 * redriven, a filter not given), so that a script reads the same keys from every entry.
 *
 * @example
 * ```ts
 * listJson({ table: "users" }, { entries, skipped: 0 }).entries[0].redrivenAt // null when never redriven
 * ```
 */
export const listJson = (filter: ListFilter, listing: { readonly entries: ReadonlyArray<ArchiveEntry>; readonly skipped: number }) => ({
  filter: { table: filter.table ?? null, since: filter.since ?? null, category: filter.category ?? null },
  total: listing.entries.length,
  skipped: listing.skipped,
  groups: groupEntries(listing.entries),
  entries: listing.entries.map((entry) => ({
    key: entry.key,
    id: entry.id,
    table: entry.table,
    date: entry.date,
    kind: entry.kind ?? null,
    category: entry.category ?? null,
    code: entry.code ?? null,
    redrivenAt: entry.redrivenAt ?? null
  }))
})

export const dlqListCommand = Command.make(
  "list",
  { ...filterFlags, bucket: bucketFlag, stateDir: stateDirFlag, json: jsonFlag },
  (flags) =>
    Effect.gen(function* () {
      const filter = yield* filterOf(flags)
      const layer = yield* archiveLayer(flags)
      const listing = yield* withProgressOnStderr("dlq list", (onProgress) => listArchive(filter, onProgress)).pipe(Effect.provide(layer))
      const { entries, skipped } = listing
      if (flags.json) {
        process.stdout.write(jsonLine(listJson(filter, listing)))
      } else {
        process.stdout.write(renderGroups(groupEntries(entries)))
        process.stdout.write(listFooter(entries.length))
        // objects someone else put under the prefix: said once, so they are not mistaken for failures
        if (skipped > 0) process.stderr.write(`${skipped} object(s) outside the archive's key layout were skipped\n`)
      }
    })
).pipe(
  Command.withShortDescription("List archived failures, grouped by table, category and code, with counts"),
  Command.withDescription(
    "List archived failures, grouped by table, category and code, with counts. " +
      "Exit 0 when listed (even if none match); 1 when a call failed (the archive could not be read); " +
      "2 on usage error (a bad flag or --since date, no archive bucket configured); 130 when interrupted by Ctrl-C (143 by SIGTERM)."
  ),
  Command.withExamples([
    { command: "cdc dlq list --table users --since 2026-01-01", description: "users failures since January 1st" },
    { command: "cdc dlq list --category schema-drift --json", description: "schema drift notices, as JSON" }
  ])
)
