/**
 * The event bus, the reference design's rules with their consumer queues, and the compliance
 * archive. Rules and targets are plain EventBridge resources so each consumer queue's policy can
 * admit exactly the rules that feed it (SST's `subscribeQueue` admits any EventBridge rule). What a
 * target cannot take after the topology's retries goes to the delivery DLQ (alarmed).
 *
 * @example
 * ```ts
 * const { bus, consumerQueues } = busRulesArchive(topology)
 * ```
 */
import { type ConsumerId, consumerQueuePolicy, rulesTargeting } from "@cdc/topology/Rules"
import type { Topology } from "@cdc/topology/Topology"
import { keepingData, keepsData } from "./keepsData"
import { logicalName } from "./logicalName"

export const busRulesArchive = (topology: Topology) => {
  const bus = new sst.aws.Bus("Events", { transform: { bus: { name: topology.resources.bus.name } } })

  /**
   * A queue the rules send to: SSE-SQS, its name, retention and maximum message size from the
   * topology (without the size, the AWS provider would send its own default of 256 KiB).
   */
  const rulesQueue = (logical: string, q: { readonly name: string; readonly retentionSeconds: number; readonly maxMessageBytes: number }) =>
    new sst.aws.Queue(logical, {
      transform: {
        queue: keepsData<aws.sqs.QueueArgs>(topology, {
          name: q.name,
          messageRetentionSeconds: q.retentionSeconds,
          maxMessageSize: q.maxMessageBytes,
          sqsManagedSseEnabled: true
        })
      }
    })

  const consumerQueues = Object.fromEntries(
    topology.consumerQueues.map((q) => [q.id, rulesQueue(`${logicalName(q.id)}Queue`, q)])
  ) as Record<ConsumerId, sst.aws.Queue>

  const { delivery } = topology
  const deliveryDlq = rulesQueue("DeliveryDlq", delivery.dlq)

  const rules = topology.rules.map((rule) => {
    const resource = new aws.cloudwatch.EventRule(`${logicalName(rule.id)}Rule`, {
      name: rule.name,
      description: rule.description,
      eventBusName: bus.name,
      eventPattern: JSON.stringify(rule.pattern),
      state: "ENABLED"
    })
    new aws.cloudwatch.EventTarget(`${logicalName(rule.id)}Target`, {
      rule: resource.name,
      eventBusName: bus.name,
      targetId: `${logicalName(rule.target)}Queue`,
      arn: consumerQueues[rule.target].arn,
      deadLetterConfig: { arn: deliveryDlq.arn },
      retryPolicy: {
        maximumEventAgeInSeconds: delivery.retry.maximumEventAgeSeconds,
        maximumRetryAttempts: delivery.retry.maximumRetryAttempts
      }
    })
    return { rule, resource }
  })

  for (const q of topology.consumerQueues) {
    const queue = consumerQueues[q.id]
    const sources = rulesTargeting(topology.rules, q.id).map((r) => rules.find((x) => x.rule.id === r.id)!.resource.arn)
    new aws.sqs.QueuePolicy(`${logicalName(q.id)}QueuePolicy`, {
      queueUrl: queue.url,
      policy: $jsonStringify(consumerQueuePolicy(queue.arn, sources))
    })
  }

  new aws.sqs.QueuePolicy("DeliveryDlqPolicy", {
    queueUrl: deliveryDlq.url,
    policy: $jsonStringify(
      consumerQueuePolicy(
        deliveryDlq.arn,
        rules.map((r) => r.resource.arn)
      )
    )
  })

  new aws.cloudwatch.EventArchive(
    "EventsArchive",
    {
      name: topology.eventArchive.name,
      description: `All ${topology.sourcePrefix} events, kept for compliance`,
      eventSourceArn: bus.arn,
      eventPattern: JSON.stringify(topology.eventArchive.pattern),
      retentionDays: topology.eventArchive.retentionDays
    },
    keepingData(topology)
  )

  return { bus, consumerQueues, deliveryDlq }
}
