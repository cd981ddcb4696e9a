/**
 * Section 1, the pure record path: our `RecordPath.fromKinesis` next to the floor (base64 decode +
 * `JSON.parse` + `JSON.stringify` of the same records) and to the reference design's engine
 * (../reference/engine), measured by ../recordPath/child in one bundled process (as the processor
 * is deployed), so all three run under the same conditions. Ratios are medians of per-round ratios
 * (each round times the three back to back), which shared-machine noise moves least.
 *
 * Targets: at most 2.0x the floor's time per record; not slower than the reference design.
 */
import { execFileSync } from "node:child_process"
import { mkdirSync } from "node:fs"
import path from "node:path"
import { bundleChild } from "@cdc/testkit/Bundle"
import { ratioText, round } from "../lib/measure"
import type { SectionOptions, SectionResult } from "./types"

interface ChildFigures {
  readonly records: number
  readonly rounds: number
  /** Medians over the rounds. */
  readonly recordsPerSecond: { readonly floor: number; readonly ours: number; readonly reference: number }
  /** Median over the rounds of ours / floor, each pair timed back to back. */
  readonly timeVsFloor: number
  /** Median over the rounds of reference / ours (time), i.e. our speed relative to the reference. */
  readonly speedVsReference: number
  readonly violations: ReadonlyArray<string>
}

export const run = async ({ quick, log }: SectionOptions): Promise<SectionResult> => {
  const outDir = path.join("bench", ".build", "record-path")
  mkdirSync(outDir, { recursive: true })
  const child = await bundleChild(path.join("bench", "recordPath", "child.ts"), path.join(outDir, "child.mjs"))
  log(`record path: ${quick ? "2,400" : "12,000"} records, bundled, floor / ours / reference in alternating rounds`)
  const figures = JSON.parse(execFileSync(process.execPath, [child, ...(quick ? ["--quick"] : [])], { encoding: "utf8" })) as ChildFigures
  const { floor, ours, reference } = figures.recordsPerSecond
  const vsFloor = figures.timeVsFloor
  const vsReference = figures.speedVsReference
  const section = "1. record path"
  const rate = (n: number) => n.toLocaleString("en-US")
  return {
    section,
    figures: {
      records: figures.records,
      rounds: figures.rounds,
      recordsPerSecond: figures.recordsPerSecond,
      timeVsFloor: round(vsFloor),
      speedVsReference: round(vsReference)
    },
    checks: [
      {
        section,
        name: "time per record vs floor (JSON.parse+stringify)",
        value: `${ratioText(vsFloor, 2)}x (${rate(ours)} vs ${rate(floor)} rec/s)`,
        target: "≤ 2.0x",
        pass: vsFloor <= 2
      },
      {
        section,
        name: "speed vs reference engine",
        value: `${ratioText(vsReference, 1)}x (reference ${rate(reference)} rec/s)`,
        target: "≥ 1.0x",
        pass: vsReference >= 1
      }
    ],
    violations: figures.violations
  }
}
