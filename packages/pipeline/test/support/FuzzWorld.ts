/**
 * What the two fuzz suites (../fuzz.test.ts, ../fuzzShapes.test.ts) share: the real record path,
 * the batch program over in-memory Layers (bus, checkpoint store, DLQ), and the protected values
 * of a change that must never reach an output.
 *
 * @example
 * ```ts
 * const { result, published, dead } = await Effect.runPromise(runFuzzBatch(records))
 * for (const secret of secretsOf(change)) expect(JSON.stringify(published)).not.toContain(secret)
 * ```
 */
import { makeRecordPath } from "@cdc/domain/RecordPath"
import { developmentRedactionKeys } from "@cdc/domain/RedactionKeys"
import type { Change } from "@cdc/testkit/Changes"
import { sensitiveValues } from "@cdc/testkit/SensitiveValues"
import type { KinesisStreamRecord } from "aws-lambda"
import * as Effect from "effect/Effect"
import * as Layer from "effect/Layer"
import * as Logger from "effect/Logger"
import { processBatch } from "../../src/BatchProcessor"
import { inMemoryCheckpointLayer, makeInMemoryCheckpointStore } from "../../src/CheckpointStore"
import { PublishBreaker } from "../../src/CircuitBreaker"
import { inMemoryDeadLetterLayer, makeInMemoryDeadLetterQueue } from "../../src/DeadLetterQueue"
import { inMemoryLayer, makeInMemoryEventBus } from "../../src/EventBus"
import * as RecordPathLayer from "../../src/RecordPath"
import { RetryPolicies } from "../../src/RetryPolicy"

export const fuzzOptions = { keys: developmentRedactionKeys, sourcePrefix: "cdc-pipeline", eventBusName: "fuzz-bus" }

/** The record path the batch program runs, for asking it what a record becomes. */
export const fuzzPath = makeRecordPath(fuzzOptions)

/** The processing time the fuzz suites give the record path. */
export const fuzzNow = 1_705_314_601_000

/** The protected values of a change's images (of at least six characters: see SensitiveValues). */
export const secretsOf = (change: Change): ReadonlyArray<string> => [
  ...sensitiveValues(change.table, change.after ?? {}),
  ...sensitiveValues(change.table, change.before ?? {})
]

/** One batch through the batch program: its result, what it published and what it dead-lettered. */
export const runFuzzBatch = (records: ReadonlyArray<KinesisStreamRecord>) =>
  Effect.gen(function* () {
    const bus = yield* makeInMemoryEventBus
    const dlq = yield* makeInMemoryDeadLetterQueue
    const store = yield* makeInMemoryCheckpointStore()
    const layer = Layer.mergeAll(
      RecordPathLayer.layer(fuzzOptions),
      inMemoryLayer(bus),
      inMemoryCheckpointLayer(store),
      inMemoryDeadLetterLayer(dlq),
      RetryPolicies.layer(),
      PublishBreaker.layer(),
      Logger.layer([])
    )
    const result = yield* processBatch(records).pipe(Effect.provide(layer))
    return { result, published: yield* bus.published, dead: yield* dlq.messages }
  })
