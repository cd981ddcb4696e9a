/**
 * The two Lambda functions: their runtime settings, their event source mappings, the environment
 * each one reads (the same variables the code reads locally, so `sst dev` needs nothing else) and
 * the exact IAM actions each one is granted, per resource.
 *
 * @example
 * ```ts
 * const fns = makeFunctions(names, "cdc-pipeline", 24)
 * fns.processor.source.batchSize // 500
 * fns.processor.grants.map((g) => g.actions).flat() // ["kinesis:DescribeStream", ...]
 * ```
 */
import { developmentHashKey, developmentTokenizeKey, minimumRedactionKeyLength } from "@cdc/domain/RedactionKeyRules"
import { limits } from "./Limits"
import type { Names } from "./Names"
import { dlqWorkerTimeoutSeconds } from "./Resources"

/** A stateful resource of the topology, resolved to its ARN (or URL, name) by whoever deploys it. */
export type ResourceKey = "stream" | "stateTable" | "bus" | "dlq" | "parkingQueue" | "archiveBucket" | "alertTopic"

/** Where an environment variable's value comes from. */
export type EnvSource =
  | { readonly _tag: "Resource"; readonly resource: ResourceKey; readonly attribute: "name" | "arn" | "url" }
  | { readonly _tag: "Secret"; readonly secret: SecretName }
  | { readonly _tag: "Value"; readonly value: string }

/** The redaction keys, by the names of their SST secrets on other stages than production's. */
export type SecretName = "CdcHashKey" | "CdcTokenizeKey"
export const secretNames: ReadonlyArray<SecretName> = ["CdcHashKey", "CdcTokenizeKey"]

/**
 * The SST secret that holds a redaction key on a stage (`npx sst secret set <it> …`). Production
 * stages have their own (`CdcHashKeyProduction`): SST gives a stage without a value of its own
 * the value set with `--fallback`, which the README suggests for personal stages, so under a
 * shared name a production stage deployed before its keys were set would hash with a key every
 * developer's stage holds, in silence. Under its own name, it stops until they are set.
 *
 * @example
 * ```ts
 * sstSecretName("CdcHashKey", false) // "CdcHashKey"
 * sstSecretName("CdcHashKey", true) // "CdcHashKeyProduction"
 * ```
 */
export const sstSecretName = (name: SecretName, production: boolean): string => (production ? `${name}Production` : name)

/**
 * The public development keys the functions fall back to when `CDC_HASH_KEY` / `CDC_TOKENIZE_KEY`
 * is unset, empty or blank (`@cdc/domain/RedactionKeyRules`, which like this package is free of
 * `effect`, since `sst.config.ts` loads it).
 */
export const publicRedactionKeys: ReadonlyArray<string> = [developmentHashKey, developmentTokenizeKey]

/** The shortest redaction key the deploy accepts: the length under which the functions warn. */
export { minimumRedactionKeyLength }

/**
 * Why a redaction key must not be deployed, or `undefined` when it may. An empty (or blank)
 * secret is accepted by SST (`sst secret set CdcHashKey ""`, a failed `$(openssl …)`, Enter at
 * the prompt) and would make the deployed functions fall back, silently, to the public
 * development key; a public development key protects nothing either.
 *
 * @example
 * ```ts
 * redactionKeyProblem("CdcHashKey", "") // "CdcHashKey is empty: …"
 * redactionKeyProblem("CdcHashKey", "9f2c…") // undefined
 * ```
 */
export const redactionKeyProblem = (name: string, value: string): string | undefined => {
  if (value.trim() === "") {
    return `${name} is empty: the functions would silently use the public development key. Set it with \`npx sst secret set ${name} "$(openssl rand -hex 32)"\``
  }
  if (publicRedactionKeys.includes(value.trim())) {
    return `${name} is a public development key (it is in the source code): set a long random value with \`npx sst secret set ${name} "$(openssl rand -hex 32)"\``
  }
  if (value.trim().length < minimumRedactionKeyLength) {
    return `${name} is shorter than ${minimumRedactionKeyLength} characters: hashes and tokens made with a short key can be reversed by trying every key. Set a long random value with \`npx sst secret set ${name} "$(openssl rand -hex 32)"\``
  }
  return undefined
}

