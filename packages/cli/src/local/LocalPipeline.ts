/**
 * The whole pipeline on this machine (`cdc start`): the emulator, the topology provisioned on it,
 * the change simulator writing to the stream, the event source pollers invoking the real
 * processor and DLQ worker, the consumers of the bus's queues, and the Wallboard.
 *
 * Everything runs in one scope: Ctrl-C (interruption) stops the pollers, saves their positions,
 * closes the Wallboard, stops the emulator this run started, and gives the terminal back.
 *
 * @example
 * ```ts
 * const summary = yield* runLocalPipeline({ ...defaultLocalRunOptions, headless: true, changes: 3000, exitWhenDrained: true })
 * summary.unaccounted // 0
 * ```
 */
import path from "node:path"
import { emulatorEnv, startEmulator } from "@cdc/testkit/Emulator"
import { makeTopology } from "@cdc/topology"
import * as Clock from "effect/Clock"
import * as Data from "effect/Data"
import * as Deferred from "effect/Deferred"
import * as Effect from "effect/Effect"
import * as Fiber from "effect/Fiber"
import * as Random from "effect/Random"
import { makeChangeSimulator } from "./ChangeSimulator"
import { startEventSourceMappings } from "./EventSourceMappings"
import { captureFunctionLogs } from "./FunctionLogs"
import { loadFunctions } from "./Functions"
import { makeLedger } from "./Ledger"
import { makeLiveStats } from "./LiveStats"
import { makeClients } from "./LocalAws"
import { announceLocalEndpoint, StateDirError } from "./LocalEndpoint"
import type { LocalRunOptions } from "./LocalRunOptions"
import { openPositionStore } from "./PositionStore"
import { formatCount, type Progress, scopedProgress } from "./Progress"
import { provision } from "./Provision"
import type { BackgroundError, Running } from "./Running"
import { dlqLeftNote, drain, type RunClock, summarize, UnaccountedChangesError } from "./RunSummary"
import { putAll } from "./StreamWriter"
import { serveWallboard } from "./WallboardServer"

/** The emulator could not be started (e.g. Python 3 missing): its message says what to do. */
export class EmulatorStartError extends Data.TaggedError("EmulatorStartError")<{ readonly problem: string }> {
  readonly category = "configuration" as const
  readonly retryable = false
  override get message(): string {
    return this.problem
  }
}

/**
 * The emulator this run started exited while the run went on (killed, crashed): every AWS call
 * would now fail with a connection refused, whose hint (is the emulator of AWS_ENDPOINT_URL
 * running?) would point at a variable the user never set.
 */
export class EmulatorExitedError extends Data.TaggedError("EmulatorExitedError")<{ readonly pid: number | undefined }> {
  readonly category = "transient" as const
  readonly retryable = false
  override get message(): string {
    const which = this.pid === undefined ? "" : ` (pid ${this.pid})`
    return `the emulator this run started${which} exited unexpectedly, and what it held went with it: run \`cdc start\` again, which starts a new one`
  }
}

/** Writes the simulator's changes to the stream: `options.changes` of them (or until interrupted), at `options.rate` per second. */
export const producer = (running: Running) =>
  Effect.gen(function* () {
    const { options, clients, provisioned, ledger, stats } = running
    const simulator = makeChangeSimulator()
    const chunk = options.rate > 0 ? Math.max(1, Math.round(options.rate / 4)) : 500
    let produced = 0
    while (options.changes === undefined || produced < options.changes) {
      const started = yield* Clock.currentTimeMillis
      const count = options.changes === undefined ? chunk : Math.min(chunk, options.changes - produced)
      const records = yield* simulator.next(count)
      const placed = yield* putAll(clients.kinesis, { streamName: provisioned.stream.name }, records)
      ledger.produced(records, placed)
      for (const record of records) stats.produced(record.kind, 1)
      produced += count
      if (options.rate > 0) {
        const elapsed = (yield* Clock.currentTimeMillis) - started
        yield* Effect.sleep(Math.max(0, (count / options.rate) * 1000 - elapsed))
      }
    }
  }).pipe(Random.withSeed(running.options.seed))

