/**
 * `cdc start --port N` with N taken: refused at once (exit 1, "choose another port"), before
 * the emulator is started or anything is provisioned, not after the whole start-up. And a
 * stdout closed before the Wallboard's address is written (`npm start | head -1` reads npm's
 * banner and goes): the run stops, exit 0, saying why on stderr.
 */
import { existsSync, mkdtempSync } from "node:fs"
import { createServer } from "node:net"
import { tmpdir } from "node:os"
import path from "node:path"
import { describe, expect, it } from "vitest"
import { runCli } from "./cliProcess"

describe("cdc start before its first line", () => {
  it("exits 1 naming the port before starting the emulator", { timeout: 120_000 }, async () => {
    const taken = createServer()
    const port = await new Promise<number>((resolve) =>
      taken.listen(0, "127.0.0.1", () => resolve((taken.address() as { port: number }).port))
    )
    try {
      // a state dir that does not exist yet: the refused run leaves none behind
      const stateDir = path.join(mkdtempSync(path.join(tmpdir(), "cdc-port-")), "state")
      const stage = `port${Date.now().toString(36)}`
      const cli = runCli(["start", "--port", String(port), "--stage", stage, "--state-dir", stateDir])
      expect(await cli.exited, cli.stderr()).toBe(1)
      expect(cli.stderr()).toContain(`the Wallboard could not listen on 127.0.0.1:${port} (EADDRINUSE); choose another port with --port`)
      // the emulator (the shared one of AWS_ENDPOINT_URL here: it says so when used) and provisioning never came
      expect(cli.stderr()).not.toContain("[emulator]")
      expect(cli.stderr()).not.toContain("provisioned")
      expect(cli.stdout()).toBe("")
      expect(existsSync(stateDir), "the state dir the refused run created is gone").toBe(false)
    } finally {
      await new Promise((resolve) => taken.close(resolve))
    }
  })

  it("a stdout closed before its first line stops the run, exit 0, saying why", { timeout: 120_000 }, async () => {
    const stateDir = mkdtempSync(path.join(tmpdir(), "cdc-closed-"))
    const stage = `closed${Date.now().toString(36)}`
    const cli = runCli(["start", "--port", "0", "--stage", stage, "--state-dir", stateDir])
    cli.child.stdout?.destroy()
    expect(await cli.exited, cli.stderr()).toBe(0)
    expect(cli.stderr()).toContain("cdc start: stdout was closed before its first line could be written, so the run stops")
    expect(cli.stderr()).toContain("npm start --silent")
  })
})