/**
 * Why the two redaction keys must not be deployed together, or `undefined` when they may: the
 * spec wants TOKENIZE's key separate from HASH's (under one key a token is the first 12 hex digits
 * of the value's hash, so tokens and hashes could be joined). The functions refuse to start with
 * one key for both too (`@cdc/domain/RedactionKeys`); the deploy stops before that.
 *
 * @example
 * ```ts
 * sameRedactionKeysProblem("9f2c…", "9f2c…") // "CdcHashKey and CdcTokenizeKey are the same key: …"
 * ```
 */
export const sameRedactionKeysProblem = (hashKey: string, tokenizeKey: string, production = false): string | undefined => {
  if (hashKey !== tokenizeKey) return undefined
  const [hash, tokenize] = [sstSecretName("CdcHashKey", production), sstSecretName("CdcTokenizeKey", production)]
  return `${hash} and ${tokenize} are the same key: a token could then be matched against a hash. Give each its own with \`npx sst secret set ${tokenize} "$(openssl rand -hex 32)"\``
}

/**
 * IAM actions on one resource. `scope: "objects"` means the bucket's objects
 * (`<bucket arn>/*`) rather than the bucket itself.
 */
export interface Grant {
  readonly resource: ResourceKey
  readonly scope?: "objects"
  readonly actions: ReadonlyArray<string>
}

export interface KinesisSource {
  readonly _tag: "Kinesis"
  readonly startingPosition: "TRIM_HORIZON" | "LATEST"
  readonly batchSize: number
  readonly maximumBatchingWindowInSeconds: number
  readonly parallelizationFactor: number
  readonly functionResponseTypes: ReadonlyArray<"ReportBatchItemFailures">
  readonly bisectBatchOnFunctionError: boolean
  readonly maximumRetryAttempts: number
  readonly maximumRecordAgeInSeconds: number
  readonly onFailure: ResourceKey
}

export interface SqsSource {
  readonly _tag: "Sqs"
  readonly queue: ResourceKey
  readonly batchSize: number
  readonly maximumBatchingWindowInSeconds: number
  readonly functionResponseTypes: ReadonlyArray<"ReportBatchItemFailures">
  /** Concurrent invocations the mapping may run (`ScalingConfig.MaximumConcurrency`). */
  readonly maximumConcurrency: number
}

export interface FunctionSettings {
  readonly name: string
  /** SST handler path, relative to the repository root. */
  readonly handler: string
  readonly runtime: "nodejs22.x"
  readonly architecture: "arm64"
  readonly memoryMb: number
  readonly timeoutSeconds: number
  readonly source: KinesisSource | SqsSource
  readonly environment: Readonly<Record<string, EnvSource>>
  readonly grants: ReadonlyArray<Grant>
}

export interface Functions {
  readonly processor: FunctionSettings & { readonly source: KinesisSource }
  readonly dlqWorker: FunctionSettings & { readonly source: SqsSource }
}

const resource = (key: ResourceKey, attribute: "name" | "arn" | "url"): EnvSource => ({ _tag: "Resource", resource: key, attribute })
const secret = (name: SecretName): EnvSource => ({ _tag: "Secret", secret: name })

/**
 * After an alert, how long its problem's further alerts are counted instead of sent (the DLQ
 * worker's `CDC_ALERT_WINDOW_MINUTES`): a flood pages once, and again a quarter of an hour later
 * with the count, if it goes on.
 */
export const alertWindowMinutes = 15

