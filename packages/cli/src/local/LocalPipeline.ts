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
import { GetQueueAttributesCommand, SendMessageCommand } from "@aws-sdk/client-sqs"
import type { AwsError } from "@cdc/aws/AwsError"
import { emulatorEnv, startEmulator } from "@cdc/testkit/Emulator"
import { makeTopology, type Topology } from "@cdc/topology"
import { Clock, Data, Deferred, Effect, Fiber, Random, type Scope } from "effect"
import { makeChangeSimulator } from "./ChangeSimulator"
import { queueConsumer, tapConsumer } from "./Consumers"
import { captureFunctionLogs, type FunctionLogs } from "./FunctionLogs"
import { loadFunctions } from "./Functions"
import { type KinesisBatchInfo, kinesisSourceSettings, runKinesisEventSource } from "./KinesisEventSource"
import { type Ledger, makeLedger } from "./Ledger"
import { type LiveStats, makeLiveStats } from "./LiveStats"
import { type Clients, call, makeClients } from "./LocalAws"
import { announceLocalEndpoint } from "./LocalEndpoint"
import { openPositionStore, type PositionStore } from "./PositionStore"
import { makeProgress, type Progress } from "./Progress"
import { type Provisioned, provision } from "./Provision"
import { fromLambda, runSqsEventSource } from "./SqsEventSource"
import { type PutRecordsExhaustedError, putAll } from "./StreamWriter"
import { serveWallboard } from "./WallboardServer"

export interface LocalRunOptions {
  /** Topology stage of the local resources; default `local`. */
  readonly stage: string
  /** Wallboard port; 0 picks a free one. */
  readonly port: number
  readonly headless: boolean
  /** Stop producing after this many changes; unbounded when undefined. */
  readonly changes: number | undefined
  /** Changes per second; 0 writes as fast as the stream accepts. */
  readonly rate: number
  readonly seed: number
  readonly exitWhenDrained: boolean
  /** Give up draining after this long without progress. */
  readonly drainTimeoutSeconds: number
  /** Positions and function logs live here; default `.cdc`. */
  readonly stateDir: string
}

export const defaultLocalRunOptions: LocalRunOptions = {
  stage: "local",
  port: 8787,
  headless: false,
  changes: undefined,
  rate: 20,
  seed: 42,
  exitWhenDrained: false,
  drainTimeoutSeconds: 60,
  stateDir: ".cdc"
}

/** The headless run's one-line JSON summary. */
export interface RunSummary {
  readonly produced: number
  readonly published: number
  /** Produced records that reached the DLQ (by coordinates); `produced = published + deadLettered + skipped + unaccounted`. */
  readonly deadLettered: number
  readonly skipped: number
  readonly dlq: { readonly total: number; readonly byReason: Readonly<Record<string, number>> }
  /** Records the processor skipped as at or below its checkpoint (from its EMF metrics). */
  readonly duplicatesSkipped: number
  /** Events that reached the tap queue more than once (at-least-once delivery). */
  readonly duplicateDeliveries: number
  /** Records the event source poller delivered again after `batchItemFailures`. */
  readonly retried: number
  readonly unaccounted: number
  readonly unexpected: number
  readonly elapsedSeconds: number
  readonly changesPerSecond: number
}

/** Some changes were neither published, nor dead-lettered, nor meant to be skipped. */
export class UnaccountedChangesError extends Data.TaggedError("UnaccountedChangesError")<{
  readonly unaccounted: number
  readonly sample: ReadonlyArray<string>
}> {
  readonly category = "permanent" as const
  readonly retryable = false
  override get message(): string {
    return `${this.unaccounted} change(s) unaccounted for after draining, e.g. ${this.sample.join(", ")} (shard:sequence; fetch them with GetRecords)`
  }
}

/** The emulator could not be started (e.g. Python 3 missing): its message says what to do. */
export class EmulatorStartError extends Data.TaggedError("EmulatorStartError")<{ readonly problem: string }> {
  readonly category = "configuration" as const
  readonly retryable = false
  override get message(): string {
    return this.problem
  }
}

interface Running {
  readonly options: LocalRunOptions
  readonly topology: Topology
  readonly clients: Clients
  readonly provisioned: Provisioned
  readonly stats: LiveStats
  readonly ledger: Ledger
  readonly positions: PositionStore
  readonly logs: FunctionLogs
  /** Forks a task into the run's scope; its failure ends the whole run (nothing fails silently). */
  readonly background: <A, R>(
    task: Effect.Effect<A, BackgroundError, R>
  ) => Effect.Effect<Fiber.Fiber<A | undefined, never>, never, R | Scope.Scope>
}

