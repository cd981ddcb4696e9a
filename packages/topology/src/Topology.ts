/**
 * The whole deployed topology of one stage, as plain data: the single source of truth that
 * `stacks/` deploys with SST and the local runner recreates on the emulator.
 *
 * @example
 * ```ts
 * import { makeTopology } from "@cdc/topology/Topology"
 * const topology = makeTopology({ stage: "prod" })
 * topology.resources.stream.capacity // { _tag: "OnDemand" }
 * topology.functions.processor.source.batchSize // 500
 * ```
 */
import type { Classified } from "@cdc/domain/Classified"
import { defaultSourcePrefix, sourcePrefixProblem } from "@cdc/domain/SourcePrefix"
import { type AlarmSettings, makeAlarms } from "./Alarms"
import { type Functions, makeFunctions } from "./Functions"
import { limits } from "./Limits"
import { isProductionStage, makeNames, type Names, stagePattern } from "./Names"
import { makeResources, type Resources, type StreamCapacity } from "./Resources"
import {
  type ConsumerQueue,
  type Delivery,
  type EventArchive,
  makeConsumerQueues,
  makeDelivery,
  makeEventArchive,
  makeRules,
  type Rule
} from "./Rules"

export interface TopologyOptions {
  readonly stage: string
  /** Default `cdc-pipeline`. */
  readonly app?: string | undefined
  /** The `Source` prefix of published events (`CDC_SOURCE_PREFIX`), default `cdc-pipeline`. */
  readonly sourcePrefix?: string | undefined
  /** A provisioned shard count; on-demand when absent. */
  readonly streamShards?: number | undefined
}

export interface Topology {
  readonly names: Names
  readonly production: boolean
  /** SST's `removal`: production keeps its data when the stage is removed. */
  readonly removal: "retain" | "remove"
  /** SST's `protect`: production refuses `sst remove`. */
  readonly protect: boolean
  readonly sourcePrefix: string
  readonly resources: Resources
  readonly consumerQueues: ReadonlyArray<ConsumerQueue>
  readonly rules: ReadonlyArray<Rule>
  /** Retries of the rules' targets, and the DLQ of what they could not deliver. */
  readonly delivery: Delivery
  readonly eventArchive: EventArchive
  readonly functions: Functions
  readonly alarms: ReadonlyArray<AlarmSettings>
}

/** The options were invalid, or would produce names or settings AWS rejects. */
export class TopologyError extends Error implements Classified {
  readonly _tag = "TopologyError"
  readonly category = "configuration"
  readonly code = "invalid-topology"
  readonly retryable = false
  constructor(readonly problems: ReadonlyArray<string>) {
    super(`Invalid topology: ${problems.join("; ")}`)
    this.name = "TopologyError"
  }
}

export const defaultApp = "cdc-pipeline"

/**
 * Why `sst dev` must not run on a stage, or `undefined` when it may. In dev mode SST replaces
 * the functions with stubs, which answer for the real ones once no session runs (the stream's
 * and the DLQ's mappings then count what arrives as processed, and it is gone), and lets the
 * account assume the functions' roles: never on a production stage, whose stream DMS feeds.
 *
 * @example
 * ```ts
 * devModeProblem(makeTopology({ stage: "prod" })) // "sst dev is refused on the production stage prod: …"
 * devModeProblem(makeTopology({ stage: "alice" })) // undefined
 * ```
 */
export const devModeProblem = (topology: Topology): string | undefined =>
  topology.production
    ? `sst dev is refused on the production stage ${topology.names.stage}: its stub functions would drop what reaches the stream and the DLQ whenever no dev session runs; debug on a personal stage (npx sst dev --stage <your-name>)`
    : undefined

/**
 * The topology of a stage. Throws a {@link TopologyError} listing every problem when the options
 * are invalid (a stage too long for the names AWS accepts, a shard count below one, …).
 *
 * @example
 * ```ts
 * makeTopology({ stage: "dev", streamShards: 2 }).resources.stream.capacity // { _tag: "Provisioned", shards: 2 }
 * ```
 */
export const makeTopology = (options: TopologyOptions): Topology => {
  const sourcePrefix = options.sourcePrefix ?? defaultSourcePrefix
  const names = makeNames(options.app ?? defaultApp, options.stage)
  const production = isProductionStage(options.stage)
  const capacity: StreamCapacity =
    options.streamShards === undefined ? { _tag: "OnDemand" } : { _tag: "Provisioned", shards: options.streamShards }
  const resources = makeResources(names, capacity, production)
  const functions = makeFunctions(names, sourcePrefix, resources.stream.retentionHours)
  const rules = makeRules(names, sourcePrefix)
  const topology: Topology = {
    names,
    production,
    removal: production ? "retain" : "remove",
    protect: production,
    sourcePrefix,
    resources,
    consumerQueues: makeConsumerQueues(names),
    rules,
    delivery: makeDelivery(names),
    eventArchive: makeEventArchive(names, sourcePrefix),
    functions,
    alarms: makeAlarms(names, functions, rules)
  }
  const problems = [
    ...(stagePattern.test(options.stage) ? [] : [`stage "${options.stage}" must be lowercase letters, digits and hyphens`]),
    ...[sourcePrefixProblem(sourcePrefix)].filter((problem) => problem !== undefined),
    ...checkTopology(topology)
  ]
  if (problems.length > 0) throw new TopologyError(problems)
  return topology
}