/** What both functions need to turn a Kinesis record into its redacted form. */
const recordPathEnvironment = (sourcePrefix: string): Readonly<Record<string, EnvSource>> => ({
  CDC_SOURCE_PREFIX: { _tag: "Value", value: sourcePrefix },
  CDC_EVENT_BUS_NAME: resource("bus", "name"),
  CDC_STREAM_NAME: resource("stream", "name"),
  CDC_HASH_KEY: secret("CdcHashKey"),
  CDC_TOKENIZE_KEY: secret("CdcTokenizeKey")
})

/** The read actions a Kinesis event source mapping needs on its stream (as SST grants them). */
const streamConsumerActions = [
  "kinesis:DescribeStream",
  "kinesis:DescribeStreamSummary",
  "kinesis:GetRecords",
  "kinesis:GetShardIterator",
  "kinesis:ListShards",
  "kinesis:ListStreams",
  "kinesis:SubscribeToShard"
]

/** The actions an SQS event source mapping needs on its queue (as SST grants them). */
const queueConsumerActions = [
  "sqs:ChangeMessageVisibility",
  "sqs:DeleteMessage",
  "sqs:GetQueueAttributes",
  "sqs:GetQueueUrl",
  "sqs:ReceiveMessage"
]

/**
 * The functions of a stage.
 *
 * Sizing (see README.md, "The AWS limits that size these settings"): a batch of 500 records is 50 `PutEvents` calls of
 * 10 entries; 1 GB of memory gives the CPU share for decoding and HMAC-ing it; the timeout covers
 * the worst case of every call exhausting its retries (`batchTimeBudgetMillis`), and calls slower
 * than that are cut by the batch itself before the timeout (the pipeline's `BatchTime`). Parallelization
 * factor 1: one batch per shard at a time, the only setting under which a shard's checkpoint is
 * sound (see `checkTopology`). Retries are bounded and old records are given up to the DLQ long
 * before the stream drops them. While the bus's circuit is open each attempt ends no sooner than
 * its next trial (the pipeline paces Lambda's retries, up to 10 s), so 20 retries outlast an
 * EventBridge outage of over three minutes before a batch is given up (which would break
 * per-entity order until it is redriven).
 *
 * @example
 * ```ts
 * makeFunctions(names, "cdc-pipeline", 24).dlqWorker.source.functionResponseTypes // ["ReportBatchItemFailures"]
 * ```
 */
