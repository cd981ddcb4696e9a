/**
 * The `cdc` command: one subcommand per module under `./commands`. Run by `bin/cdc.mjs`
 * (`npx cdc …`) under Node 22 with tsx, no build step.
 *
 * Exit codes: 0 success, 2 usage error (unknown flag or subcommand, missing or invalid
 * argument, an invalid `CDC_*` environment variable, a `--wizard` whose input ended before it
 * was answered), 130 interrupted (Ctrl-C, or a quit key that cancelled `--wizard`), 143 stopped
 * by SIGTERM (a service manager, `kill`, a CI runner's timeout) and 129 by SIGHUP (the terminal
 * closed), finalizers run as for Ctrl-C; 1 any other failure. Logs and errors go to stderr; stdout is for data.
 *
 * @example
 * ```sh
 * npx cdc --help
 * npx cdc dry-run examples/changes.ndjson
 * ```
 */
import { Console as NodeConsole } from "node:console"
import { AwsError } from "@cdc/aws/AwsError"
import { configProblem } from "@cdc/pipeline/ConfigProblem"
import * as NodeRuntime from "@effect/platform-node/NodeRuntime"
import * as NodeServices from "@effect/platform-node/NodeServices"
import * as Cause from "effect/Cause"
import * as Config from "effect/Config"
import * as Console from "effect/Console"
import { CliError, CliOutput, Command } from "effect/cli"
import * as Effect from "effect/Effect"
import type * as Exit from "effect/Exit"
import { awsHint } from "./AwsHints"
import { dlqCommand } from "./commands/dlq"
import { dryRunCommand } from "./commands/dryRun"
import { replayCommand } from "./commands/replay"
import { schemaCommand } from "./commands/schema"
import { startCommand } from "./commands/start"
import { helpFormatterLayer } from "./HelpFormatter"
import { makeQuitKeys } from "./QuitKeys"

/** Every subcommand; each lives in its own module under `./commands`. */
const subcommands = [dryRunCommand, schemaCommand, dlqCommand, startCommand, replayCommand] as const

export const cdc = Command.make("cdc").pipe(
  Command.withDescription(
    "CDC pipeline tools: dry-run records, the event schema catalog, the DLQ (list, show, redrive), the local pipeline (start) and replay."
  ),
  Command.withSubcommands(subcommands),
  Command.withExamples([
    { command: "cdc dry-run examples/changes.ndjson > entries.ndjson", description: "the entries NDJSON records would become" },
    { command: "cdc start --headless --changes 2000 --exit-when-drained", description: "does every change arrive?" },
    { command: "cdc dlq list --help", description: "each subcommand's flags and examples" }
  ])
)

/**
 * An error's line on stderr, with what to do when that is known. Every line starts with `cdc`
 * (the commands' own errors name the command, `cdc replay: …`), so that in a script's log it is
 * clear whose line it is; an AWS call's error names the service and operation.
 */
const errorLine = (error: unknown): string => {
  if (error instanceof Config.ConfigError) return `cdc: invalid configuration: ${configProblem(error.cause.message)}`
  const hint = error instanceof AwsError ? awsHint(error.code) : undefined
  const line = `${error instanceof Error ? error.message : String(error)}${hint === undefined ? "" : ` (${hint})`}`
  return /^cdc[ :]/.test(line) ? line : `cdc: ${line}`
}

/** The CLI's own errors are usage errors, a missing subcommand (`cdc`, `cdc dlq`: help shown) included. */
const isUsageError = (error: unknown): boolean => CliError.isCliError(error) && error._tag !== "UserError"

/**
 * A defect (a bug of ours, not a failure the commands model) is named on stderr, exit 1. Its
 * message is printed only with `CDC_DEBUG=1`: an unexpected error may quote the input it choked on.
 */
const reportDefect = (defect: unknown) =>
  Effect.sync(() => {
    process.exitCode = 1
    const name = defect instanceof Error ? defect.name : typeof defect
    const detail =
      process.env.CDC_DEBUG === "1"
        ? `\n${defect instanceof Error ? (defect.stack ?? defect.message) : String(defect)}`
        : " (CDC_DEBUG=1 shows it)"
    process.stderr.write(`cdc: unexpected error: ${name}${detail}\n`)
  })

/**
 * `cdc dry-run | head`: a closed stdout is the reader's choice, not a failure: the command stops
 * there (see {@link readerGone}) and exits 0. Any other error of stdout (`cdc schema > /dev/full`)
 * means the data did not arrive: the command exits 1 (see `exitCode`), whether or not the command
 * itself noticed.
 */
let stdoutError: string | undefined
let stdoutClosed = false
let onStdoutClosed: (() => void) | undefined
process.stdout.on("error", (error: NodeJS.ErrnoException) => {
  if (error.code !== "EPIPE") stdoutError ??= error.code ?? "EIO"
  else if (!stdoutClosed) {
    stdoutClosed = true
    onStdoutClosed?.()
  }
})

/**
 * Completes when the reader closes stdout. Raced against the command, it stops the command by
 * interruption, so its finalizers run (`cdc start | true` stops the emulator it started) before
 * the process exits 0; `process.exit` there would leave them unrun.
 */
const readerGone = Effect.callback<void>((resume) => {
  if (stdoutClosed) resume(Effect.void)
  else onStdoutClosed = () => resume(Effect.void)
})

