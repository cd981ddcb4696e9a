/**
 * Where failures go: the DLQ (with its own redrive to a parking queue, so a message the DLQ
 * worker keeps failing on is set aside instead of retried forever), the encrypted, private S3
 * archive of dead letters, and the SNS alert topic.
 *
 * The alert topic is not KMS-encrypted: CloudWatch alarms cannot publish to a topic encrypted with
 * the AWS-managed SNS key, and alerts never carry record values.
 *
 * @example
 * ```ts
 * const { dlq, parkingQueue, archiveBucket, alertTopic } = failureHandling(topology)
 * ```
 */
import { archiveBucketName } from "@cdc/topology/Names"
import type { QueueSettings } from "@cdc/topology/Resources"
import type { Topology } from "@cdc/topology/Topology"
import { keepsData } from "./keepsData"

const queueArgs = (topology: Topology, q: QueueSettings) =>
  keepsData<aws.sqs.QueueArgs>(topology, {
    name: q.name,
    messageRetentionSeconds: q.retentionSeconds,
    visibilityTimeoutSeconds: q.visibilityTimeoutSeconds,
    sqsManagedSseEnabled: q.encrypted
  })

export const failureHandling = (topology: Topology) => {
  const { dlq: d, parkingQueue: p, archiveBucket: b, alertTopic: a } = topology.resources

  const parkingQueue = new sst.aws.Queue("DlqParking", { transform: { queue: queueArgs(topology, p) } })
  const dlq = new sst.aws.Queue("Dlq", {
    dlq: { queue: parkingQueue.arn, retry: d.redrive?.maxReceiveCount ?? 5 },
    transform: { queue: queueArgs(topology, d) }
  })

  const accountId = aws.getCallerIdentityOutput().accountId
  const archiveBucket = new sst.aws.Bucket("DlqArchive", {
    // no browser ever reads the archive: without this SST adds an allow-all CORS rule
    cors: false,
    transform: {
      bucket: { bucket: accountId.apply((id) => archiveBucketName(topology.names, id)), forceDestroy: !topology.production },
      publicAccessBlock: {
        blockPublicAcls: b.blockPublicAccess,
        blockPublicPolicy: b.blockPublicAccess,
        ignorePublicAcls: b.blockPublicAccess,
        restrictPublicBuckets: b.blockPublicAccess
      }
    }
  })
  new aws.s3.BucketServerSideEncryptionConfiguration("DlqArchiveEncryption", {
    bucket: archiveBucket.name,
    rules: [{ applyServerSideEncryptionByDefault: { sseAlgorithm: b.encryption }, bucketKeyEnabled: true }]
  })
  new aws.s3.BucketLifecycleConfiguration("DlqArchiveLifecycle", {
    bucket: archiveBucket.name,
    rules: [
      {
        id: b.lifecycleRuleId,
        status: "Enabled",
        filter: { prefix: "" },
        transitions: b.transitions.map((t) => ({ days: t.days, storageClass: t.storageClass })),
        abortIncompleteMultipartUpload: { daysAfterInitiation: b.abortIncompleteUploadsAfterDays }
      }
    ]
  })

  const alertTopic = new sst.aws.SnsTopic("Alerts", { transform: { topic: { name: a.name } } })

  return { dlq, parkingQueue, archiveBucket, alertTopic }
}