type BackgroundError = AwsError | PutRecordsExhaustedError

/** Lambda's on-failure record for a Kinesis source: the shard and sequence-number range, no data. */
const onFailureRecord = (running: Running, info: KinesisBatchInfo, condition: string, now: number) => ({
  requestContext: {
    requestId: `${info.shardId}:${info.startSequenceNumber}`,
    functionArn: `arn:aws:lambda:${running.provisioned.region}:000000000000:function:${running.topology.functions.processor.name}`,
    condition,
    approximateInvokeCount: running.topology.functions.processor.source.maximumRetryAttempts + 1
  },
  responseContext: { statusCode: 200, executedVersion: "$LATEST", functionError: "" },
  version: "1.0",
  timestamp: new Date(now).toISOString(),
  KinesisBatchInfo: info
})

const producer = (running: Running) =>
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

const queueDepth = (clients: Clients, url: string) =>
  call("SQS", "GetQueueAttributes", (abortSignal) =>
    clients.sqs.send(
      new GetQueueAttributesCommand({
        QueueUrl: url,
        AttributeNames: ["ApproximateNumberOfMessages", "ApproximateNumberOfMessagesNotVisible"]
      }),
      {
        abortSignal
      }
    )
  ).pipe(
    Effect.map(
      (output) =>
        Number(output.Attributes?.ApproximateNumberOfMessages ?? 0) + Number(output.Attributes?.ApproximateNumberOfMessagesNotVisible ?? 0)
    )
  )

/** Consumer lag as the Wallboard shows it: messages waiting on each consumer queue. */
const sampleLag = (running: Running) =>
  Effect.forever(
    Effect.gen(function* () {
      for (const queue of running.provisioned.consumerQueues)
        running.stats.queueDepth(queue.id, yield* queueDepth(running.clients, queue.url))
      running.stats.queueDepth("dlq", yield* queueDepth(running.clients, running.provisioned.dlq.url))
      yield* Effect.sleep(2_000)
    }),
    { disableYield: true }
  )

const startPollers = (running: Running, functions: Effect.Success<ReturnType<typeof loadFunctions>>) =>
  Effect.gen(function* () {
    const { clients, provisioned, topology, stats, ledger, positions } = running
    const esm = topology.functions.processor.source
    const region = provisioned.region
    yield* running.background(
      runKinesisEventSource({
        kinesis: clients.kinesis,
        stream: { name: provisioned.stream.name, arn: provisioned.stream.arn, region },
        settings: kinesisSourceSettings(esm),
        positions,
        stats,
        handler: functions.processor,
        onFailure: (info, condition) =>
          Effect.gen(function* () {
            const body = JSON.stringify(onFailureRecord(running, info, condition, yield* Clock.currentTimeMillis))
            yield* call("SQS", "SendMessage", (abortSignal) =>
              clients.sqs.send(new SendMessageCommand({ QueueUrl: provisioned.dlq.url, MessageBody: body }), { abortSignal })
            )
          })
      })
    )
    yield* running.background(
      runSqsEventSource({
        sqs: clients.sqs,
        queue: { url: provisioned.dlq.url, arn: provisioned.dlq.arn, region },
        batchSize: topology.functions.dlqWorker.source.batchSize,
        handler: fromLambda(functions.dlqWorker),
        observe: (message) => stats.dlqArrived(ledger.deadLettered(message.body))
      })
    )
    for (const queue of provisioned.consumerQueues) {
      yield* running.background(
        runSqsEventSource({
          sqs: clients.sqs,
          queue: { ...queue, region },
          batchSize: 10,
          handler: queueConsumer(queue.id, stats, topology.sourcePrefix, queue.id === "wallboards")
        })
      )
    }
    yield* running.background(
      runSqsEventSource({
        sqs: clients.sqs,
        queue: { ...provisioned.tap, region },
        batchSize: 10,
        handler: tapConsumer(stats, topology.sourcePrefix, (event) => ledger.published(event.eventId))
      })
    )
    yield* running.background(sampleLag(running))
  })

const summarize = (running: Running, startedAt: number, now: number): RunSummary => {
  const report = running.ledger.report(running.positions.snapshot())
  const snapshot = running.stats.snapshot(now)
  const metrics = running.logs.metrics()
  const elapsedSeconds = Math.round((now - startedAt) / 100) / 10
  return {
    produced: report.produced,
    published: report.published,
    deadLettered: report.deadLettered,
    skipped: report.skipped,
    dlq: { total: snapshot.totals.dlq, byReason: snapshot.dlqByReason },
    duplicatesSkipped: metrics.cdc_skipped_duplicate ?? 0,
    duplicateDeliveries: snapshot.totals.duplicatesDelivered,
    retried: snapshot.totals.retries,
    unaccounted: report.unaccounted,
    unexpected: report.unexpected,
    elapsedSeconds,
    changesPerSecond: elapsedSeconds > 0 ? Math.round(report.produced / elapsedSeconds) : report.produced
  }
}

