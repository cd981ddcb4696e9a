// `npm test`: everything a change must pass, in the order that fails fastest: format and lint,
// type-check of the whole workspace, then every vitest project (unit, integration). Extra
// arguments go to vitest (e.g. `npm test -- --project unit`).
import path from "node:path"
import { fileURLToPath } from "node:url"
import { runStep } from "./runStep.mjs"

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..")
const bin = (p) => path.join(root, "node_modules", p)
const steps = [
  ["lint", [bin("@biomejs/biome/bin/biome"), "check", "."]],
  ["typecheck", [bin("typescript/bin/tsc"), "-p", "tsconfig.json"]],
  ["vitest", [bin("vitest/vitest.mjs"), "run", ...process.argv.slice(2)]]
]
for (const [name, args] of steps) {
  process.stderr.write(`\n▶ ${name}\n`)
  const started = Date.now()
  const status = await runStep(process.execPath, args, { cwd: root })
  if (status !== 0) {
    process.stderr.write(`✖ ${name} failed (exit ${status})\n`)
    process.exit(status)
  }
  process.stderr.write(`✔ ${name} (${((Date.now() - started) / 1000).toFixed(1)} s)\n`)
}