/**
 * The progress bar's detail, after the count of changes produced (`cdc produced 2,815 · …`),
 * every count with thousands separators as that one. `published` counts this run's changes, as
 * the summary does; events of records this run did not produce (`cdc replay`, `cdc dlq redrive`
 * of an earlier run's failures) are counted apart. `dlq` counts the messages that reached the DLQ (the summary's
 * `dlq.total`), `queued` the messages waiting on the consumer queues (the consumer lag), and
 * `dlq depth` those waiting on the DLQ for its worker, which are no consumer's lag.
 *
 * @example
 * ```ts
 * progressLine(running, now) // "published 2,253 · other events 7 · dlq 29 · retried 0 · queued 3 · dlq depth 7"
 * ```
 */
export const progressLine = (running: Running, now: number): string => {
  const s = running.stats.snapshot(now)
  const lag = Object.values(s.lag.queues).reduce((a, b) => a + b, 0)
  const published = running.ledger.publishedCount()
  const other = s.totals.published - published
  const n = formatCount
  return `published ${n(published)}${other > 0 ? ` · other events ${n(other)}` : ""} · dlq ${n(s.totals.dlq)} · retried ${n(s.totals.retries)} · queued ${n(lag)} · dlq depth ${n(s.dlqDepth)}`
}

/**
 * Runs the local pipeline. Headless with `exitWhenDrained`, it returns the summary once every
 * change is accounted for (failing with {@link UnaccountedChangesError} otherwise); in every
 * other mode it runs until interrupted.
 */
export const runLocalPipeline = (options: LocalRunOptions) =>
  Effect.scoped(
    Effect.gen(function* () {
      const startedAt = yield* Clock.currentTimeMillis
      // first, before the emulator is started: an unusable state directory stops the run here
      const logs = yield* Effect.acquireRelease(
        Effect.try({
          try: () => captureFunctionLogs(path.join(options.stateDir, "logs", "functions.log")),
          catch: (cause) => new StateDirError({ stateDir: options.stateDir, code: (cause as NodeJS.ErrnoException).code ?? "EIO" })
        }),
        (captured) => Effect.promise(captured.restore)
      )
      const say = (line: string) => logs.terminal.err(`${line}\n`)
      // the Wallboard's port is bound before the emulator starts: a taken --port fails at once,
      // not after the whole start-up (its address is printed once the pipeline runs, below)
      const stats = makeLiveStats({ runStartedAt: startedAt })
      const wallboard = options.headless ? undefined : yield* serveWallboard({ port: options.port, stats })
      const emulator = yield* Effect.acquireRelease(
        Effect.tryPromise({
          try: () => startEmulator({ log: (line) => say(`[emulator] ${line}`) }),
          catch: (cause) => new EmulatorStartError({ problem: cause instanceof Error ? cause.message : String(cause) })
        }),
        (started) => Effect.promise(started.stop)
      )
      Object.assign(process.env, emulatorEnv(emulator.endpoint))
      const region = process.env.AWS_REGION ?? "us-east-1"
      const topology = makeTopology({ stage: options.stage, sourcePrefix: process.env.CDC_SOURCE_PREFIX || undefined })
      const clients = makeClients()
      const provisioned = yield* provision(clients, topology, region)
      say(
        `provisioned ${topology.names.prefix}-* (stream, state table, bus, ${topology.rules.length} rules, queues, DLQ, archive bucket, alert topic)`
      )
      // a handler that throws goes to the functions' log, as Lambda's runtime writes it to
      // CloudWatch; the terminal is told once per function (it cannot start: every batch fails)
      const failedFunctions = new Set<string>()
      const functions = yield* loadFunctions(topology, provisioned, {
        onOverrun: (overrun) => say(`warning: ${overrun.message}`),
        onError: (failure) => {
          process.stderr.write(`${failure.logLine}\n`)
          if (failedFunctions.has(failure.functionName)) return
          failedFunctions.add(failure.functionName)
          say(`warning: ${failure.message} (its batches are retried; every failure is in ${logs.file})`)
        }
      })
      yield* announceLocalEndpoint(options.stateDir, {
        endpoint: emulator.endpoint,
        stream: provisioned.stream.name,
        archiveBucket: provisioned.archiveBucket.name,
        region
      })
      const positions = openPositionStore(
        path.join(options.stateDir, "positions", `${provisioned.stream.name}.json`),
        provisioned.stream.createdAt
      )
      const fatal = yield* Deferred.make<never, BackgroundError>()
      const background = <A, R>(task: Effect.Effect<A, BackgroundError, R>) =>
        Effect.forkScoped(task.pipe(Effect.catchCause((cause) => Deferred.failCause(fatal, cause).pipe(Effect.as(undefined)))))
      // the run's own emulator gone: said as such, before an AWS call fails for want of it
      if (emulator.owned) {
        yield* background(
          Effect.promise(() => emulator.exited).pipe(Effect.andThen(Effect.fail(new EmulatorExitedError({ pid: emulator.pid }))))
        )
      }
      const running: Running = {
        options,
        topology,
        clients,
        provisioned,
        stats,
        ledger: makeLedger(),
        positions,
        logs,
        ...(emulator.owned ? { emulatorExited: emulator.exited } : {}),
        background
      }
      yield* startEventSourceMappings(running, functions)
      if (wallboard !== undefined) {
        logs.terminal.out(`Wallboard: ${wallboard.url}\n`)
        say(`function logs: ${logs.file} · Ctrl-C stops everything`)
      }
      const clock = { startedAt, producingSince: yield* Clock.currentTimeMillis }
      const producing = yield* background(producer(running))
      // ended when the run ends, however: a background task's error then prints below the bar
      const progress = yield* scopedProgress({
        write: logs.terminal.err,
        isTTY: process.stderr.isTTY === true,
        label: "cdc",
        counted: "produced"
      })
      yield* Effect.forkScoped(
        Effect.forever(
          Effect.gen(function* () {
            yield* Effect.sleep(1_000)
            updateProgress(running, progress, yield* Clock.currentTimeMillis)
          }),
          { disableYield: true }
        )
      )
      return yield* Effect.raceFirst(finish(running, producing, progress, clock), Deferred.await(fatal))
    })
  )

