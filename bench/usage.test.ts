/**
 * The developer tools' usage errors: refused at once (exit 2) with the reason, before any
 * measuring starts or any result file is written.
 */
import { spawnSync } from "node:child_process"
import { describe, expect, it } from "vitest"

const run = (script: string, args: ReadonlyArray<string>) =>
  spawnSync(process.execPath, ["--import", "tsx", script, ...args], { encoding: "utf8", timeout: 60_000 })

describe("bench and bench:compare usage", { timeout: 120_000 }, () => {
  it("npm run bench refuses an --only that is not a list of section numbers, instead of running nothing", () => {
    for (const only of ["1.5", "6", "abc"]) {
      const result = run("bench/main.ts", ["--only", only, "--json", "/nonexistent/never-written.json"])
      expect(result.status, only).toBe(2)
      expect(result.stderr).toContain("--only takes section numbers 1 to 5")
    }
  })

  it("npm run bench:compare names the argument it refuses", () => {
    const processes = run("bench/compare/main.ts", ["--processes", "0"])
    expect(processes.status).toBe(2)
    expect(processes.stderr).toContain("--processes takes a whole number, 1 or more")
    const rounds = run("bench/compare/main.ts", ["--rounds", "1.5"])
    expect(rounds.status).toBe(2)
    expect(rounds.stderr).toContain("--rounds takes a whole number, 1 or more")
    const help = run("bench/compare/main.ts", ["--help"])
    expect(help.status).toBe(0)
    expect(help.stdout).toContain("Exit codes:")
  })
})
