// One step of a script (`scripts/test.mjs`, `scripts/typecheck-infra.mjs`) as a child process;
// also how the launcher (`scripts/node22.mjs`) runs its program.
//
// The step must not outlive the script: with `spawnSync`, a SIGTERM (a CI job's timeout, the
// launcher passing one on) killed the script at once and left the step (tsc, vitest and its
// emulator) running. So the step runs asynchronously, SIGTERM and SIGHUP are passed on to it as
// SIGTERM, and Ctrl-C, which reaches the step directly (same process group), is left to it, unless
// `forwardInterrupt` is set (the launcher: a SIGINT sent to it alone, by a supervisor or `kill -INT`,
// must stop the program; the one Ctrl-C also sends it directly is a second interruption, which an
// Effect program ignores). A step ended by a signal counts as 128 + the signal's number, the shell's
// convention, never as 0.
//
//   const status = await runStep(process.execPath, ["node_modules/typescript/bin/tsc"], { cwd: root })
import { spawn } from "node:child_process"
import { constants } from "node:os"

/**
 * Runs `command` with `args` (stdio inherited) and resolves with its exit status; `started` is
 * given the child process (the launcher watches its own parent with it). `options` are `spawn`'s,
 * plus `forwardInterrupt`.
 */
export function runStep(command, args, options = {}, started = () => {}) {
  const { forwardInterrupt = false, ...spawnOptions } = options
  return new Promise((resolve) => {
    const child = spawn(command, args, { stdio: "inherit", ...spawnOptions })
    started(child)
    const terminate = () => child.kill("SIGTERM")
    const interrupt = forwardInterrupt ? () => child.kill("SIGINT") : () => {}
    process.on("SIGTERM", terminate)
    process.on("SIGHUP", terminate)
    process.on("SIGINT", interrupt)
    const done = (status) => {
      process.off("SIGTERM", terminate)
      process.off("SIGHUP", terminate)
      process.off("SIGINT", interrupt)
      resolve(status)
    }
    child.once("error", (error) => {
      process.stderr.write(`cannot run ${command}: ${error.message}\n`)
      done(127)
    })
    child.once("exit", (code, signal) => done(signal ? 128 + (constants.signals[signal] ?? 0) : (code ?? 1)))
  })
}
