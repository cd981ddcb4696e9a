/**
 * Schema drift seen by a local run, tallied by name only: the undeclared columns the record path
 * withheld (`users.nickname withheld`) and the DDL control records (`users add-column nickname`),
 * as the deployed processor logs and alerts them. A dry run prints the tally under its summary,
 * so someone checking a new CoreDB schema sees the columns the events will not carry.
 *
 * @example
 * ```ts
 * const drift = makeDriftTally()
 * drift.add(outcome) // after each record path outcome
 * drift.line("dry-run") // "dry-run: schema drift: users.nickname withheld 1\n", or "" when none
 * ```
 */
import type { RecordOutcome } from "@cdc/domain/RecordPath"
import { clipped, maxNameLength } from "@cdc/pipeline/Clipped"
import { printable } from "./Printable"

/** Distinct sightings kept; more are counted together (a fuzzed file could name millions). */
const maxKinds = 1_000
/** Sightings named on the line; the rest are counted. */
const maxShown = 20
/** Columns of one DDL named (a record decides how many it lists). */
const maxDdlColumns = 20

/** A name the record decides, bounded as the processor bounds it in its notices. */
const name = (text: string) => clipped(text, maxNameLength)

export interface DriftTally {
  /** Counts what one outcome says of the schema (nothing for most). */
  readonly add: (outcome: RecordOutcome) => void
  /** The tally as one stderr line after `prefix: `, or `""` when nothing drifted. */
  readonly line: (prefix: string) => string
}

/** An empty tally. */
export const makeDriftTally = (): DriftTally => {
  const counts = new Map<string, number>()
  let others = 0
  const count = (kind: string) => {
    const n = counts.get(kind)
    if (n !== undefined) counts.set(kind, n + 1)
    else if (counts.size < maxKinds) counts.set(kind, 1)
    else others++
  }
  return {
    add: (outcome) => {
      if (outcome._tag === "Publish") {
        for (const column of outcome.withheldColumns) count(`${name(outcome.table)}.${name(column)} withheld`)
      } else if (outcome._tag === "Skip" && outcome.ddl !== undefined) {
        const { columns } = outcome.ddl
        const more = columns.length > maxDdlColumns ? `,… (${columns.length - maxDdlColumns} more)` : ""
        const named = columns.length === 0 ? "" : ` ${columns.slice(0, maxDdlColumns).map(name).join(",")}${more}`
        count(`${name(outcome.table ?? "unknown")} ${outcome.ddl.operation}${named}`)
      }
    },
    line: (prefix) => {
      if (counts.size === 0) return ""
      const kinds = [...counts]
      const shown = kinds.slice(0, maxShown).map(([kind, n]) => `${kind} ${n}`)
      const rest = kinds.slice(maxShown).reduce((sum, [, n]) => sum + n, others)
      const more = rest === 0 ? "" : `, ${rest} more sightings`
      // column and table names are the record's text: printable, as every line a terminal shows
      return `${prefix}: schema drift: ${printable(shown.join(", "))}${more}\n`
    }
  }
}
