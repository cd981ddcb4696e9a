import { spawnSync } from "node:child_process"
import path from "node:path"
import { describe, expect, it } from "vitest"

const bin = path.resolve(import.meta.dirname, "..", "src", "bin", "emulator.ts")
const emulator = (args: ReadonlyArray<string>) =>
  spawnSync(process.execPath, ["--import", "tsx", bin, ...args], { encoding: "utf8", timeout: 60_000 })

describe("npm run emulator, before it starts anything", { timeout: 120_000 }, () => {
  it("--help prints its usage and exits 0; an unknown option or a bad --port exits 2 naming it", () => {
    const help = emulator(["--help"])
    expect(help.status).toBe(0)
    expect(help.stdout).toContain("usage: npm run emulator -- [--port N]")
    const unknown = emulator(["--nope"])
    expect(unknown.status).toBe(2)
    expect(unknown.stderr).toContain("Unknown option '--nope'")
    // decimal digits only: "1e4" and "0x50" are numbers to JavaScript, and would have bound 10000 and 80
    for (const bad of ["abc", "0", "65536", "1e4", "0x50", " 80", "-1"]) {
      const port = emulator([`--port=${bad}`])
      expect(port.status, bad).toBe(2)
      expect(port.stderr).toContain("--port takes a port number, 1 to 65535")
    }
  })
})