/**
 * `cdc start` writes one line to stdout when it starts (the Wallboard's address): when that line
 * finds stdout closed, the run stops, and says why on stderr, since nothing else would. Through
 * npm, the usual cause is npm's own banner on stdout, which `npm start | head -1` reads instead.
 */
const isStart = process.argv.slice(2).find((arg) => !arg.startsWith("-")) === "start"
let stoppedByReader = false
const startStopped = Effect.sync(() => {
  process.stderr.write(
    "cdc start: stdout was closed before its first line could be written, so the run stops (through npm, use `npm start --silent`: npm writes its own banner to stdout first)\n"
  )
})

/** The process's exit code, once a write error of stdout (emitted a tick after the write) had its chance. */
const exitCode = (code: number, onExit: (code: number) => void) =>
  setImmediate(() => {
    if (code === 0 && stdoutError !== undefined) {
      process.stderr.write(`cdc: cannot write stdout (${stdoutError})\n`)
      onExit(1)
    } else onExit(code)
  })

/**
 * Help shown for a usage error (a bad flag, a missing subcommand) goes to stderr with the error:
 * stdout carries data, and `cdc … --json > out.json` must not fill the file with help text.
 * Asked for with `--help`, help is the output, on stdout.
 */
const presenter = CliOutput.layerPresenter({
  present: (event) =>
    event._tag === "InvalidInvocation" || (event._tag === "Help" && event.reason === "Implicit")
      ? Effect.gen(function* () {
          const formatter = yield* CliOutput.Formatter
          yield* Console.error(formatter.formatHelpDoc(event.helpDoc))
          if (event._tag === "InvalidInvocation") yield* Console.error(formatter.formatErrors(event.errors))
          // `cdc`, `cdc dlq`: say why the help came (and the exit is 2), not the help alone
          else yield* Console.error(`${event.commandPath.join(" ")}: a subcommand is required`)
        })
      : CliOutput.defaultPresenter.present(event)
})

const program = Command.run(cdc, { version: "0.1.0" }).pipe(
  Effect.catch((error) =>
    Effect.sync(() => {
      process.exitCode = isUsageError(error) || error instanceof Config.ConfigError ? 2 : 1
      // usage errors were rendered by the CLI; our own errors are one line on stderr (never stdout)
      if (!CliError.isCliError(error)) process.stderr.write(`${errorLine(error)}\n`)
    })
  ),
  Effect.catchDefect(reportDefect),
  (command) =>
    Effect.raceFirst(
      command,
      Effect.andThen(
        readerGone,
        Effect.sync(() => {
          stoppedByReader = true
        })
      )
    ),
  // after the race, so after the command's finalizers: until then, `cdc start` sends this
  // process's stderr to the functions' log file
  Effect.tap(() => (isStart && stoppedByReader ? startStopped : Effect.void))
)

const quitKeys = makeQuitKeys()

/**
 * Under `--wizard`, the wizard's own text (its sections, the command it built, "Wizard
 * cancelled.") goes to stderr beside its prompts: stdout is the command's data, so that
 * `cdc --wizard > catalog.json` holds only the catalog.
 */
const withWizardConsole = <A, E, R>(effect: Effect.Effect<A, E, R>) =>
  process.argv.includes("--wizard")
    ? Effect.provideService(effect, Console.Console, new NodeConsole(process.stderr, process.stderr))
    : effect

/**
 * The runtime interrupts the program on SIGINT and SIGTERM alike; which one it was is noted here
 * so that a stop by SIGTERM ends as 143 (128 + 15), as a shell reports it, and not as Ctrl-C.
 * SIGHUP (a closed terminal hangs up the whole job, this process too, not only the launcher)
 * would kill Node on the spot, finalizers unrun: `cdc start`'s emulator, lock and `local.json`
 * left behind. It stops the program as SIGTERM does, and ends as 129.
 */
let stoppedBy: "SIGTERM" | "SIGHUP" | undefined
process.once("SIGTERM", () => {
  stoppedBy ??= "SIGTERM"
})
process.on("SIGHUP", () => {
  stoppedBy ??= "SIGHUP"
  process.kill(process.pid, "SIGTERM")
})
const signalExitCodes = { SIGTERM: 143, SIGHUP: 129 } as const

/**
 * Ctrl-C (an interruption only, every finalizer run) exits 130, the shell's convention for
 * SIGINT; so does a wizard cancelled with a quit key, which the CLI ends as a success. SIGTERM
 * exits 143, SIGHUP 129. A wizard whose stdin ended under a prompt (nobody there to answer) is a usage error.
 */
const exitCodeOf = (exit: Exit.Exit<unknown, unknown>): number => {
  if (exit._tag === "Failure") return Cause.hasInterruptsOnly(exit.cause) ? (stoppedBy === undefined ? 130 : signalExitCodes[stoppedBy]) : 1
  if (quitKeys.pressed()) return 130
  if (quitKeys.inputEnded()) {
    process.stderr.write("cdc: input ended before the wizard was answered; --wizard needs a terminal (see cdc --help)\n")
    return 2
  }
  return (process.exitCode as number | undefined) ?? 0
}

NodeRuntime.runMain(
  program.pipe(withWizardConsole, Effect.provide(quitKeys.layer), Effect.provide([presenter, helpFormatterLayer, NodeServices.layer])),
  {
    disableErrorReporting: true,
    teardown: (exit, onExit) => exitCode(exitCodeOf(exit), onExit)
  }
)