/** Waits until every produced change is accounted for and the DLQ worker is idle, or until no progress for the timeout. */
const drain = (running: Running) =>
  Effect.gen(function* () {
    let lastUnaccounted = Number.POSITIVE_INFINITY
    let lastProgress = yield* Clock.currentTimeMillis
    while (true) {
      const now = yield* Clock.currentTimeMillis
      const { unaccounted } = running.ledger.report(running.positions.snapshot())
      if (unaccounted === 0 && (yield* queueDepth(running.clients, running.provisioned.dlq.url)) === 0) return
      if (unaccounted < lastUnaccounted) {
        lastUnaccounted = unaccounted
        lastProgress = now
      } else if (now - lastProgress > running.options.drainTimeoutSeconds * 1000) return
      yield* Effect.sleep(500)
    }
  })

const progressLine = (running: Running, now: number) => {
  const s = running.stats.snapshot(now)
  const lag = Object.values(s.lag.queues).reduce((a, b) => a + b, 0)
  return `published ${s.totals.published} · dlq ${s.totals.dlq} · retried ${s.totals.retries} · queued ${lag}`
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
      const logs = yield* Effect.acquireRelease(
        Effect.sync(() => captureFunctionLogs(path.join(options.stateDir, "logs", "functions.log"))),
        (captured) => Effect.promise(captured.restore)
      )
      const say = (line: string) => logs.terminal.err(`${line}\n`)
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
      const functions = yield* loadFunctions(topology, provisioned, (overrun) => say(`warning: ${overrun.message}`))
      yield* announceLocalEndpoint(options.stateDir, { endpoint: emulator.endpoint, stream: provisioned.stream.name })
      const positions = openPositionStore(
        path.join(options.stateDir, "positions", `${provisioned.stream.name}.json`),
        provisioned.stream.createdAt
      )
      const fatal = yield* Deferred.make<never, BackgroundError>()
      const background = <A, R>(task: Effect.Effect<A, BackgroundError, R>) =>
        Effect.forkScoped(task.pipe(Effect.catchCause((cause) => Deferred.failCause(fatal, cause).pipe(Effect.as(undefined)))))
      const running: Running = {
        options,
        topology,
        clients,
        provisioned,
        stats: makeLiveStats(),
        ledger: makeLedger(),
        positions,
        logs,
        background
      }
      yield* startPollers(running, functions)
      if (!options.headless) {
        const wallboard = yield* serveWallboard({ port: options.port, stats: running.stats })
        logs.terminal.out(`Wallboard: ${wallboard.url}\n`)
        say(`function logs: ${logs.file} · Ctrl-C stops everything`)
      }
      const producing = yield* background(producer(running))
      const progress = makeProgress({ write: logs.terminal.err, isTTY: process.stderr.isTTY === true, label: "cdc" })
      yield* Effect.forkScoped(
        Effect.forever(
          Effect.gen(function* () {
            yield* Effect.sleep(1_000)
            const now = yield* Clock.currentTimeMillis
            progress.update(running.stats.snapshot(now).totals.produced, options.changes, progressLine(running, now))
          }),
          { disableYield: true }
        )
      )
      return yield* Effect.raceFirst(finish(running, producing, progress, startedAt), Deferred.await(fatal))
    })
  )

const finish = (running: Running, producing: Fiber.Fiber<unknown, never>, progress: Progress, startedAt: number) =>
  Effect.gen(function* () {
    const { options, logs, positions } = running
    if (!(options.headless && options.exitWhenDrained)) {
      if (options.headless)
        yield* Effect.addFinalizer(() =>
          Clock.currentTimeMillis.pipe(Effect.map((now) => logs.terminal.out(`${JSON.stringify(summarize(running, startedAt, now))}\n`)))
        )
      return yield* Effect.never
    }
    yield* Fiber.join(producing)
    yield* drain(running)
    progress.done()
    const summary = summarize(running, startedAt, yield* Clock.currentTimeMillis)
    logs.terminal.out(`${JSON.stringify(summary)}\n`)
    if (summary.unaccounted > 0) {
      return yield* Effect.fail(
        new UnaccountedChangesError({
          unaccounted: summary.unaccounted,
          sample: running.ledger.report(positions.snapshot()).unaccountedSample
        })
      )
    }
    return summary
  })