export const makeFunctions = (names: Names, sourcePrefix: string, streamRetentionHours: number): Functions => ({
  processor: {
    name: names.processorFunction,
    handler: "packages/functions/src/processor.handler",
    runtime: "nodejs22.x",
    architecture: "arm64",
    memoryMb: 1024,
    timeoutSeconds: 150,
    source: {
      _tag: "Kinesis",
      startingPosition: "TRIM_HORIZON",
      batchSize: 500,
      maximumBatchingWindowInSeconds: 1,
      parallelizationFactor: 1,
      functionResponseTypes: ["ReportBatchItemFailures"],
      bisectBatchOnFunctionError: true,
      maximumRetryAttempts: 20,
      maximumRecordAgeInSeconds: 6 * 60 * 60,
      onFailure: "dlq"
    },
    environment: {
      ...recordPathEnvironment(sourcePrefix),
      CDC_STATE_TABLE: resource("stateTable", "name"),
      // a checkpoint is deleted (TTL) a day after the last record it covers left the stream
      CDC_CHECKPOINT_TTL_HOURS: { _tag: "Value", value: String(streamRetentionHours + 24) },
      CDC_DLQ_URL: resource("dlq", "url")
    },
    grants: [
      { resource: "stream", actions: streamConsumerActions },
      { resource: "bus", actions: ["events:PutEvents"] },
      // one BatchGetItem of the batch's checkpoints, one conditional UpdateItem per shard: nothing else
      { resource: "stateTable", actions: ["dynamodb:BatchGetItem", "dynamodb:UpdateItem"] },
      // Its own dead letters, and the event source mapping's on-failure records (sent with the function's role).
      { resource: "dlq", actions: ["sqs:SendMessage"] }
    ]
  },
  dlqWorker: {
    name: names.dlqWorkerFunction,
    handler: "packages/functions/src/dlqWorker.handler",
    runtime: "nodejs22.x",
    architecture: "arm64",
    memoryMb: 512,
    timeoutSeconds: dlqWorkerTimeoutSeconds,
    source: {
      _tag: "Sqs",
      queue: "dlq",
      batchSize: 10,
      maximumBatchingWindowInSeconds: 5,
      functionResponseTypes: ["ReportBatchItemFailures"],
      // Every dead letter of a Kinesis on-failure record makes the worker read the stream
      // (GetShardIterator + GetRecords), and a shard serves 5 reads per second to all its readers,
      // the processor's mapping included: a burst of dead letters must not scale the worker up
      // to the point of starving the processor's reads. Two is the least AWS allows.
      maximumConcurrency: 2
    },
    environment: {
      ...recordPathEnvironment(sourcePrefix),
      CDC_ARCHIVE_BUCKET: resource("archiveBucket", "name"),
      CDC_ALERT_TOPIC_ARN: resource("alertTopic", "arn"),
      // the alert window's items (`alert#…`) beside the checkpoints
      CDC_STATE_TABLE: resource("stateTable", "name"),
      CDC_ALERT_WINDOW_MINUTES: { _tag: "Value", value: String(alertWindowMinutes) }
    },
    grants: [
      { resource: "dlq", actions: queueConsumerActions },
      // On-failure records carry only a sequence-number range: the worker fetches the records.
      { resource: "stream", actions: ["kinesis:GetRecords", "kinesis:GetShardIterator"] },
      // Write-once archive: a conditional PutObject (If-None-Match: *) is the only S3 call; it reads nothing.
      { resource: "archiveBucket", scope: "objects", actions: ["s3:PutObject"] },
      { resource: "alertTopic", actions: ["sns:Publish"] },
      // one conditional UpdateItem per alert decision (its window's claim, count, confirm or release): nothing else
      { resource: "stateTable", actions: ["dynamodb:UpdateItem"] }
    ]
  }
})

/** The retry figures of one dependency (structurally `RetryPolicy` of `@cdc/pipeline/RetryPolicy`). */
export interface RetryFigures {
  readonly maxRetries: number
  readonly maxDelayMillis: number
  readonly baseDelayMillis: number
  readonly jitter: number
}

/**
 * The longest a full batch can take when every `PutEvents` call and every checkpoint write
 * exhausts its retries at the longest jittered delays, plus `callMillis` per attempt, plus the
 * pace of a batch that ends against an open circuit (`retryPaceMillis`, see the pipeline's
 * `maxRetryPaceMillis`). Chunks are published one after the other (ordering within a shard), so
 * the worst case adds up.
 *
 * @example
 * ```ts
 * batchTimeBudgetMillis({ batchSize: 500, publish, checkpoint, callMillis: 100, retryPaceMillis: 10_000 }) < 150_000
 * ```
 */
export const batchTimeBudgetMillis = (input: {
  readonly batchSize: number
  readonly publish: RetryFigures
  readonly checkpoint: RetryFigures
  readonly callMillis: number
  readonly retryPaceMillis: number
}): number => {
  const worstCall = (policy: RetryFigures) => {
    let total = input.callMillis
    for (let attempt = 1; attempt <= policy.maxRetries; attempt++) {
      const capped = Math.min(policy.baseDelayMillis * 2 ** (attempt - 1), policy.maxDelayMillis)
      total += capped * (1 + policy.jitter) + input.callMillis
    }
    return total
  }
  const putEventsCalls = Math.ceil(input.batchSize / limits.eventBridge.putEventsMaxEntries)
  return putEventsCalls * worstCall(input.publish) + worstCall(input.checkpoint) + input.retryPaceMillis
}
