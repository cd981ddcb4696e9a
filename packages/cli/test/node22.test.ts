/**
 * `scripts/node22.mjs`, the launcher behind `npm start`, `npm test` and `npx cdc`: a parent that
 * dies without passing its SIGTERM on (npm, npx do) must not leave the program running, a SIGINT
 * sent to the launcher alone must reach the program, and a program killed by a signal must not
 * pass for one that succeeded. And `scripts/runStep.mjs`, how
 * `npm test` and `npm run typecheck:infra` run their steps: a SIGTERM to the script (a CI job's
 * timeout) must stop the step too, and the script must then fail.
 */
import { spawn, spawnSync } from "node:child_process"
import { existsSync, mkdtempSync, readFileSync, writeFileSync } from "node:fs"
import { tmpdir } from "node:os"
import path from "node:path"
import { repoRoot } from "@cdc/testkit/Emulator"
import { describe, expect, it } from "vitest"

const launcher = path.join(repoRoot, "scripts", "node22.mjs")

/** Polls `check` until it holds or `timeoutMs` passes. */
const eventually = async (check: () => boolean, timeoutMs: number) => {
  const deadline = Date.now() + timeoutMs
  while (!check() && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 100))
  return check()
}

describe("node22 launcher", { timeout: 60_000 }, () => {
  it("sends SIGTERM to the program when its own parent dies without passing one on", async () => {
    const dir = mkdtempSync(path.join(tmpdir(), "cdc-node22-"))
    const ready = path.join(dir, "ready")
    const terminated = path.join(dir, "terminated")
    // the program: says it is ready, then records the SIGTERM it is sent and exits
    const program = `require("fs").writeFileSync(${JSON.stringify(ready)}, String(process.pid));
      process.on("SIGTERM", () => { require("fs").writeFileSync(${JSON.stringify(terminated)}, "SIGTERM"); process.exit(0) });
      setInterval(() => {}, 1000)`
    // a parent in place of npx: starts the launcher, then dies of SIGKILL (nothing passed on)
    const npx = spawn(
      process.execPath,
      [
        "-e",
        `require("child_process").spawn(process.execPath, [${JSON.stringify(launcher)}, "-e", ${JSON.stringify(program)}], { stdio: "ignore" }); setInterval(() => {}, 1000)`
      ],
      { stdio: "ignore" }
    )
    expect(await eventually(() => existsSync(ready) && readFileSync(ready, "utf8") !== "", 30_000), "the program started").toBe(true)
    const pid = Number(readFileSync(ready, "utf8"))
    try {
      npx.kill("SIGKILL")
      expect(await eventually(() => existsSync(terminated), 10_000), "the program was sent SIGTERM").toBe(true)
      expect(readFileSync(terminated, "utf8")).toBe("SIGTERM")
    } finally {
      // without the fix the launcher and the program outlive the test: do not leave them behind
      if (!existsSync(terminated)) process.kill(pid, "SIGKILL")
    }
  })

  it("passes a hang-up on as SIGTERM, which our programs stop on with their finalizers", async () => {
    const dir = mkdtempSync(path.join(tmpdir(), "cdc-node22-"))
    const ready = path.join(dir, "ready")
    const received = path.join(dir, "received")
    const program = `require("fs").writeFileSync(${JSON.stringify(ready)}, "1");
      for (const s of ["SIGTERM", "SIGHUP"]) process.on(s, () => { require("fs").writeFileSync(${JSON.stringify(received)}, s); process.exit(0) });
      setInterval(() => {}, 1000)`
    const launched = spawn(process.execPath, [launcher, "-e", program], { stdio: "ignore" })
    try {
      expect(await eventually(() => existsSync(ready), 30_000), "the program started").toBe(true)
      launched.kill("SIGHUP")
      expect(await eventually(() => existsSync(received), 10_000), "the program was signalled").toBe(true)
      expect(readFileSync(received, "utf8")).toBe("SIGTERM")
    } finally {
      launched.kill("SIGKILL")
    }
  })

  it("passes a SIGINT sent to it alone on to the program (a supervisor's `kill -INT`)", async () => {
    // Ctrl-C reaches the program directly (same process group); a SIGINT to the launcher's pid
    // alone used to be swallowed, and the program went on running
    const dir = mkdtempSync(path.join(tmpdir(), "cdc-node22-"))
    const ready = path.join(dir, "ready")
    const received = path.join(dir, "received")
    const program = `require("fs").writeFileSync(${JSON.stringify(ready)}, "1");
      process.on("SIGINT", () => { require("fs").writeFileSync(${JSON.stringify(received)}, "SIGINT"); process.exit(130) });
      setInterval(() => {}, 1000)`
    const launched = spawn(process.execPath, [launcher, "-e", program], { stdio: "ignore" })
    const exited = new Promise<number | null>((resolve) => launched.once("exit", (code) => resolve(code)))
    try {
      expect(await eventually(() => existsSync(ready), 30_000), "the program started").toBe(true)
      launched.kill("SIGINT")
      expect(await eventually(() => existsSync(received), 10_000), "the program was interrupted").toBe(true)
      expect(await exited).toBe(130)
    } finally {
      launched.kill("SIGKILL")
    }
  })

  it("ends as its program ended when a signal killed it, never with exit 0", () => {
    // `npm test` runs the tests through the launcher: a run killed by SIGTERM (a CI runner's
    // timeout) passed for a green one when the launcher's own handlers swallowed the signal
    for (const [signal, code] of [
      ["SIGTERM", 143],
      ["SIGHUP", 129],
      ["SIGINT", 130]
    ] as const) {
      const result = spawnSync(process.execPath, [launcher, "-e", `process.kill(process.pid, "${signal}")`], { timeout: 30_000 })
      expect(result.signal === signal || result.status === code, `${signal}: status ${result.status}, signal ${result.signal}`).toBe(true)
    }
    expect(spawnSync(process.execPath, [launcher, "-e", "process.exit(3)"], { timeout: 30_000 }).status).toBe(3)
  })
})

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
