// `npm run typecheck:infra`: type-checks `sst.config.ts` and `stacks/` against SST's real platform
// types, without AWS credentials and without the Pulumi binary (which every other SST command
// downloads first). `sst install` writes `.sst/platform` (SST's component sources and
// `@pulumi/aws`, fetched from the npm registry); it runs once, and again when the `sst` package
// is upgraded. Then `tsc -p tsconfig.infra.json`.
import { existsSync, readFileSync } from "node:fs"
import path from "node:path"
import { fileURLToPath } from "node:url"
import { runStep } from "./runStep.mjs"

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..")
const platform = path.join(root, ".sst", "platform")
const wanted = JSON.parse(readFileSync(path.join(root, "node_modules", "sst", "package.json"), "utf8")).version
const installed = existsSync(path.join(platform, "version")) ? readFileSync(path.join(platform, "version"), "utf8").trim() : undefined

const run = async (label, command, args, env = {}) => {
  process.stderr.write(`▶ ${label}\n`)
  const status = await runStep(command, args, { cwd: root, env: { ...process.env, ...env } })
  if (status !== 0) {
    process.stderr.write(`✖ ${label} failed (exit ${status})\n`)
    process.exit(status)
  }
}

if (installed !== wanted || !existsSync(path.join(platform, "config.d.ts"))) {
  await run(
    `sst install (platform types for sst ${wanted})`,
    process.execPath,
    [path.join(root, "node_modules", "sst", "bin", "sst.mjs"), "install"],
    {
      SST_SKIP_DEPENDENCY_CHECK: "1",
      SST_NO_BUN: "1",
      SST_TELEMETRY_DISABLED: "1",
      SST_STAGE: process.env.SST_STAGE ?? "ci"
    }
  )
}
await run("tsc -p tsconfig.infra.json", process.execPath, [
  path.join(root, "node_modules", "typescript", "bin", "tsc"),
  "-p",
  "tsconfig.infra.json"
])
