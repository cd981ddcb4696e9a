/**
 * `npm run bench:compare -- [REV] [--processes N] [--rounds N]`: is the working tree's record
 * path faster than REV's (default `HEAD`)? Both are bundled into one child process (see
 * ./child), which times them side by side over the records of section 1; N processes (default 3)
 * give N medians, so their spread shows what the noise is. Separate `npm run bench` runs differ
 * by ±5% on these shared machines, too much to see a change of 2–3%; in one process the same
 * code measured 0.965–1.017x against itself (five processes).
 *
 * Exit codes: 0 compared (faster or not: the figures say), 1 when an outcome differs between the
 * two (a change of speed must not change what is published) or a step failed, 2 on usage error.
 *
 * @example
 * ```sh
 * npm run bench:compare                      # the working tree against HEAD
 * npm run bench:compare -- HEAD~3 --processes 5
 * ```
 */
import { execFileSync } from "node:child_process"
import { mkdirSync, rmSync } from "node:fs"
import path from "node:path"
import { parseArgs } from "node:util"
import { bundleChild } from "@cdc/testkit/Bundle"

const usage = `Usage: npm run bench:compare -- [REV] [--processes N] [--rounds N]
  REV              the revision to compare the working tree with (default HEAD)
  --processes N    child processes, each giving one median (default 3)
  --rounds N       alternating rounds per process (default 60)

Exit codes: 0 compared (the figures say which is faster); 1 an outcome differs between the two,
or a measuring process failed; 2 usage error, or REV's record path cannot be read or bundled.`

const fail = (message: string, code: number): never => {
  process.stderr.write(`bench:compare: ${message}\n`)
  process.exit(code)
}

const parsed = (() => {
  try {
    return parseArgs({
      allowPositionals: true,
      options: { processes: { type: "string", default: "3" }, rounds: { type: "string", default: "60" }, help: { type: "boolean" } }
    })
  } catch (error) {
    return fail(`${(error as Error).message}\n${usage}`, 2)
  }
})()
if (parsed.values.help) {
  process.stdout.write(`${usage}\n`)
  process.exit(0)
}
const processes = Number(parsed.values.processes)
const rounds = Number(parsed.values.rounds)
if (!Number.isInteger(processes) || processes < 1) fail(`--processes takes a whole number, 1 or more\n${usage}`, 2)
if (!Number.isInteger(rounds) || rounds < 1) fail(`--rounds takes a whole number, 1 or more\n${usage}`, 2)
if (parsed.positionals.length > 1) fail(`one revision at most, not ${parsed.positionals.length}\n${usage}`, 2)
const revision = parsed.positionals[0] ?? "HEAD"

const root = path.join("bench", ".build", "compare")
const beforeDir = path.join(root, "before")
rmSync(root, { recursive: true, force: true })
mkdirSync(beforeDir, { recursive: true })
try {
  // the revision's domain sources, as files under the repository (so its imports resolve here)
  const archive = execFileSync("git", ["archive", revision, "packages/domain/src"], { maxBuffer: 64 * 1024 * 1024 })
  execFileSync("tar", ["-x", "-C", beforeDir, "--strip-components=3"], { input: archive })
} catch {
  fail(`cannot read packages/domain/src at ${revision}`, 2)
}
// bundled as section 1's child is, with `before/…` resolved to the revision's copy
const child = await bundleChild(path.join("bench", "compare", "child.ts"), path.join(root, "child.mjs"), {
  alias: { before: path.resolve(beforeDir) }
}).catch(() =>
  // an older revision whose record path has other modules or exports than this tool imports
  fail(`cannot bundle the record path of ${revision} beside the working tree's (too old a revision for this tool?)`, 2)
)

interface Figures {
  readonly differing: number
  readonly beforeVsFloor: number
  readonly oursVsFloor: number
  readonly oursVsBefore: number
}
const results: Array<Figures> = []
for (let i = 0; i < processes; i++) {
  process.stderr.write(`bench:compare: process ${i + 1} of ${processes}…\n`)
  results.push(JSON.parse(execFileSync(process.execPath, [child, String(rounds)], { encoding: "utf8" })) as Figures)
}
const list = (of: (figures: Figures) => number) => results.map((figures) => of(figures).toFixed(3)).join(" ")
process.stdout.write(
  [
    `record path, the working tree against ${revision} (${processes} process(es) × ${rounds} rounds; medians per process)`,
    `  ${revision} vs the floor:   ${list((f) => f.beforeVsFloor)}`,
    `  working tree vs the floor: ${list((f) => f.oursVsFloor)}`,
    `  working tree vs ${revision}:   ${list((f) => f.oursVsBefore)}  (below 1: faster)`,
    ""
  ].join("\n")
)
const differing = results[0]?.differing ?? 0
if (differing > 0)
  fail(
    `${differing.toLocaleString("en-US")} of 2,400 outcomes differ from ${revision}'s: the change alters what is published or rejected`,
    1
  )
