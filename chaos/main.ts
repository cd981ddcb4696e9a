/**
 * `npm run chaos -- [--changes N] [--seed S]`: the local pipeline on the emulator with faults at
 * the AWS boundary, then a verdict from what came out of it.
 *
 * The parts are the local runner's (`@cdc/cli/local`: provisioning from the topology, the change
 * simulator, the Kinesis and SQS event source pollers) and the real function handlers, in this
 * process. On top of them:
 * - faults injected into the functions' SDK clients (./Faults: throttling, per-entry PutEvents
 *   failures, conditional-check races, 500/503, timeouts, lost responses), seeded;
 * - the processor killed mid-batch in a share of its invocations (./Killer), so the event source
 *   re-delivers the batch;
 * - the Kinesis poller stopped and started again a few times, resuming from its stored position.
 *
 * The verdict (./Verify) reads the consumer queues, the DLQ, the parking queue, the failure
 * archive and the captured logs. Exit 0: nothing lost, order kept on every consumer queue,
 * duplicates under identical ids, every event the one its change makes, no protected value
 * anywhere; 1: a violation; 2: usage error.
 */
import { mkdirSync, writeFileSync } from "node:fs"
import path from "node:path"
import { parseArgs } from "node:util"
import { SendMessageCommand, SetQueueAttributesCommand } from "@aws-sdk/client-sqs"
import { onFailureRecord } from "@cdc/cli/local/OnFailureRecord"
import { fromLambda, runSqsEventSource } from "@cdc/cli/local/SqsEventSource"
import { handler as dlqWorker } from "@cdc/functions/dlqWorker"
import * as RecordPath from "@cdc/pipeline/RecordPath"
import * as Effect from "effect/Effect"
import { startEmulated } from "../bench/lib/Emulated"
import { installSdkBoundary, intercept } from "../bench/lib/SdkBoundary"
import { captureOutput } from "./Capture"
import { drainQueue, driftNotices, makeRecorder, readArchive, subscribeQueue, unarchived } from "./Evidence"
import { defaultRates, makeFaults, makeRolls, uncoveredFaults } from "./Faults"
import { makeKillableProcessor } from "./Killer"
import { makeRequestWatch } from "./RequestWatch"
import { runScenario } from "./Scenario"
import { eventContent, type Verdict, verify } from "./Verify"

const usage = `Usage: npm run chaos -- [--changes N] [--seed S] [--restarts R] [--timeout SECONDS] [--json FILE]

Runs the local pipeline on the emulator with AWS faults, processor kills and poller restarts,
then checks from the consumer queues, the DLQ and the archive that nothing was lost.

  --changes N        changes to produce (default 1000)
  --seed S           seed of the simulator and of the faults (default 42)
  --restarts R       times the Kinesis poller is stopped and started again (default 2)
  --timeout SECONDS  give up draining after this long (default 600)
  --json FILE        summary file (default chaos/results/latest.json)

Exit codes: 0 every check held, 1 a correctness violation (or the run could not drain), 2 usage error.`

const fail = (message: string) => {
  process.stderr.write(`${message}\n\n${usage}\n`)
  process.exit(2)
}
const values = (() => {
  try {
    return parseArgs({
      options: {
        changes: { type: "string", default: "1000" },
        seed: { type: "string", default: "42" },
        restarts: { type: "string", default: "2" },
        timeout: { type: "string", default: "600" },
        json: { type: "string", default: path.join("chaos", "results", "latest.json") },
        help: { type: "boolean", default: false }
      }
    }).values
  } catch (error) {
    return fail(error instanceof Error ? error.message : String(error))
  }
})()
if (values.help) {
  process.stdout.write(`${usage}\n`)
  process.exit(0)
}
const integer = (name: string, text: string, min: number) => {
  const n = Number(text)
  if (!Number.isInteger(n) || n < min) fail(`--${name} must be an integer ≥ ${min}`)
  return n
}
const options = {
  changes: integer("changes", values.changes, 1),
  seed: integer("seed", values.seed, 0),
  restarts: integer("restarts", values.restarts, 0),
  timeoutSeconds: integer("timeout", values.timeout, 10)
}

const output = captureOutput(path.join(path.dirname(values.json), "functions.log"))
const say = (line: string) => output.terminal(`${line}\n`)
const started = performance.now()

