/**
 * Runs the real `cdc` CLI as a child process (Node 22 + tsx, like `npx cdc`), for end-to-end
 * tests (the local pipeline's, the wizard's, dry-run's signals and pipes). Output is collected;
 * `interrupt` sends SIGINT (Ctrl-C) and waits. Stdin is closed unless `stdin: true` asks for a
 * pipe to type into.
 */
import { type ChildProcess, spawn } from "node:child_process"
import path from "node:path"
import { repoRoot } from "@cdc/testkit/Emulator"

export interface CliProcess {
  readonly child: ChildProcess
  readonly stdout: () => string
  readonly stderr: () => string
  /** Resolves with the exit code (null when killed by a signal). */
  readonly exited: Promise<number | null>
  /** Resolves with the first stdout line matching `pattern`. */
  /** Waits until stdout (or `on` stderr) holds `pattern`. */
  readonly waitForLine: (pattern: RegExp, timeoutMs: number, on?: "stdout" | "stderr") => Promise<RegExpMatchArray>
  readonly interrupt: () => Promise<number | null>
}

export const runCli = (
  args: ReadonlyArray<string>,
  env: NodeJS.ProcessEnv = process.env,
  options: { readonly stdin?: boolean } = {}
): CliProcess => {
  const main = path.join(repoRoot, "packages", "cli", "src", "main.ts")
  const child = spawn(process.execPath, ["--import", "tsx", main, ...args], {
    cwd: repoRoot,
    env,
    stdio: [options.stdin === true ? "pipe" : "ignore", "pipe", "pipe"]
  })
  let out = ""
  let err = ""
  child.stdout?.on("data", (chunk: Buffer) => {
    out += chunk.toString()
  })
  child.stderr?.on("data", (chunk: Buffer) => {
    err += chunk.toString()
  })
  const exited = new Promise<number | null>((resolve) => child.once("exit", (code) => resolve(code)))
  const waitForLine = async (pattern: RegExp, timeoutMs: number, on: "stdout" | "stderr" = "stdout") => {
    const deadline = Date.now() + timeoutMs
    for (;;) {
      const match = (on === "stdout" ? out : err).match(pattern)
      if (match) return match
      if (child.exitCode !== null) throw new Error(`cdc exited (${child.exitCode}) before printing ${pattern}:\n${err.slice(-2000)}`)
      if (Date.now() > deadline) throw new Error(`cdc did not print ${pattern} within ${timeoutMs} ms:\n${err.slice(-2000)}`)
      await new Promise((r) => setTimeout(r, 100))
    }
  }
  return {
    child,
    stdout: () => out,
    stderr: () => err,
    exited,
    waitForLine,
    interrupt: async () => {
      if (child.exitCode === null) child.kill("SIGINT")
      return exited
    }
  }
}
