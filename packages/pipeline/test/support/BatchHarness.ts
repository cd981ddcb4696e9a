/**
 * A harness for unit tests of the batch program: in-memory bus (with a fault plan), checkpoint
 * store and DLQ around the scripted record path, run under the TestClock so retries and backoff
 * complete without sleeping.
 *
 * @example
 * ```ts
 * const h = yield* harness({ plan: (_entries, call) => (call === 2 ? { _tag: "FailCall", error: new Throttled() } : undefined) })
 * const result = yield* h.run(batch(40))
 * ```
 */
import type { KinesisStreamRecord } from "aws-lambda"
import * as Effect from "effect/Effect"
import * as Fiber from "effect/Fiber"
import * as Layer from "effect/Layer"
import * as Metric from "effect/Metric"
import { TestClock } from "effect/testing"
import { type BatchOptions, processBatch } from "../../src/BatchProcessor"
import { CheckpointStore, makeInMemoryCheckpointStore } from "../../src/CheckpointStore"
import { type CircuitBreakerOptions, PublishBreaker } from "../../src/CircuitBreaker"
import type { DeadLetterMessage } from "../../src/DeadLetter"
import { DeadLetterQueue, makeInMemoryDeadLetterQueue } from "../../src/DeadLetterQueue"
import { EventBus, type EventBusService, type FaultPlan, makeInMemoryEventBus, withFaults } from "../../src/EventBus"
import { RetryPolicies } from "../../src/RetryPolicy"
import { type Script, scripted, scriptedRecordPathLayer } from "./TestRecordPath"

/** A throttling failure of an AWS call, classified as the adapters classify it. */
class ThrottlingFailure {
  readonly category = "throttling" as const
  readonly retryable = true
  constructor(
    readonly _tag: string,
    readonly code: string,
    readonly message: string
  ) {}
}

/** A whole-call throttling failure of PutEvents. */
export class Throttled extends ThrottlingFailure {
  constructor() {
    super("Throttled", "ThrottlingException", "EventBridge.PutEvents failed: ThrottlingException")
  }
}

/** A throttled DynamoDB call (checkpoint read or write). */
export class DynamoThrottled extends ThrottlingFailure {
  constructor() {
    super("DynamoThrottled", "ProvisionedThroughputExceededException", "DynamoDB failed: ProvisionedThroughputExceededException")
  }
}

/** A throttled SQS call (a dead-letter batch). */
export class SqsThrottled extends ThrottlingFailure {
  constructor() {
    super("SqsThrottled", "ThrottlingException", "SQS.SendMessageBatch failed: ThrottlingException")
  }
}

export const stream = "arn:aws:kinesis:eu-west-1:123456789012:stream/test"
export const shard0 = { streamArn: stream, shardId: "shardId-000000000000" }

export interface HarnessOptions {
  readonly plan?: FaultPlan
  readonly checkpoints?: ReadonlyMap<string, string>
  readonly breaker?: CircuitBreakerOptions
  /** Messages the DLQ refuses for good (the in-memory DLQ keeps the rest). */
  readonly dlqRefuses?: (message: DeadLetterMessage) => boolean
  /** How many checkpoint reads fail (throttled) before the store answers; `Infinity` for an outage. */
  readonly checkpointReadFailures?: number
  /** How many checkpoint writes fail (throttled) before the store answers; `Infinity` for an outage. */
  readonly checkpointWriteFailures?: number
  /** How long each PutEvents call takes (test time), before the plan's fault or the bus's answer. */
  readonly putEventsMillis?: number
  /** How long each DLQ send takes (test time), before the queue stores the messages. */
  readonly dlqSendMillis?: number
  /** How long each checkpoint write takes (test time). */
  readonly checkpointWriteMillis?: number
}

/** `effect` after `millis` of test time (at once when not given). */
const taking = <A, E>(millis: number | undefined, effect: Effect.Effect<A, E>) =>
  millis === undefined ? effect : Effect.delay(effect, millis)

export const harness = (options: HarnessOptions = {}) =>
  Effect.gen(function* () {
    const bus = yield* makeInMemoryEventBus
    const store = yield* makeInMemoryCheckpointStore(options.checkpoints)
    const dlq = yield* makeInMemoryDeadLetterQueue
    const refuses = options.dlqRefuses ?? (() => false)
    let readFailures = options.checkpointReadFailures ?? 0
    let writeFailures = options.checkpointWriteFailures ?? 0
    const slowBus: EventBusService = {
      putEvents: (entries) => taking(options.putEventsMillis, bus.service.putEvents(entries))
    }
    const registry = new Map()
    const context = yield* Layer.build(
      Layer.mergeAll(
        scriptedRecordPathLayer,
        Layer.effect(EventBus, options.plan === undefined ? Effect.succeed(slowBus) : withFaults(slowBus, options.plan)),
        Layer.succeed(CheckpointStore, {
          read: (shards) => Effect.suspend(() => (readFailures-- > 0 ? Effect.fail(new DynamoThrottled()) : store.service.read(shards))),
          advance: (shard, sequenceNumber) =>
            taking(
              options.checkpointWriteMillis,
              Effect.suspend(() =>
                writeFailures-- > 0 ? Effect.fail(new DynamoThrottled()) : store.service.advance(shard, sequenceNumber)
              )
            )
        }),
        Layer.succeed(DeadLetterQueue, {
          sendBatch: (batch) =>
            taking(
              options.dlqSendMillis,
              Effect.map(dlq.service.sendBatch(batch.filter((m) => !refuses(m))), () =>
                batch.map((m) =>
                  refuses(m) ? { code: "KMS.DisabledException", retryable: false, category: "permanent" as const } : undefined
                )
              )
            )
        }),
        RetryPolicies.layer(),
        PublishBreaker.layer(options.breaker)
      )
    )
    const run = (records: ReadonlyArray<KinesisStreamRecord>, batchOptions?: BatchOptions) =>
      Effect.gen(function* () {
        const fiber = yield* Effect.forkChild(processBatch(records, batchOptions).pipe(Effect.provideContext(context)))
        // An hour of test time, a second at a time: a long batch reaches its later backoffs only
        // after the clock has moved past the earlier ones.
        for (let second = 0; second < 3_600 && fiber.pollUnsafe() === undefined; second++) yield* TestClock.adjust("1 second")
        return yield* Fiber.join(fiber)
      }).pipe(Effect.provideService(Metric.MetricRegistry, registry))
    const metric = (m: Metric.Metric<number, Metric.CounterState<number>>) =>
      Effect.map(Metric.value(m).pipe(Effect.provideService(Metric.MetricRegistry, registry)), (s) => s.count)
    const gauge = (m: Metric.Metric<number, Metric.GaugeState<number>>) =>
      Effect.map(Metric.value(m).pipe(Effect.provideService(Metric.MetricRegistry, registry)), (s) => s.value)
    const seqs = Effect.map(bus.published, (entries) => entries.map((e) => (JSON.parse(e.Detail) as { seq: string }).seq))
    return { bus, store, dlq, run, metric, gauge, seqs }
  })

/** Records 1..n of one shard, over `keys` entities of table users. */
export const batch = (n: number, keys = n, at: (i: number) => Partial<Script> = () => ({})): Array<KinesisStreamRecord> =>
  Array.from({ length: n }, (_, i) => scripted({ table: "users", id: String(i % keys), ...at(i + 1) }, i + 1))

/** The sequence numbers from..to, as strings. */
export const range = (from: number, to: number) => Array.from({ length: to - from + 1 }, (_, i) => String(from + i))
