import { describe, expect, it } from "vitest"
import { runCli } from "./local/cliProcess"

/** Runs `cdc --wizard`, presses `key` at its first prompt, and returns the exit code and stdout. */
const cancelWizard = async (key: string) => {
  const cli = runCli(["--wizard"], process.env, { stdin: true })
  try {
    await cli.waitForLine(/Command ›/, 60_000)
    cli.child.stdin?.write(key)
    return { code: await cli.exited, stdout: cli.stdout() }
  } finally {
    if (cli.child.exitCode === null) cli.child.kill()
  }
}

describe("cdc --wizard", { timeout: 120_000 }, () => {
  it("cancelled with Ctrl+C at a prompt exits 130, as Ctrl-C does everywhere else", async () => {
    const { code, stdout } = await cancelWizard("\x03")
    expect(stdout).toContain("Wizard cancelled.")
    expect(code).toBe(130)
  })

  it("cancelled with Escape exits 130 too", async () => {
    const { code, stdout } = await cancelWizard("\x1b")
    expect(stdout).toContain("Wizard cancelled.")
    expect(code).toBe(130)
  })
})
