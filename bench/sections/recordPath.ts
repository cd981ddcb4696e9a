/**
 * Section 1, the pure record path: our `RecordPath.fromKinesis` next to the floor (base64 decode +
 * `JSON.parse` + `JSON.stringify` of the same records) and to the reference design's engine
 * (../reference/engine), measured by ../recordPath/child in one bundled process (as the processor
 * is deployed), so all three run under the same conditions. Ratios are medians of per-round ratios
 * (each round times the three back to back), which shared-machine noise moves least, and the
 * figures the medians over a few such processes (3 quick, 5 full).
 *
 * Targets: at most 2.0x the floor's time per record; not slower than the reference design.
 */
import { execFileSync } from "node:child_process"
import { mkdirSync } from "node:fs"
import path from "node:path"
import { bundleChild } from "@cdc/testkit/Bundle"
import { median, ratioText, round } from "../lib/measure"
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
  log(
    `record path: ${quick ? "2,400" : "12,000"} records, bundled, floor / ours / reference in alternating rounds, ${quick ? 3 : 5} processes`
  )
  // Each process's median moves by ±5% with what the process happened to get (its memory
  // layout, its JIT's choices) more than with the load: the figures are the medians over a few.
  const processes = quick ? 3 : 5
  const runs: Array<ChildFigures> = []
  for (let i = 0; i < processes; i++)
    runs.push(JSON.parse(execFileSync(process.execPath, [child, ...(quick ? ["--quick"] : [])], { encoding: "utf8" })) as ChildFigures)
  const figures = runs[0] as ChildFigures
  const middle = (of: (run: ChildFigures) => number) => median(runs.map(of))
  const floor = Math.round(middle((run) => run.recordsPerSecond.floor))
  const ours = Math.round(middle((run) => run.recordsPerSecond.ours))
  const reference = Math.round(middle((run) => run.recordsPerSecond.reference))
  const vsFloor = middle((run) => run.timeVsFloor)
  const vsReference = middle((run) => run.speedVsReference)
  const section = "1. record path"
  const rate = (n: number) => n.toLocaleString("en-US")
  return {
    section,
    figures: {
      records: figures.records,
      rounds: figures.rounds,
      processes,
      recordsPerSecond: { floor, ours, reference },
      timeVsFloor: round(vsFloor),
      speedVsReference: round(vsReference),
      perProcess: runs.map((run) => ({ timeVsFloor: round(run.timeVsFloor, 3), speedVsReference: round(run.speedVsReference, 3) }))
    },
    checks: [
      {
        section,
        name: "time per record vs floor (JSON.parse+stringify)",
        value: `${ratioText(vsFloor, 2)}x (${rate(ours)} vs ${rate(floor)} rec/s; median of ${processes} processes: ${runs.map((run) => run.timeVsFloor.toFixed(2)).join(", ")})`,
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
    violations: [...new Set(runs.flatMap((run) => run.violations))]
  }
}
