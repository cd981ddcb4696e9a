/**
 * What every benchmark section returns: its figures (for the JSON file), its checks against the
 * issue's targets (printed, never failing the run), and correctness violations (which do).
 */
import type { Check } from "../lib/measure"

export interface SectionResult {
  readonly section: string
  readonly figures: Record<string, unknown>
  readonly checks: ReadonlyArray<Check>
  /** A wrong result (a record lost, a leak, a crash): the bench exits non-zero. */
  readonly violations: ReadonlyArray<string>
}

export interface SectionOptions {
  readonly quick: boolean
  readonly log: (line: string) => void
}
