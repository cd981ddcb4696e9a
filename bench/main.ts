/**
 * `npm run bench [-- --quick] [--only 1,4] [--markdown bench/RESULTS.md]`: the five benchmark
 * sections in one process tree, each next to its baseline measured in the same run (ratios, not
 * absolute times). Prints a table with each target's pass/fail and writes the figures as JSON to
 * `bench/results/latest.json`. A missed performance target does not fail the run; a correctness
 * violation (a record not published, a protected value in an event, a batch not drained) exits 1.
 * Usage errors exit 2.
 *
 * 1. record path vs `JSON.parse`+`JSON.stringify` and vs the reference design's engine
 * 2. AWS calls per 1,000 records on the emulator vs the reference design's per-record flow
 * 3. end-to-end records/s through the local pipeline vs the reference per-record handler
 * 4. cold start: bundle size and module init time vs a minimal hand-written handler
 * 5. memory: peak RSS for batches of 100, 1,000 and 10,000 records
 */
import { appendFileSync, mkdirSync, writeFileSync } from "node:fs"
import path from "node:path"
import { parseArgs } from "node:util"
import { type Emulated, startEmulated } from "./lib/Emulated"
import { machine } from "./lib/measure"
import { renderMarkdown, renderTable } from "./lib/report"
import { installSdkBoundary } from "./lib/SdkBoundary"
import * as awsCalls from "./sections/awsCalls"
import * as coldStart from "./sections/coldStart"
import * as endToEnd from "./sections/endToEnd"
import * as memory from "./sections/memory"
import * as recordPath from "./sections/recordPath"
import type { SectionOptions, SectionResult } from "./sections/types"

const usage = `Usage: npm run bench -- [--quick] [--only 1,2,3,4,5] [--json FILE] [--markdown FILE]

  --quick          CI-sized runs (fewer records and repetitions)
  --only LIST      run only these sections (1 record path, 2 AWS calls, 3 end to end, 4 cold start, 5 memory)
  --json FILE      where to write the figures (default bench/results/latest.json)
  --markdown FILE  also write the results as Markdown (e.g. bench/RESULTS.md)

Exit codes: 0 all correctness checks held (performance targets are reported, not enforced),
1 a correctness check failed, 2 usage error.`

const parsed = (() => {
  try {
    return parseArgs({
      options: {
        quick: { type: "boolean", default: false },
        only: { type: "string" },
        json: { type: "string", default: path.join("bench", "results", "latest.json") },
        markdown: { type: "string" },
        help: { type: "boolean", default: false }
      }
    }).values
  } catch (error) {
    process.stderr.write(`${error instanceof Error ? error.message : String(error)}\n\n${usage}\n`)
    process.exit(2)
  }
})()
if (parsed.help) {
  process.stdout.write(`${usage}\n`)
  process.exit(0)
}
const only = new Set((parsed.only ?? "1,2,3,4,5").split(",").map((s) => Number(s.trim())))
if ([...only].some((n) => !(Number.isInteger(n) && n >= 1 && n <= 5))) {
  process.stderr.write(`--only takes section numbers 1 to 5\n\n${usage}\n`)
  process.exit(2)
}

/** Sends everything written to stdout to `file` until the returned function is called. */
const divertStdout = (file: string) => {
  const write = process.stdout.write.bind(process.stdout)
  writeFileSync(file, "")
  process.stdout.write = ((chunk: string | Uint8Array) => {
    appendFileSync(file, chunk)
    return true
  }) as typeof process.stdout.write
  return () => {
    process.stdout.write = write
  }
}

const log = (line: string) => process.stderr.write(`${line}\n`)
const options: SectionOptions = { quick: parsed.quick, log }
const started = performance.now()
const results: Array<SectionResult> = []
const guard = async (name: string, run: () => Promise<SectionResult>) => {
  log(`▶ ${name}`)
  try {
    results.push(await run())
  } catch (error) {
    results.push({
      section: name,
      figures: {},
      checks: [],
      violations: [`the section crashed: ${error instanceof Error ? error.stack : String(error)}`]
    })
  }
}

await installSdkBoundary()
if (only.has(1)) await guard("1. record path", () => recordPath.run(options))
if (only.has(2) || only.has(3)) {
  let emulated: Emulated | undefined
  // The handlers' JSON logs and EMF lines go to a file, keeping stdout for the table.
  const functionLog = path.join(path.dirname(parsed.json), "functions.log")
  mkdirSync(path.dirname(functionLog), { recursive: true })
  const restore = divertStdout(functionLog)
  try {
    emulated = await startEmulated({ stage: "bench", log })
    const env = emulated
    if (only.has(2)) await guard("2. AWS calls / 1,000 records", () => awsCalls.run(options, env))
    if (only.has(3)) await guard("3. end to end", () => endToEnd.run(options, env))
  } catch (error) {
    results.push({ section: "emulator", figures: {}, checks: [], violations: [`could not start the emulator: ${String(error)}`] })
  } finally {
    restore()
    await emulated?.stop()
  }
}
if (only.has(4)) await guard("4. cold start", () => coldStart.run(options))
if (only.has(5)) await guard("5. memory", () => memory.run(options))

const report = {
  generatedAt: new Date().toISOString(),
  quick: parsed.quick,
  only: parsed.only === undefined ? undefined : [...only].sort((a, b) => a - b),
  machine: machine(),
  seconds: Math.round((performance.now() - started) / 100) / 10,
  sections: results
}
mkdirSync(path.dirname(parsed.json), { recursive: true })
writeFileSync(parsed.json, `${JSON.stringify(report, null, 2)}\n`)
if (parsed.markdown !== undefined) {
  mkdirSync(path.dirname(parsed.markdown), { recursive: true })
  writeFileSync(parsed.markdown, renderMarkdown(report))
}
process.stdout.write(renderTable(report))
const violations = results.flatMap((r) => r.violations.map((v) => `${r.section}: ${v}`))
for (const violation of violations) process.stderr.write(`✗ ${violation}\n`)
process.stderr.write(`results: ${parsed.json} · ${report.seconds} s\n`)
process.exit(violations.length > 0 ? 1 : 0)
