/**
 * One memory measurement (section 5), in a process of its own: reads a Lambda Kinesis event from
 * the JSON file given as argument (as the Lambda runtime would hand it over), runs the batch
 * program over it with in-memory Layers (a bus, checkpoint store and DLQ that count but keep
 * nothing, the real record path), and prints `{ maxRssKb, published, accepted, deadLettered }`.
 * With `--parse-only` it stops after parsing: the baseline of what holding the input costs; with
 * `--floor` it runs {@link floorHandler} over the batch instead of the program. With
 * `--live` (run by `node --expose-gc`) it also prints `peakLiveKb`, see {@link liveHeap}.
 */
import { readFileSync } from "node:fs"
import { developmentRedactionKeys } from "@cdc/domain/RedactionKeys"
import { processBatch } from "@cdc/pipeline/BatchProcessor"
import { inMemoryCheckpointLayer, makeInMemoryCheckpointStore } from "@cdc/pipeline/CheckpointStore"
import { PublishBreaker } from "@cdc/pipeline/CircuitBreaker"
import { DeadLetterQueue } from "@cdc/pipeline/DeadLetterQueue"
import { EventBus } from "@cdc/pipeline/EventBus"
import * as RecordPath from "@cdc/pipeline/RecordPath"
import { RetryPolicies } from "@cdc/pipeline/RetryPolicy"
import type { KinesisStreamEvent, KinesisStreamRecord } from "aws-lambda"
import * as Effect from "effect/Effect"
import * as Layer from "effect/Layer"
import * as Logger from "effect/Logger"

/** PutEvents calls (of ≤ 10 entries) between two samples of the live heap: every 100 records. */
const liveEvery = 10

/**
 * With `--live` (and node's `--expose-gc`): the largest heap still in use right after a full GC,
 * sampled while the batch is published. Unlike peak RSS it does not count garbage V8 has not yet
 * collected, only what the program (and the input) holds at that moment. The GCs disturb the
 * RSS, so this is a run of its own.
 */
const liveHeap = () => {
  const gc = (globalThis as { gc?: () => void }).gc
  if (gc === undefined) throw new Error("--live needs node --expose-gc")
  let peak = 0
  return {
    sample: () => {
      gc()
      peak = Math.max(peak, process.memoryUsage().heapUsed)
    },
    peakKb: () => Math.round(peak / 1024)
  }
}

/**
 * The floor handler: the least any handler does with the batch. Every record decoded, parsed and
 * printed, ten to a group as `PutEvents` takes them, and nothing kept. The engine's own response
 * to that many records (a young generation grown for the work, the input promoted out of it) is
 * in its peak RSS, so the program's overhead above it is what the program adds.
 */
const floorHandler = (records: ReadonlyArray<KinesisStreamRecord>): number => {
  let printed = 0
  let group: Array<string> = []
  for (const record of records) {
    group.push(JSON.stringify(JSON.parse(Buffer.from(record.kinesis.data, "base64").toString("utf8"))))
    if (group.length === 10) {
      printed += JSON.stringify(group).length
      group = []
    }
  }
  return printed + JSON.stringify(group).length
}

const event = JSON.parse(readFileSync(process.argv[2]!, "utf8")) as KinesisStreamEvent
const live = process.argv.includes("--live") ? liveHeap() : undefined
const floor = process.argv.includes("--floor")
if (floor || process.argv.includes("--parse-only")) {
  if (floor && !(floorHandler(event.Records) > 0)) throw new Error("the floor handler printed nothing")
  live?.sample()
  process.stdout.write(
    JSON.stringify({
      maxRssKb: process.resourceUsage().maxRSS,
      peakLiveKb: live?.peakKb(),
      published: event.Records.length,
      accepted: event.Records.length
    })
  )
  process.exit(0)
}
let accepted = 0
let calls = 0
let deadLettered = 0
const layer = Layer.mergeAll(
  RecordPath.layer({ keys: developmentRedactionKeys, sourcePrefix: "cdc-pipeline", eventBusName: "bench-bus" }),
  Layer.succeed(EventBus, {
    putEvents: (entries) =>
      Effect.sync(() => {
        accepted += entries.length
        if (++calls % liveEvery === 0) live?.sample()
        return entries.map(() => undefined)
      })
  }),
  Layer.effect(
    DeadLetterQueue,
    Effect.succeed({
      sendBatch: (batch) =>
        Effect.sync(() => {
          deadLettered += batch.length
          return batch.map(() => undefined)
        })
    })
  ),
  Layer.unwrap(Effect.map(makeInMemoryCheckpointStore(), inMemoryCheckpointLayer)),
  RetryPolicies.layer(),
  PublishBreaker.layer(),
  Logger.layer([])
)
const result = await Effect.runPromise(processBatch(event.Records).pipe(Effect.provide(layer)))
process.stdout.write(
  JSON.stringify({
    maxRssKb: process.resourceUsage().maxRSS,
    peakLiveKb: live?.peakKb(),
    published: result.summary.published,
    accepted,
    deadLettered
  })
)
