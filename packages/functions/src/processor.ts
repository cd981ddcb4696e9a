/**
 * The processor Lambda: invoked by the Kinesis event source mapping (with
 * `ReportBatchItemFailures`), it runs the batch program of `@cdc/pipeline/BatchProcessor` and
 * returns `{ batchItemFailures }`: per shard, at most the earliest record that was not handled.
 *
 * The runtime (clients, record path, breaker, retry policies) is built once per cold start from
 * `Config`: `CDC_EVENT_BUS_NAME`, `CDC_STATE_TABLE`, `CDC_DLQ_URL` (required), `CDC_SOURCE_PREFIX`
 * (default `cdc-pipeline`), `CDC_CHECKPOINT_TTL_HOURS` (optional), `CDC_HASH_KEY`, `CDC_TOKENIZE_KEY`, `CDC_RETRY_<DEP>_*`,
 * `CDC_BREAKER_*`; AWS endpoints through `AWS_ENDPOINT_URL`. Each batch prints one JSON summary
 * log line (no record values) and its metrics as CloudWatch EMF lines (namespace `CdcPipeline`).
 *
 * @example
 * ```ts
 * // SST: new sst.aws.Function("Processor", { handler: "packages/functions/src/processor.handler" })
 * const { batchItemFailures } = await handler(kinesisEvent, context)
 * ```
 */
import { DynamoCheckpointStore } from "@cdc/aws/DynamoCheckpointStore"
import { EventBridgeEventBus } from "@cdc/aws/EventBridgeEventBus"
import { SqsDeadLetterQueue } from "@cdc/aws/SqsDeadLetterQueue"
import { type BatchResult, type BatchServices, processBatch, shardOf } from "@cdc/pipeline/BatchProcessor"
import { PublishBreaker } from "@cdc/pipeline/CircuitBreaker"
import type { EventBus } from "@cdc/pipeline/EventBus"
import { emfLines } from "@cdc/pipeline/Metrics"
import * as RecordPath from "@cdc/pipeline/RecordPath"
import { safeCause } from "@cdc/pipeline/SafeCause"
import type { Context, KinesisStreamBatchResponse, KinesisStreamEvent } from "aws-lambda"
import * as Clock from "effect/Clock"
import * as Console from "effect/Console"
import * as Effect from "effect/Effect"
import * as Layer from "effect/Layer"
import * as ManagedRuntime from "effect/ManagedRuntime"
import * as Metric from "effect/Metric"
import { invocationEnd, lambdaEnvironment, lambdaError, withInvocation } from "./LambdaEnvironment"

/** The EMF namespace of the processor's metrics. */
export const metricsNamespace = "CdcPipeline"

export interface HandlerOptions {
  /**
   * Receives each batch's result and metric snapshot (e.g. `cdc_aws_calls` by service and
   * operation): how the local runner and the benchmarks count AWS calls.
   */
  readonly onBatch?: (result: BatchResult, metrics: ReadonlyArray<Metric.Metric.Snapshot>) => void
  /** Print EMF lines to stdout (default true). */
  readonly emf?: boolean
  /** The longest pace of Lambda's retry after a failed dependency (`BatchOptions`; default 10 s). */
  readonly retryPaceMillis?: number
}

/** The earliest record of every shard: what is reported when the program itself breaks. */
const everyShardFromStart = (event: KinesisStreamEvent) => {
  const first = new Map<string, string>()
  for (const record of event.Records ?? []) {
    const key = `${record.eventSourceARN}#${shardOf(record).shardId}`
    if (!first.has(key)) first.set(key, record.kinesis.sequenceNumber)
  }
  return [...first.values()].map((itemIdentifier) => ({ itemIdentifier }))
}

/**
 * A handler over the given services (tests pass fault-injecting or in-memory ones; {@link handler}
 * the live ones). The runtime is built on first use and kept for the container's life.
 *
 * @example
 * ```ts
 * const handle = makeProcessorHandler(liveLayerWith({ eventBus: EventBridgeEventBus.layerWithFaults(plan) }))
 * ```
 */
export const makeProcessorHandler = <E>(layer: Layer.Layer<BatchServices, E>, options: HandlerOptions = {}) => {
  const runtime = ManagedRuntime.make(layer)
  return (
    event: KinesisStreamEvent,
    context?: Pick<Context, "awsRequestId" | "functionName"> & Partial<Pick<Context, "getRemainingTimeInMillis">>
  ): Promise<KinesisStreamBatchResponse> => {
    const records = event.Records ?? []
    const program = Effect.gen(function* () {
      // the batch returns before Lambda's timeout would end it (see BatchProcessor)
      const result = yield* processBatch(records, { endsAt: yield* invocationEnd(context), retryPaceMillis: options.retryPaceMillis })
      const snapshots = yield* Metric.snapshot
      if (options.emf !== false) {
        const timestamp = yield* Clock.currentTimeMillis
        const dimensions = context?.functionName ? { functionName: context.functionName } : {}
        for (const line of emfLines(snapshots, { namespace: metricsNamespace, timestamp, dimensions })) yield* Console.log(line)
      }
      options.onBatch?.(result, snapshots)
      return { batchItemFailures: [...result.batchItemFailures] }
    }).pipe(
      // A fresh registry per batch: the EMF lines are this batch's figures, not the container's.
      Effect.provideService(Metric.MetricRegistry, new Map()),
      Effect.catchCause((cause) =>
        Effect.logError("batch failed unexpectedly; every shard is reported from its first record", safeCause(cause)).pipe(
          Effect.as({ batchItemFailures: everyShardFromStart(event) })
        )
      ),
      withInvocation(context)
    )
    // the runtime is built here on a cold start: a configuration that cannot be read rejects as an Error
    return runtime.runPromise(program).catch((error) => Promise.reject(lambdaError(error)))
  }
}

/** Replaceable parts of the live layer (integration tests swap the bus for a fault-injecting one). */
export interface LiveParts {
  readonly eventBus?: Layer.Layer<EventBus>
}

/** The live services, configured once from the environment; logs are JSON lines. */
export const liveLayerWith = (parts: LiveParts = {}) =>
  lambdaEnvironment(
    Layer.mergeAll(
      RecordPath.layerConfig,
      parts.eventBus ?? EventBridgeEventBus.layer,
      DynamoCheckpointStore.layerConfig,
      SqsDeadLetterQueue.layerConfig,
      PublishBreaker.layerConfig
    )
  )

export const liveLayer = liveLayerWith()

/** The Lambda entry point. */
export const handler = makeProcessorHandler(liveLayer)
