/**
 * The AWS service limits that size the topology's settings. Every figure here is a documented
 * quota or API constraint (see README.md, "The AWS limits that size these settings", for the sources); the settings in
 * this package are checked against them by the unit tests, so a change that would be rejected by
 * AWS at deploy time, or that would silently overload a shard, fails `npm test` instead.
 *
 * @example
 * ```ts
 * import { limits } from "@cdc/topology/Limits"
 * Math.ceil(batchSize / limits.eventBridge.putEventsMaxEntries) // PutEvents calls per batch
 * ```
 */

export const limits = {
  eventBridge: {
    /** Entries per `PutEvents` request. */
    putEventsMaxEntries: 10,
    /** Total size of one `PutEvents` request (all entries), in bytes. */
    putEventsMaxBytes: 256 * 1024,
    /** Length of a rule name. */
    ruleNameMaxLength: 64,
    /** Retries of a rule target's delivery: EventBridge's maximum (and default) attempts and event age. */
    maxTargetRetryAttempts: 185,
    minTargetEventAgeSeconds: 60,
    maxTargetEventAgeSeconds: 24 * 60 * 60,
    /** Length of an archive name. */
    archiveNameMaxLength: 48,
    /** Length of an event bus name. */
    busNameMaxLength: 256
  },
  kinesis: {
    /** Write throughput of one shard (provisioned mode), bytes per second. */
    shardWriteBytesPerSecond: 1024 * 1024,
    /** Write throughput of one shard (provisioned mode), records per second. */
    shardWriteRecordsPerSecond: 1000,
    /** Shared read throughput of one shard, bytes per second. */
    shardReadBytesPerSecond: 2 * 1024 * 1024,
    /** Retention bounds, hours. */
    minRetentionHours: 24,
    maxRetentionHours: 8760,
    streamNameMaxLength: 128
  },
  lambda: {
    /** Concurrent batches per shard (the event source mapping's parallelization factor). */
    maxParallelizationFactor: 10,
    /** Records per batch for a Kinesis event source mapping. */
    maxKinesisBatchSize: 10_000,
    /** Records per batch for an SQS event source mapping without a batching window. */
    maxSqsBatchSizeWithoutWindow: 10,
    /** An SQS event source mapping's `ScalingConfig.MaximumConcurrency` bounds. */
    minSqsMaximumConcurrency: 2,
    maxSqsMaximumConcurrency: 1000,
    /** Batching window, seconds. */
    maxBatchingWindowSeconds: 300,
    /** Maximum record age bounds (seconds) of a stream event source mapping; -1 means infinite. */
    minRecordAgeSeconds: 60,
    maxRecordAgeSeconds: 604_800,
    /** Maximum retry attempts of a stream event source mapping; -1 means infinite. */
    maxRetryAttempts: 10_000,
    /** Invocation payload of a synchronous invocation (what an event source mapping does), bytes. */
    maxPayloadBytes: 6 * 1024 * 1024,
    /** Function timeout, seconds. */
    maxTimeoutSeconds: 900,
    minMemoryMb: 128,
    maxMemoryMb: 10_240,
    functionNameMaxLength: 64
  },
  sqs: {
    /** Message retention bounds, seconds (1 minute to 14 days). */
    minRetentionSeconds: 60,
    maxRetentionSeconds: 1_209_600,
    /** Visibility timeout upper bound, seconds (12 hours). */
    maxVisibilityTimeoutSeconds: 43_200,
    /** Message size bounds (`MaximumMessageSize`), bytes: 1 KiB to 1 MiB (1 MiB since August 2025). */
    minMessageBytes: 1024,
    maxMessageBytes: 1_048_576,
    queueNameMaxLength: 80,
    /**
     * A standard queue's message received this many times and not deleted leaves
     * `ApproximateAgeOfOldestMessage` (SQS moves it to the back of the queue; the metric then
     * points at the next message), even with a redrive policy.
     */
    ageMetricMaxReceives: 3
  },
  s3: {
    bucketNameMaxLength: 63
  },
  dynamodb: {
    tableNameMaxLength: 255
  },
  sns: {
    topicNameMaxLength: 256
  },
  cloudwatch: {
    alarmNameMaxLength: 255,
    dashboardNameMaxLength: 255
  }
} as const
