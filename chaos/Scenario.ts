/**
 * The chaos scenario itself: the change simulator writes `changes` records to the stream (in
 * small chunks, while everything runs), the Kinesis poller feeds the processor and is stopped and
 * started again `restarts` times (an incarnation is stopped in the middle of whatever batch it
 * was invoking: that invocation carries on, and its result is lost with the poller; the next one
 * starts when it has ended, as Lambda runs one batch per shard at a time, and resumes from the
 * stored position), the SQS pollers (DLQ worker, recorders) run throughout, and the run ends
 * when every shard's position has passed the last record, no invocation is in flight, the DLQ
 * is empty and nothing has arrived for a few seconds, or when the timeout passes.
 *
 * @example
 * ```ts
 * const { produced, canaries, positions, drained } = await runScenario({ emulated, changes: 500, seed: 1, … })
 * ```
 */
import { mkdtempSync } from "node:fs"
import { tmpdir } from "node:os"
import path from "node:path"
import { GetQueueAttributesCommand } from "@aws-sdk/client-sqs"
import { driftColumn, makeChangeSimulator, type SimulatedRecord } from "@cdc/cli/local/ChangeSimulator"
import type { KinesisBatchInfo } from "@cdc/cli/local/KinesisEventSource"
import { compareSequenceNumbers, type PositionStore } from "@cdc/cli/local/PositionStore"
import { putAll } from "@cdc/cli/local/StreamWriter"
import { tables } from "@cdc/domain/Tables"
import type { Row } from "@cdc/testkit/Rows"
import { sensitiveValues } from "@cdc/testkit/SensitiveValues"
import * as Effect from "effect/Effect"
import * as Fiber from "effect/Fiber"
import * as Random from "effect/Random"
import type { Emulated } from "../bench/lib/Emulated"
import { type Handler, openPositions, poller, reached } from "../bench/lib/Poller"
import type { ProducedRecord } from "./Verify"

export interface ScenarioOptions {
  readonly emulated: Emulated
  readonly changes: number
  readonly seed: number
  readonly restarts: number
  readonly timeoutMillis: number
  readonly handler: Handler
  readonly inFlight: () => number
  /** Pollers that run for the whole scenario (DLQ worker, recorders). */
  readonly background: ReadonlyArray<Effect.Effect<unknown, unknown>>
  /** Sends the event source mapping's on-failure record for a batch it gave up on. */
  readonly onExhausted: (info: KinesisBatchInfo, invocations: number) => Promise<void>
  /** The content of the event the record path makes of a record's bytes at its position (see ./Verify `eventContent`). */
  readonly expectedOf: (data: string, at: { readonly shardId: string; readonly sequenceNumber: string }) => string | undefined
  /** A count that grows while results still arrive (deliveries + dead letters). */
  readonly arrivals: () => number
  readonly say: (line: string) => void
}

type Images = { data?: Row | null; "before-image"?: Row; metadata?: { "table-name"?: string } }

/**
 * The clear values of protected columns in a simulated record (none for torn JSON), and of its
 * undeclared columns: the spec withholds those like REMOVE columns.
 */
const canariesOf = (record: SimulatedRecord, dms: Images): ReadonlyArray<string> => {
  const table = dms.metadata?.["table-name"]
  if (table === undefined || record.kind === "control") return []
  const known = record.table === table && record.kind === "data" ? table : "orders"
  const declared = new Set(tables.get(known)?.columns.map((column) => column.name))
  const undeclared = [dms.data ?? {}, dms["before-image"] ?? {}].flatMap((image) =>
    Object.entries(image).flatMap(([name, value]) => (declared.has(name) || typeof value !== "string" || value.length < 6 ? [] : [value]))
  )
  return [...sensitiveValues(known, dms.data ?? {}), ...sensitiveValues(known, dms["before-image"] ?? {}), ...undeclared]
}

/**
 * The values a simulated record carries in clear-publishable columns. A value can be protected in
 * one record and public in another (a configuration's `value` after `is_secret` became false is
 * published as is, as the spec says), so only values public nowhere can serve as canaries.
 */
const publicValuesOf = (record: SimulatedRecord, dms: Images): ReadonlyArray<string> => {
  if (record.kind !== "data") return []
  const declared = new Set(tables.get(record.table)?.columns.map((column) => column.name))
  return [dms.data ?? {}, dms["before-image"] ?? {}].flatMap((image) => {
    const protectedHere = new Set(sensitiveValues(record.table, image))
    return Object.entries(image).flatMap(([name, value]) =>
      declared.has(name) && typeof value === "string" && !protectedHere.has(value) ? [value] : []
    )
  })
}

/** A record's canaries and publicly published values, from one parse (torn JSON: what the producer says survived in it). */
const valuesOf = (record: SimulatedRecord): { readonly canaries: ReadonlyArray<string>; readonly published: ReadonlyArray<string> } => {
  let parsed: unknown
  try {
    parsed = JSON.parse(record.data)
  } catch {
    return { canaries: record.protectedValues ?? [], published: [] }
  }
  if (typeof parsed !== "object" || parsed === null) return { canaries: [], published: [] }
  const dms = parsed as Images
  return { canaries: canariesOf(record, dms), published: publicValuesOf(record, dms) }
}

