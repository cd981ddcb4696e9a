import { describe, expect, it } from "vitest"
import { runCli } from "./local/cliProcess"

/** Runs `cdc --wizard`, presses `key` at its first prompt, and returns the exit code and outputs. */
const cancelWizard = async (key: string) => {
  const cli = runCli(["--wizard"], process.env, { stdin: true })
  try {
    await cli.waitForLine(/Command ›/, 60_000, "stderr")
    cli.child.stdin?.write(key)
    return { code: await cli.exited, stdout: cli.stdout(), stderr: cli.stderr() }
  } finally {
    if (cli.child.exitCode === null) cli.child.kill()
  }
}

describe("cdc --wizard", { timeout: 120_000 }, () => {
  it("cancelled with Ctrl+C at a prompt exits 130, as Ctrl-C does everywhere else", async () => {
    const { code, stdout, stderr } = await cancelWizard("\x03")
    // the wizard talks on stderr: stdout is for the command's data
    expect(stderr).toContain("Wizard cancelled.")
    expect(stdout).toBe("")
    expect(code).toBe(130)
  })

  it("cancelled with Escape exits 130 too", async () => {
    const { code, stderr } = await cancelWizard("\x1b")
    expect(stderr).toContain("Wizard cancelled.")
    expect(code).toBe(130)
  })

  it("with its input closed exits 2 and says why, instead of 0 as if a command had run", async () => {
    const cli = runCli(["--wizard"]) // stdin is /dev/null
    expect(await cli.exited).toBe(2)
    expect(cli.stderr()).toContain("Wizard cancelled.")
    expect(cli.stderr()).toContain("input ended before the wizard was answered; --wizard needs a terminal")
  })

  it("answered to the end runs the command and exits 0 with only its data on stdout, even when its input ends with the last answer", async () => {
    const cli = runCli(["--wizard"], process.env, { stdin: true })
    try {
      const answer = async (prompt: RegExp, keys: string) => {
        await cli.waitForLine(prompt, 60_000, "stderr")
        cli.child.stdin?.write(keys)
      }
      await answer(/Command ›/, "\x1b[B") // down to `schema`
      await answer(/❯ schema/, "\r")
      await answer(/Set Out \(--out\)\?/, "\r") // no
      await answer(/Run this command\?/, "\r") // yes
      cli.child.stdin?.end()
      expect(await cli.exited).toBe(0)
      // the catalog alone: `cdc --wizard > catalog.json` must hold valid JSON
      expect(JSON.parse(cli.stdout())).toMatchObject({ schemas: expect.any(Array) })
      expect(cli.stdout()).toContain('"title": "configuration.deleted"')
      expect(cli.stderr()).not.toContain("input ended")
    } finally {
      if (cli.child.exitCode === null) cli.child.kill()
    }
  })
})