/** Redraws the progress line with the counts of `now`. */
const updateProgress = (running: Running, progress: Progress, now: number) =>
  progress.update(running.stats.snapshot(now).totals.produced, running.options.changes, progressLine(running, now))

/**
 * The end of a run: headless with `exitWhenDrained`, waits for the producer and the drain, prints
 * the summary, and fails when changes are unaccounted for; otherwise runs until interrupted.
 */
export const finish = (running: Running, producing: Fiber.Fiber<unknown, never>, progress: Progress, clock: RunClock) =>
  Effect.gen(function* () {
    const { options, logs, positions } = running
    // Ctrl-C: the progress line is ended first, so that nothing (the headless summary, the shell's prompt) is printed onto it
    const stopped = Clock.currentTimeMillis.pipe(
      Effect.flatMap((now) =>
        Effect.sync(() => {
          // the last line shows the counts the run ends on (as the headless summary does)
          updateProgress(running, progress, now)
          progress.done()
          if (options.headless) logs.terminal.out(`${JSON.stringify(summarize(running, clock, now))}\n`)
        })
      )
    )
    if (!(options.headless && options.exitWhenDrained)) {
      yield* Effect.addFinalizer(() => stopped)
      return yield* Effect.never
    }
    // stopped while producing or draining: the summary says where the changes went so far, as above
    const { accountedAt, dlqLeft } = yield* Fiber.join(producing).pipe(
      Effect.andThen(drain(running)),
      Effect.onInterrupt(() => stopped)
    )
    const now = yield* Clock.currentTimeMillis
    // the progress ends on the summary's counts, not on those of its last redraw (up to a second old)
    updateProgress(running, progress, now)
    progress.done()
    if (dlqLeft > 0) logs.terminal.err(`${dlqLeftNote(dlqLeft, options.drainTimeoutSeconds)}\n`)
    const summary = summarize(running, clock, now, accountedAt)
    logs.terminal.out(`${JSON.stringify(summary)}\n`)
    if (summary.unaccounted > 0) {
      return yield* Effect.fail(
        new UnaccountedChangesError({
          unaccounted: summary.unaccounted,
          sample: running.ledger.report(positions.snapshot()).unaccountedSample,
          logFile: logs.file
        })
      )
    }
    return summary
  })
