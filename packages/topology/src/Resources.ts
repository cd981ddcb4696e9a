/**
 * The stateful resources and their settings: the change stream, the checkpoint table, the bus,
 * the dead-letter and parking queues, the consumer queues, the archive bucket and the alert topic.
 * Plain data; `stacks/` turns it into SST components and the local runner into emulator resources.
 *
 * @example
 * ```ts
 * const resources = makeResources(makeNames("cdc-pipeline", "dev"), { _tag: "OnDemand" }, false)
 * resources.stateTable.key // { partitionKey: "pk", sortKey: undefined }
 * ```
 */
import type { Names } from "./Names"

/** On-demand (default: no capacity planning) or provisioned with a fixed shard count. */
export type StreamCapacity = { readonly _tag: "OnDemand" } | { readonly _tag: "Provisioned"; readonly shards: number }

export interface StreamSettings {
  readonly name: string
  readonly capacity: StreamCapacity
  /** Server-side encryption with the AWS-managed Kinesis key (no key policy to maintain). */
  readonly encryption: { readonly type: "KMS"; readonly keyId: "alias/aws/kinesis" }
  /** Longer than the event source mapping's maximum record age: DLQ coordinates stay fetchable. */
  readonly retentionHours: number
}

export interface StateTableSettings {
  readonly name: string
  readonly billing: "PAY_PER_REQUEST"
  readonly pointInTimeRecovery: true
  /** Epoch seconds after which DynamoDB deletes the item (idempotency markers, stale checkpoints). */
  readonly ttlAttribute: string
  /** The key the processor's checkpoint store uses: one item per `pk` (e.g. `SHARD#<shardId>`). */
  readonly key: { readonly partitionKey: string; readonly sortKey: string | undefined }
  readonly deletionProtection: boolean
}

export interface QueueSettings {
  readonly name: string
  readonly retentionSeconds: number
  readonly visibilityTimeoutSeconds: number
  /** SQS-managed server-side encryption (SSE-SQS). */
  readonly encrypted: true
  /** After this many receives without deletion, the message moves to `redriveTo`. */
  readonly redrive?: { readonly maxReceiveCount: number; readonly to: string }
}

export interface BucketSettings {
  /** The local name; in AWS `archiveBucketName(names, accountId)`. */
  readonly localName: string
  readonly encryption: "AES256"
  readonly blockPublicAccess: true
  /** The id of the one lifecycle rule, the same in AWS and on the emulator. */
  readonly lifecycleRuleId: string
  readonly transitions: ReadonlyArray<{ readonly days: number; readonly storageClass: "STANDARD_IA" | "GLACIER_IR" | "GLACIER" }>
  readonly abortIncompleteUploadsAfterDays: number
}

export interface Resources {
  readonly stream: StreamSettings
  readonly stateTable: StateTableSettings
  readonly bus: { readonly name: string }
  readonly dlq: QueueSettings
  readonly parkingQueue: QueueSettings
  readonly archiveBucket: BucketSettings
  readonly alertTopic: { readonly name: string }
}

const days = (n: number) => n * 24 * 60 * 60

/** Seconds the DLQ worker may take; its queue's visibility timeout is six times that (AWS's advice). */
export const dlqWorkerTimeoutSeconds = 60

/**
 * The stateful resources of a stage.
 *
 * @example
 * ```ts
 * makeResources(names, { _tag: "Provisioned", shards: 4 }, true).stream.retentionHours // 168
 * ```
 */
export const makeResources = (names: Names, capacity: StreamCapacity, production: boolean): Resources => ({
  stream: {
    name: names.stream,
    capacity,
    encryption: { type: "KMS", keyId: "alias/aws/kinesis" },
    // A week in production gives operators time to fetch a dead-lettered record by its coordinates.
    retentionHours: production ? 168 : 24
  },
  stateTable: {
    name: names.stateTable,
    billing: "PAY_PER_REQUEST",
    pointInTimeRecovery: true,
    ttlAttribute: "expiresAt",
    key: { partitionKey: "pk", sortKey: undefined },
    deletionProtection: production
  },
  bus: { name: names.bus },
  dlq: {
    name: names.dlq,
    // SQS keeps a message's first enqueue time when it moves it to the parking queue: a parked
    // letter expires by the DLQ's clock, so the DLQ keeps fewer days than the parking queue
    retentionSeconds: days(10),
    visibilityTimeoutSeconds: dlqWorkerTimeoutSeconds * 6,
    encrypted: true,
    redrive: { maxReceiveCount: 5, to: names.parkingQueue }
  },
  parkingQueue: {
    name: names.parkingQueue,
    retentionSeconds: days(14),
    visibilityTimeoutSeconds: 30,
    encrypted: true
  },
  archiveBucket: {
    localName: names.of("dlq-archive"),
    encryption: "AES256",
    blockPublicAccess: true,
    lifecycleRuleId: "archive-tiering",
    transitions: [
      { days: 30, storageClass: "STANDARD_IA" },
      { days: 90, storageClass: "GLACIER_IR" }
    ],
    abortIncompleteUploadsAfterDays: 7
  },
  alertTopic: { name: names.alertTopic }
})
