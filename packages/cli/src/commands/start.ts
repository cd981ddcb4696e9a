/**
 * `cdc start` (`npm start`): the whole pipeline on this machine with a live Wallboard; with
 * `--headless --changes N --exit-when-drained`, a run that checks every change arrived and prints
 * a one-line JSON summary. See README.md, "The whole pipeline on your machine".
 *
 * Exit codes: 0 success, 130 stopped with Ctrl-C, 143 with SIGTERM and 129 with SIGHUP (cleanly,
 * each way), 1 changes unaccounted for or a failure, 2 usage error (see the command's description).
 *
 * @example
 * ```sh
 * npx cdc start --port 8787 --rate 100
 * npx cdc start --headless --changes 3000 --exit-when-drained
 * ```
 */
import { sourcePrefixProblem } from "@cdc/domain/SourcePrefix"
import { makeTopology, TopologyError } from "@cdc/topology"
import { Command, Flag } from "effect/cli"
import * as Effect from "effect/Effect"
import * as Option from "effect/Option"
import { claimStateDir } from "../local/LocalEndpoint"
import { defaultLocalRunOptions } from "../local/LocalRunOptions"
import { nonEmpty, usageError } from "./usage"

const d = defaultLocalRunOptions

/** Why the topology of `stage` (and `CDC_SOURCE_PREFIX`) cannot be built, if it cannot. */
const topologyProblemOf = (stage: string): string | undefined => {
  // named as every other invalid variable is (`cdc: invalid configuration: CDC_SOURCE_PREFIX: …`)
  const prefix = process.env.CDC_SOURCE_PREFIX || undefined
  const prefixProblem = prefix === undefined ? undefined : sourcePrefixProblem(prefix)
  if (prefixProblem !== undefined) return `invalid configuration: CDC_SOURCE_PREFIX: ${prefixProblem}`
  try {
    makeTopology({ stage, sourcePrefix: process.env.CDC_SOURCE_PREFIX || undefined })
    return undefined
  } catch (error) {
    return error instanceof TopologyError ? error.message : "the topology could not be built"
  }
}

export const startCommand = Command.make(
  "start",
  {
    // optional rather than defaulted, so that a --port given with --headless (no Wallboard) is told
    port: Flag.Int("port").pipe(Flag.optional, Flag.withDescription(`Wallboard port on 127.0.0.1 (default ${d.port}; 0: any free port)`)),
    headless: Flag.Boolean("headless").pipe(Flag.withDefault(false), Flag.withDescription("Run without the Wallboard")),
    changes: Flag.Int("changes").pipe(Flag.optional, Flag.withDescription("Stop producing after N changes (default: until Ctrl-C)")),
    rate: Flag.Int("rate").pipe(
      Flag.withDefault(d.rate),
      Flag.withDescription(`Changes per second (default ${d.rate}; 0: as fast as the stream accepts)`)
    ),
    seed: Flag.Int("seed").pipe(
      Flag.withDefault(d.seed),
      Flag.withDescription(`Seed of the change simulator (default ${d.seed}; same seed, same changes)`)
    ),
    exitWhenDrained: Flag.Boolean("exit-when-drained").pipe(
      Flag.withDefault(false),
      Flag.withDescription(
        "With --headless and --changes: exit when every change is accounted for (published, dead-lettered, or a DDL control record passed), print a JSON summary"
      )
    ),
    drainTimeout: Flag.Int("drain-timeout").pipe(
      Flag.withDefault(d.drainTimeoutSeconds),
      Flag.withDescription(`Seconds without progress after which draining gives up, exit 1 (default ${d.drainTimeoutSeconds})`)
    ),
    stage: Flag.String("stage").pipe(
      Flag.withDefault(d.stage),
      Flag.withDescription(`Topology stage of the local resources (default ${d.stage})`)
    ),
    stateDir: nonEmpty(Flag.String("state-dir"), "a directory").pipe(
      Flag.withDefault(d.stateDir),
      Flag.withDescription(`Where positions, function logs and local.json are kept (default ${d.stateDir})`)
    )
  },
  (flags) =>
    Effect.gen(function* () {
      const changes = Option.getOrUndefined(flags.changes)
      const port = Option.getOrElse(flags.port, () => d.port)
      const problems: Array<string> = [
        ...(flags.headless && Option.isSome(flags.port) ? ["--port has no effect with --headless, which serves no Wallboard"] : []),
        ...(flags.exitWhenDrained && !(flags.headless && changes !== undefined)
          ? ["--exit-when-drained needs --headless and --changes N"]
          : []),
        ...(changes !== undefined && changes < 1 ? ["--changes must be at least 1"] : []),
        ...(flags.rate < 0 ? ["--rate must be 0 or more"] : []),
        ...(port < 0 || port > 65535 ? ["--port must be between 0 and 65535"] : []),
        ...(flags.drainTimeout < 1 ? ["--drain-timeout must be at least 1 second"] : [])
      ]
      // the stage and source prefix name every resource: refused here, with the topology's reason
      const topologyProblem = topologyProblemOf(flags.stage)
      if (topologyProblem !== undefined) problems.push(topologyProblem)
      if (problems.length > 0) return yield* usageError("start", problems.join("; "))
      // the functions' own settings (CDC_RETRY_*, CDC_BREAKER_*, …), refused before anything starts
      const { functionSettingsConfig } = yield* Effect.promise(() => import("@cdc/functions/Settings"))
      yield* functionSettingsConfig
      // loaded here, not at the top: every other command (and `--help`) starts without it
      const { runLocalPipeline } = yield* Effect.promise(() => import("../local/LocalPipeline"))
      yield* Effect.scoped(
        Effect.gen(function* () {
          // another run on this state dir, from its first second on (see claimStateDir)
          const starting = yield* claimStateDir(flags.stateDir)
          if (starting !== undefined)
            return yield* usageError(
              "start",
              `another \`cdc start\` (pid ${starting}) is running on ${flags.stateDir}; stop it, or pass --state-dir`
            )
          yield* runLocalPipeline({
            stage: flags.stage,
            port,
            headless: flags.headless,
            changes,
            rate: flags.rate,
            seed: flags.seed,
            exitWhenDrained: flags.exitWhenDrained,
            drainTimeoutSeconds: flags.drainTimeout,
            stateDir: flags.stateDir
          })
        })
      )
    })
).pipe(
  Command.withShortDescription("Run the whole pipeline locally on an AWS emulator, with the live Wallboard"),
  Command.withDescription(
    "Run the whole pipeline locally: AWS emulator, topology, CoreDB change simulator, the real processor and DLQ worker, and the live Wallboard. " +
      "Exit 0 when --exit-when-drained finds every change accounted for (or stdout was closed before its first line); " +
      "1 when changes are unaccounted for, the --port is taken or the run fails; 2 on usage error (a bad flag, " +
      "an invalid CDC_* variable, another `cdc start` on the same --state-dir); 130 on Ctrl-C, 143 on SIGTERM, " +
      "129 on SIGHUP, each after a clean stop."
  ),
  Command.withExamples([
    { command: "cdc start --port 8787 --rate 100", description: "the Wallboard on http://127.0.0.1:8787/, 100 changes per second" },
    {
      command: "cdc start --headless --changes 3000 --exit-when-drained",
      description: "check every change arrives: a JSON summary on stdout, exit 1 if any is unaccounted for"
    }
  ])
)
