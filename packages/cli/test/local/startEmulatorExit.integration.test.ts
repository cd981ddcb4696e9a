/**
 * `cdc start` without `AWS_ENDPOINT_URL` starts an emulator of its own. When that emulator dies
 * under the run (killed, crashed), the run ends (exit 1) saying so, instead of with the
 * connection-refused hint of the next failed call, which names an `AWS_ENDPOINT_URL` the user
 * never set.
 */
import { mkdtempSync, readdirSync, readFileSync } from "node:fs"
import { tmpdir } from "node:os"
import path from "node:path"
import { describe, expect, it } from "vitest"
import { runCli } from "./cliProcess"

/** The pids of `parent`'s children whose command line holds `holding` (read from /proc). */
const childrenOf = (parent: number, holding: string): ReadonlyArray<number> =>
  readdirSync("/proc")
    .filter((entry) => /^\d+$/.test(entry))
    .flatMap((entry) => {
      try {
        // the parent pid is the fourth field, after the command in parentheses
        const stat = readFileSync(`/proc/${entry}/stat`, "utf8")
        const parentPid = Number(stat.slice(stat.lastIndexOf(")") + 2).split(" ")[1])
        const command = readFileSync(`/proc/${entry}/cmdline`, "utf8")
        return parentPid === parent && command.includes(holding) ? [Number(entry)] : []
      } catch {
        return [] // gone meanwhile
      }
    })

describe.skipIf(process.platform !== "linux")("cdc start when its own emulator exits", () => {
  it("ends the run with exit 1, naming that emulator, not AWS_ENDPOINT_URL", { timeout: 180_000 }, async () => {
    const stateDir = mkdtempSync(path.join(tmpdir(), "cdc-emulator-exit-"))
    const { AWS_ENDPOINT_URL: _shared, ...env } = process.env
    const cli = runCli(["start", "--headless", "--rate", "5", "--stage", `gone${Date.now().toString(36)}`, "--state-dir", stateDir], env)
    try {
      await cli.waitForLine(/provisioned/, 150_000, "stderr")
      const moto = childrenOf(cli.child.pid as number, "motoServer")
      expect(moto, "the run's own emulator").toHaveLength(1)
      process.kill(moto[0] as number, "SIGKILL")
      expect(await cli.exited, cli.stderr()).toBe(1)
      expect(cli.stderr()).toContain(`the emulator this run started (pid ${moto[0]}) exited unexpectedly`)
      expect(cli.stderr()).not.toContain("AWS_ENDPOINT_URL")
    } finally {
      if (cli.child.exitCode === null) cli.child.kill("SIGKILL")
    }
  })
})