await installSdkBoundary()
const emulated = await startEmulated({ stage: "chaos", log: say })
let verdict: Verdict | undefined
let uncovered: ReadonlyArray<string> = []
let overlapping: ReadonlyArray<string> = []
let notArchived: ReadonlyArray<string> = []
/** Schema-drift notices seen (on the DLQ, parked, archived), and the records that show drift. */
let drift = { notices: 0, records: 0 }
const requestWatch = makeRequestWatch()
let summary: Record<string, unknown> = {}
try {
  const { provisioned, topology, clients } = emulated
  // The DLQ's visibility timeout is six times the worker's timeout (6 min); a message the worker
  // fails under chaos would sit out the run, so this run's DLQ hands it back after 5 s.
  await clients.sqs.send(new SetQueueAttributesCommand({ QueueUrl: provisioned.dlq.url, Attributes: { VisibilityTimeout: "5" } }))
  // The alerts the DLQ worker publishes are a public surface too: a queue subscribed to the topic
  // keeps them for the leak scan (as an operator's e-mail or chat subscription would receive them).
  const alertQueue = await subscribeQueue(emulated, provisioned.alertTopic.arn, `${topology.names.prefix}-chaos-alerts`)
  const faults = makeFaults(defaultRates, options.seed)
  // the watch first: it sees each request as the processor sent it, before a fault changes it
  intercept(requestWatch.interceptor)
  intercept(faults.interceptor)
  const processor = makeKillableProcessor({ every: 4, maxDelayMillis: 3_000, roll: makeRolls(options.seed + 1) })
  const recorder = makeRecorder(topology.sourcePrefix)
  // the record path as the processor configures it (the environment startEmulated exported): what
  // each produced record must be published as, to compare every delivery's content with
  const recordPath = Effect.runSync(
    Effect.gen(function* () {
      return yield* RecordPath.RecordPath
    }).pipe(Effect.provide(RecordPath.layerConfig))
  )
  const expectedOf = (data: string, at: { readonly shardId: string; readonly sequenceNumber: string }) => {
    const outcome = recordPath.fromPayload(data, at, 0)
    if (outcome._tag !== "Publish") return undefined
    const { Source, DetailType, Time, Detail } = outcome.entry
    return eventContent({ source: Source, detailType: DetailType, time: Time, detail: JSON.parse(Detail) })
  }
  const region = provisioned.region
  const sqsSources = [
    runSqsEventSource({
      sqs: clients.sqs,
      queue: { ...provisioned.dlq, region },
      batchSize: topology.functions.dlqWorker.source.batchSize,
      handler: fromLambda(dlqWorker),
      observe: (message) => recorder.deadLetterMessage("dlq")(message.body),
      idleMillis: 200
    }),
    runSqsEventSource({
      sqs: clients.sqs,
      queue: { ...provisioned.tap, region },
      batchSize: 10,
      handler: recorder.consumer("tap"),
      idleMillis: 200
    }),
    ...provisioned.consumerQueues.map((queue) =>
      runSqsEventSource({
        sqs: clients.sqs,
        queue: { ...queue, region },
        batchSize: 10,
        handler: recorder.consumer(queue.id),
        idleMillis: 200
      })
    )
  ]
  say(`chaos: ${options.changes} changes, seed ${options.seed}, ${options.restarts} poller restart(s)`)
  const scenario = await runScenario({
    emulated,
    changes: options.changes,
    seed: options.seed,
    restarts: options.restarts,
    timeoutMillis: options.timeoutSeconds * 1000,
    handler: processor.handler,
    inFlight: processor.inFlight,
    background: sqsSources,
    onExhausted: (info, invocations) => {
      const functionName = topology.functions.processor.name
      const record = onFailureRecord({ info, region, functionName, condition: "RetryAttemptsExhausted", invocations, now: Date.now() })
      return clients.sqs
        .send(new SendMessageCommand({ QueueUrl: provisioned.dlq.url, MessageBody: JSON.stringify(record) }))
        .then(() => undefined)
    },
    expectedOf,
    arrivals: () => recorder.deliveries.length + recorder.deadLetters.length,
    say
  })
  await processor.dispose()
  await drainQueue(emulated, provisioned.parkingQueue.url, recorder.deadLetterMessage("parking"))
  const archive = await readArchive(emulated)
  const alerts: Array<string> = []
  await drainQueue(emulated, alertQueue, (body) => alerts.push(body))
  const haystacks = [
    ...[...recorder.bodies].map(([where, bodies]) => ({ where: `${where} queue`, text: bodies.join("\n") })),
    { where: "failure archive", text: archive.objects.map((o) => o.text).join("\n") },
    { where: "alerts", text: alerts.join("\n") },
    { where: "function logs", text: output.captured() }
  ]
  verdict = verify({
    produced: scenario.produced,
    deliveries: recorder.deliveries,
    deadLetters: [...recorder.deadLetters, ...archive.deadLetters],
    haystacks,
    canaries: scenario.canaries,
    positions: scenario.positions,
    refused: faults.refused()
  })
  if (!scenario.drained) verdict = { ...verdict, violations: [...verdict.violations, "the pipeline did not drain within the timeout"] }
  // a DLQ message seen on the queue accounts for its record only if the worker archived (or SQS parked) it
  notArchived = unarchived([...recorder.deadLetters, ...archive.deadLetters])
  // a notice may be lost by design (a kill between the checkpoint write and its send): one is asked for, not each
  drift = {
    notices: driftNotices([
      ...(recorder.bodies.get("dlq") ?? []),
      ...(recorder.bodies.get("parking") ?? []),
      ...archive.objects.map((o) => o.text)
    ]),
    records: scenario.drifting
  }
  verdict = {
    ...verdict,
    violations: [
      ...verdict.violations,
      ...requestWatch.repeated(),
      ...(requestWatch.requests() === 0 ? ["no PutEvents request was seen at the SDK boundary"] : [])
    ]
  }
  if (drift.records > 0 && drift.notices === 0)
    verdict = {
      ...verdict,
      violations: [...verdict.violations, `${drift.records} record(s) showed schema drift, and no schema-drift notice reached the DLQ`]
    }
  verdict = {
    ...verdict,
    violations: [...verdict.violations, ...notArchived.slice(0, 10).map((dead) => `DLQ message of ${dead} left no archived failure`)]
  }
  // A run proves nothing about a fault it never injected: each one the suite claims must have fired.
  uncovered = [
    ...uncoveredFaults(faults.injected()).map((fault) => `fault never injected: ${fault}`),
    ...(processor.kills() === 0 ? ["the processor was never killed mid-batch"] : []),
    ...(processor.crashes() > 0 ? [`a killable invocation crashed ${processor.crashes()} time(s) instead of being killed`] : []),
    ...(alerts.length === 0 ? ["no alert reached the topic's subscriber, so none was scanned"] : []),
    ...(scenario.restarts < options.restarts ? [`the poller was restarted ${scenario.restarts} of ${options.restarts} times`] : [])
  ]
  // Per-key order rests on Lambda running one batch per shard at a time; a run that broke that
  // would judge the pipeline on something Lambda never does.
  overlapping = processor.overlaps() > 0 ? [`${processor.overlaps()} invocation(s) started while another of the same shard ran`] : []
  verdict = { ...verdict, violations: [...verdict.violations, ...uncovered, ...overlapping] }
  summary = {
    seed: options.seed,
    changes: options.changes,
    seconds: Math.round((performance.now() - started) / 100) / 10,
    drained: scenario.drained,
    processorKills: processor.kills(),
    overlappingInvocations: processor.overlaps(),
    pollerRestarts: scenario.restarts,
    batchesExhausted: scenario.exhausted.length,
    faultsInjected: faults.injected(),
    archiveObjects: archive.objects.length,
    alertsScanned: alerts.length,
    canariesChecked: new Set(scenario.canaries).size,
    verdict
  }
} finally {
  await emulated.stop()
  output.restore()
}