/**
 * Options from deploy-time environment variables: `CDC_STREAM_SHARDS` (a positive integer
 * switches the stream to provisioned mode) and `CDC_SOURCE_PREFIX`.
 *
 * @example
 * ```ts
 * topologyOptionsFromEnv("prod", { CDC_STREAM_SHARDS: "4" }) // { stage: "prod", streamShards: 4, sourcePrefix: undefined }
 * ```
 */
export const topologyOptionsFromEnv = (stage: string, env: Readonly<Record<string, string | undefined>>): TopologyOptions => {
  const shards = env.CDC_STREAM_SHARDS?.trim()
  if (shards !== undefined && shards !== "" && !/^\d+$/.test(shards)) {
    throw new TopologyError([`CDC_STREAM_SHARDS must be a positive integer, got "${shards}"`])
  }
  return {
    stage,
    streamShards: shards === undefined || shards === "" ? undefined : Number(shards),
    // as the functions, `cdc start`, dry-run and schema read it: empty is unset, spaces are refused
    sourcePrefix: env.CDC_SOURCE_PREFIX || undefined
  }
}

const within = (label: string, value: number, min: number, max: number): ReadonlyArray<string> =>
  Number.isInteger(value) && value >= min && value <= max ? [] : [`${label} is ${value}, must be an integer in [${min}, ${max}]`]

const fits = (label: string, name: string, max: number): ReadonlyArray<string> =>
  name.length <= max ? [] : [`${label} name "${name}" is ${name.length} characters, AWS allows ${max}`]

/**
 * Every problem AWS would reject at deploy time, or that would break an invariant of the
 * pipeline (a record given up after the stream dropped it, a record skipped because another
 * batch of its shard checkpointed past it, a DLQ message redelivered while the worker still
 * holds it). Empty for a valid topology.
 *
 * @example
 * ```ts
 * checkTopology(makeTopology({ stage: "dev" })) // []
 * ```
 */
