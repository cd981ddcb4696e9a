/**
 * `scripts/runStep.mjs`, how `npm test` and `npm run typecheck:infra` run their steps: a SIGTERM
 * to the script (a CI job's timeout) must stop the step too, not leave it running, and the script
 * must then fail.
 */
import { spawn } from "node:child_process"
import { existsSync, mkdtempSync, readFileSync, writeFileSync } from "node:fs"
import { tmpdir } from "node:os"
import path from "node:path"
import { repoRoot } from "@cdc/testkit/Emulator"
import { describe, expect, it } from "vitest"

const eventually = async (check: () => boolean, timeoutMs: number) => {
  const deadline = Date.now() + timeoutMs
  while (!check() && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 100))
  return check()
}

describe("runStep", { timeout: 60_000 }, () => {
  it("passes a SIGTERM on to the running step and ends with the step's status, not before it", async () => {
    const dir = mkdtempSync(path.join(tmpdir(), "cdc-run-step-"))
    const ready = path.join(dir, "ready")
    const stopped = path.join(dir, "stopped")
    // the step: says it is ready, and on SIGTERM records it and exits 143 after a moment's cleanup
    const step = `require("fs").writeFileSync(${JSON.stringify(ready)}, "1");
      process.on("SIGTERM", () => setTimeout(() => { require("fs").writeFileSync(${JSON.stringify(stopped)}, "SIGTERM"); process.exit(143) }, 200));
      setInterval(() => {}, 1000)`
    const script = path.join(dir, "script.mjs")
    writeFileSync(
      script,
      `import { runStep } from ${JSON.stringify(path.join(repoRoot, "scripts", "runStep.mjs"))}
       const status = await runStep(process.execPath, ["-e", ${JSON.stringify(step)}])
       process.exit(status === 0 ? 0 : 1)`
    )
    const run = spawn(process.execPath, [script], { stdio: "ignore" })
    const exited = new Promise<number | null>((resolve) => run.once("exit", (code) => resolve(code)))
    expect(await eventually(() => existsSync(ready), 30_000), "the step started").toBe(true)
    run.kill("SIGTERM")
    expect(await exited).toBe(1)
    expect(existsSync(stopped) && readFileSync(stopped, "utf8")).toBe("SIGTERM")
  })
})