const depth = (emulated: Emulated, url: string) =>
  Effect.promise(() =>
    emulated.clients.sqs.send(
      new GetQueueAttributesCommand({
        QueueUrl: url,
        AttributeNames: ["ApproximateNumberOfMessages", "ApproximateNumberOfMessagesNotVisible"]
      })
    )
  ).pipe(
    Effect.map(
      (o) => Number(o.Attributes?.ApproximateNumberOfMessages ?? 0) + Number(o.Attributes?.ApproximateNumberOfMessagesNotVisible ?? 0)
    )
  )

export const runScenario = (options: ScenarioOptions) =>
  Effect.runPromise(
    Effect.scoped(
      Effect.gen(function* () {
        const { emulated, say } = options
        const { provisioned, clients } = emulated
        for (const task of options.background) yield* Effect.forkScoped(task)
        const produced: Array<ProducedRecord> = []
        // records that show schema drift: a DDL control record, or a row with the column it added
        let drifting = 0
        const canaries: Array<string> = []
        const published = new Set<string>()
        const targets = new Map<string, string>()
        const simulator = makeChangeSimulator({ malformedRate: 0.02, ddlEvery: 250, uniformTables: true })
        const producing = yield* Effect.forkScoped(
          Effect.gen(function* () {
            for (let written = 0; written < options.changes; ) {
              const records = yield* simulator.next(Math.min(100, options.changes - written))
              const placed = yield* putAll(clients.kinesis, { streamName: provisioned.stream.name }, records)
              records.forEach((record, index) => {
                const at = placed[index]!
                const expected = record.expect === "publish" ? options.expectedOf(record.data, at) : undefined
                produced.push({
                  shardId: at.shardId,
                  sequenceNumber: at.sequenceNumber,
                  expect: record.expect,
                  kind: record.kind,
                  ...(record.entity === undefined ? {} : { entity: record.entity }),
                  ...(expected === undefined ? {} : { expected })
                })
                if (record.kind === "control" || (record.kind === "data" && record.data.includes(`"${driftColumn}"`))) drifting++
                const values = valuesOf(record)
                canaries.push(...values.canaries)
                for (const value of values.published) published.add(value)
                const target = targets.get(at.shardId)
                if (target === undefined || compareSequenceNumbers(at.sequenceNumber, target) > 0)
                  targets.set(at.shardId, at.sequenceNumber)
              })
              written += records.length
              yield* Effect.sleep(150)
            }
          }).pipe(Random.withSeed(options.seed))
        )

        const file = path.join(mkdtempSync(path.join(tmpdir(), "cdc-chaos-")), "positions.json")
        const exhausted: Array<string> = []
        const onExhausted = (info: KinesisBatchInfo, invocations: number) => {
          exhausted.push(`${info.shardId}:${info.startSequenceNumber}-${info.endSequenceNumber}`)
          return options.onExhausted(info, invocations)
        }
        let positions: PositionStore = openPositions(emulated, file)
        let current = yield* Effect.forkScoped(Effect.scoped(poller(emulated, options.handler, positions, onExhausted)))
        const started = performance.now()
        const elapsed = () => performance.now() - started
        let restarts = 0
        for (; restarts < options.restarts; restarts++) {
          // Restart once this incarnation has acknowledged something (so the next one resumes
          // from a stored position), or after 30 s if it has not.
          const before = JSON.stringify(positions.snapshot())
          const since = performance.now()
          yield* Effect.sleep(4_000)
          while (JSON.stringify(positions.snapshot()) === before && performance.now() - since < 30_000) yield* Effect.sleep(250)
          yield* Effect.sleep(1_500)
          yield* Fiber.interrupt(current)
          // The invocation the old poller started carries on, and its result is lost with the
          // poller. Lambda never runs two batches of one shard at once, so the successor takes
          // over once that invocation has ended, and reads the batch again.
          while (options.inFlight() > 0) yield* Effect.sleep(100)
          positions = openPositions(emulated, file)
          say(`  poller restarted (${restarts + 1}); resuming from ${Object.keys(positions.snapshot()).length} stored shard position(s)`)
          current = yield* Effect.forkScoped(Effect.scoped(poller(emulated, options.handler, positions, onExhausted)))
        }
        yield* Fiber.join(producing)
        say(`  produced ${produced.length} records on ${targets.size} shards; draining`)

        let drained = false
        let lastArrivals = -1
        let quietSince = performance.now()
        while (elapsed() < options.timeoutMillis) {
          yield* Effect.sleep(1_000)
          const arrivals = options.arrivals()
          if (arrivals !== lastArrivals) {
            lastArrivals = arrivals
            quietSince = performance.now()
          }
          if (!reached(positions, targets) || options.inFlight() > 0 || performance.now() - quietSince < 4_000) continue
          if ((yield* depth(emulated, provisioned.dlq.url)) === 0 && (yield* depth(emulated, provisioned.tap.url)) === 0) {
            drained = true
            break
          }
        }
        yield* Fiber.interrupt(current)
        return {
          produced,
          canaries: canaries.filter((canary) => !published.has(canary)),
          positions: positions.snapshot(),
          drained,
          restarts,
          exhausted,
          drifting
        }
      })
    )
  )