export const checkTopology = (topology: Topology): ReadonlyArray<string> => {
  const { names, resources, functions, rules, delivery, eventArchive, alarms, consumerQueues } = topology
  const { processor, dlqWorker } = functions
  const esm = processor.source
  const l = limits
  const capacity = resources.stream.capacity
  const queues = [resources.dlq, resources.parkingQueue, delivery.dlq, ...consumerQueues]
  return [
    ...fits("stream", resources.stream.name, l.kinesis.streamNameMaxLength),
    ...fits("table", resources.stateTable.name, l.dynamodb.tableNameMaxLength),
    ...fits("bus", resources.bus.name, l.eventBridge.busNameMaxLength),
    ...fits("archive", eventArchive.name, l.eventBridge.archiveNameMaxLength),
    ...rules.flatMap((rule) => fits("rule", rule.name, l.eventBridge.ruleNameMaxLength)),
    ...queues.flatMap((q) => fits("queue", q.name, l.sqs.queueNameMaxLength)),
    // 12 digits of account id and a hyphen are appended in AWS.
    ...fits("bucket", `${resources.archiveBucket.localName}-000000000000`, l.s3.bucketNameMaxLength),
    ...fits("topic", resources.alertTopic.name, l.sns.topicNameMaxLength),
    ...[processor, dlqWorker].flatMap((fn) => [
      ...fits("function", fn.name, l.lambda.functionNameMaxLength),
      ...within(`${fn.name} timeout (s)`, fn.timeoutSeconds, 1, l.lambda.maxTimeoutSeconds),
      ...within(`${fn.name} memory (MB)`, fn.memoryMb, l.lambda.minMemoryMb, l.lambda.maxMemoryMb)
    ]),
    ...alarms.flatMap((alarm) => fits("alarm", alarm.name, l.cloudwatch.alarmNameMaxLength)),
    ...fits("dashboard", names.dashboard, l.cloudwatch.dashboardNameMaxLength),
    ...(capacity._tag === "Provisioned" ? within("shard count", capacity.shards, 1, 10_000) : []),
    ...within("stream retention (h)", resources.stream.retentionHours, l.kinesis.minRetentionHours, l.kinesis.maxRetentionHours),
    ...within("batch size", esm.batchSize, 1, l.lambda.maxKinesisBatchSize),
    ...within("batching window (s)", esm.maximumBatchingWindowInSeconds, 0, l.lambda.maxBatchingWindowSeconds),
    ...within("parallelization factor", esm.parallelizationFactor, 1, l.lambda.maxParallelizationFactor),
    // Concurrent batches of one shard each hold a partition-key subset of it and advance on their
    // own, so one batch's checkpoint passes records another batch has yet to process, and those
    // would be skipped as already handled: lost.
    ...(esm.parallelizationFactor === 1
      ? []
      : [
          `parallelization factor is ${esm.parallelizationFactor}, must be 1: the processor skips records at or below its shard's checkpoint, which concurrent batches of one shard would pass for each other`
        ]),
    // IteratorAge has one data point per batch: a period no longer than a batch may hold none while
    // the processor lags, and a missing point counts as not breaching
    ...alarms
      .filter((alarm) => alarm.metricName === "IteratorAge" && alarm.periodSeconds <= processor.timeoutSeconds)
      .map(
        (alarm) =>
          `${alarm.name} looks at periods of ${alarm.periodSeconds} s, no longer than a batch may run (${processor.timeoutSeconds} s): a lagging processor's periods may hold no IteratorAge data point, and the alarm would not fire`
      ),
    ...within("maximum retry attempts", esm.maximumRetryAttempts, 0, l.lambda.maxRetryAttempts),
    ...within("maximum record age (s)", esm.maximumRecordAgeInSeconds, l.lambda.minRecordAgeSeconds, l.lambda.maxRecordAgeSeconds),
    ...(esm.maximumRecordAgeInSeconds < resources.stream.retentionHours * 3600
      ? []
      : ["maximum record age must be shorter than the stream's retention, or records expire before reaching the DLQ"]),
    ...within("DLQ worker batch size", dlqWorker.source.batchSize, 1, l.lambda.maxSqsBatchSizeWithoutWindow),
    ...within("DLQ worker batching window (s)", dlqWorker.source.maximumBatchingWindowInSeconds, 0, l.lambda.maxBatchingWindowSeconds),
    ...within(
      "DLQ worker maximum concurrency",
      dlqWorker.source.maximumConcurrency,
      l.lambda.minSqsMaximumConcurrency,
      l.lambda.maxSqsMaximumConcurrency
    ),
    ...(resources.dlq.visibilityTimeoutSeconds >= dlqWorker.timeoutSeconds * 6
      ? []
      : ["the DLQ's visibility timeout must be at least six times the DLQ worker's timeout"]),
    // A dead letter the worker keeps failing is received once per visibility timeout, and SQS drops
    // it from ApproximateAgeOfOldestMessage at its third receive: the age alarm must fire before
    // then, with two of the metric's one-minute samples to spare.
    ...alarms
      .filter((alarm) => alarm.metricName === "ApproximateAgeOfOldestMessage" && alarm.dimensions.QueueName === resources.dlq.name)
      .flatMap((alarm) =>
        alarm.threshold + 2 * 60 <= (l.sqs.ageMetricMaxReceives - 1) * resources.dlq.visibilityTimeoutSeconds
          ? []
          : [
              `${alarm.name} pages at ${alarm.threshold} s: SQS stops counting a dead letter the worker keeps failing in ApproximateAgeOfOldestMessage at its receive number ${l.sqs.ageMetricMaxReceives}, ${(l.sqs.ageMetricMaxReceives - 1) * resources.dlq.visibilityTimeoutSeconds} s after the first, so the alarm would never see it`
            ]
      ),
    ...queues.flatMap((q) => within(`${q.name} retention (s)`, q.retentionSeconds, l.sqs.minRetentionSeconds, l.sqs.maxRetentionSeconds)),
    // a message moved to a dead-letter queue keeps its first enqueue time (AWS's advice: keep it there longer)
    ...(resources.parkingQueue.retentionSeconds >= resources.dlq.retentionSeconds + 3 * 86_400
      ? []
      : [
          "the parking queue must keep messages at least three days longer than the DLQ: a parked message expires by the time it first entered the DLQ"
        ]),
    // A delivered event is the published entry (up to a whole PutEvents request) plus EventBridge's
    // envelope, and in the delivery DLQ its error attributes too: a queue that takes no more than
    // the entry refuses it, and EventBridge then drops it without a trace in the delivery DLQ.
    ...[delivery.dlq, ...consumerQueues].flatMap((q) => [
      ...within(`${q.name} maximum message size (bytes)`, q.maxMessageBytes, l.sqs.minMessageBytes, l.sqs.maxMessageBytes),
      ...(q.maxMessageBytes > l.eventBridge.putEventsMaxBytes
        ? []
        : [
            `${q.name} takes messages of at most ${q.maxMessageBytes} bytes: an event as large as a PutEvents request (${l.eventBridge.putEventsMaxBytes} bytes) no longer fits once EventBridge wraps it, and would be dropped`
          ])
    ]),
    ...within("rule target retry attempts", delivery.retry.maximumRetryAttempts, 0, l.eventBridge.maxTargetRetryAttempts),
    ...within(
      "rule target event age (s)",
      delivery.retry.maximumEventAgeSeconds,
      l.eventBridge.minTargetEventAgeSeconds,
      l.eventBridge.maxTargetEventAgeSeconds
    )
  ]
}
