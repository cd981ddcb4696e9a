/**
 * One memory measurement (section 5), in a process of its own: reads a Lambda Kinesis event from
 * the JSON file given as argument (as the Lambda runtime would hand it over), runs the batch
 * program over it with in-memory Layers (a bus, checkpoint store and DLQ that count but keep
 * nothing, the real record path), and prints `{ maxRssKb, published, accepted, deadLettered }`.
 * With `--parse-only` it stops after parsing: the baseline of what holding the input costs.
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
import type { KinesisStreamEvent } from "aws-lambda"
import { Effect, Layer, Logger } from "effect"

const event = JSON.parse(readFileSync(process.argv[2]!, "utf8")) as KinesisStreamEvent
if (process.argv.includes("--parse-only")) {
  process.stdout.write(
    JSON.stringify({ maxRssKb: process.resourceUsage().maxRSS, published: event.Records.length, accepted: event.Records.length })
  )
  process.exit(0)
}
let accepted = 0
let deadLettered = 0
const layer = Layer.mergeAll(
  RecordPath.layer({ keys: developmentRedactionKeys, sourcePrefix: "cdc-pipeline", eventBusName: "bench-bus" }),
  Layer.succeed(EventBus, {
    putEvents: (entries) =>
      Effect.sync(() => {
        accepted += entries.length
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
  JSON.stringify({ maxRssKb: process.resourceUsage().maxRSS, published: result.summary.published, accepted, deadLettered })
)