const v = verdict!
const rows: ReadonlyArray<readonly [string, string, boolean]> = [
  ["produced", String(v.produced), true],
  ["delivered to consumers", String(v.delivered), true],
  [
    "dead-lettered with a reason",
    Object.entries(v.deadLettered)
      .map(([r, n]) => `${r} ${n}`)
      .join(", ") || "0",
    true
  ],
  ["DDL control records passed", String(v.skipped), true],
  ["lost", String(v.lost), v.lost === 0],
  ["valid records given up", String(v.givenUp), v.givenUp === 0],
  ["malformed or DDL records published", String(v.misrouted), v.misrouted === 0],
  ["per-key order violations", String(v.orderViolations), v.orderViolations === 0],
  ["duplicate deliveries (same id)", String(v.duplicateDeliveries), true],
  ["changes with differing event ids", String(v.idMismatches), v.idMismatches === 0],
  ["events not made of their change", `${v.contentMismatches} of ${v.contentCompared} compared`, v.contentMismatches === 0],
  ["protected values found", String(v.leaks), v.leaks === 0],
  ["DLQ messages not archived", String(notArchived.length), notArchived.length === 0],
  [
    "requests holding a key twice",
    `${requestWatch.repeatedRequests()} of ${requestWatch.requests()}`,
    requestWatch.repeatedRequests() === 0 && requestWatch.requests() > 0
  ],
  ["schema-drift notices", `${drift.notices} for ${drift.records} record(s) showing drift`, drift.records === 0 || drift.notices > 0],
  ["faults, kills and restarts not tried", uncovered.join("; ") || "0", uncovered.length === 0],
  ["overlapping invocations of a shard", overlapping.join("; ") || "0", overlapping.length === 0]
]
const faultTotal = Object.values(summary.faultsInjected as Record<string, number>).reduce((a, b) => a + b, 0)
process.stdout.write(
  [
    `chaos run: seed ${options.seed}, ${summary.seconds} s, ${faultTotal} faults injected, ${summary.processorKills} processor kills, ${summary.pollerRestarts} poller restarts`,
    ...rows.map(([name, value, ok]) => `${ok ? "ok  " : "FAIL"}  ${name.padEnd(34)} ${value}`),
    ""
  ].join("\n")
)
for (const violation of v.violations.slice(0, 20)) process.stderr.write(`✗ ${violation}\n`)
mkdirSync(path.dirname(values.json), { recursive: true })
writeFileSync(values.json, `${JSON.stringify(summary, null, 2)}\n`)
process.stderr.write(`summary: ${values.json}\n`)
process.exit(v.violations.length > 0 ? 1 : 0)
