/**
 * `provision` against the emulator: every resource as `stacks/` deploys it (encryption,
 * retention, redrive, TTL, backups, lifecycle), a second run that changes nothing, and the bus's
 * routing into the consumer queues and the local tap, and the delivery DLQ of what a rule cannot
 * deliver.
 */
import { DescribeContinuousBackupsCommand, DescribeTimeToLiveCommand } from "@aws-sdk/client-dynamodb"
import { DescribeRuleCommand, ListTargetsByRuleCommand, PutEventsCommand } from "@aws-sdk/client-eventbridge"
import { DescribeStreamSummaryCommand } from "@aws-sdk/client-kinesis"
import { GetBucketEncryptionCommand, GetBucketLifecycleConfigurationCommand, GetPublicAccessBlockCommand } from "@aws-sdk/client-s3"
import { GetQueueAttributesCommand, ReceiveMessageCommand } from "@aws-sdk/client-sqs"
import { makeTopology } from "@cdc/topology"
import * as Effect from "effect/Effect"
import { describe, expect, it } from "vitest"
import { makeClients } from "../../src/local/LocalAws"
import { provision } from "../../src/local/Provision"

const clients = makeClients()
// A production stage (longer stream retention), under an app name of its own.
const topology = makeTopology({ app: `prov${Date.now().toString(36)}`, stage: "prod" })
const { resources } = topology

const attributes = async (url: string) =>
  (await clients.sqs.send(new GetQueueAttributesCommand({ QueueUrl: url, AttributeNames: ["All"] }))).Attributes ?? {}

const received = async (url: string) => {
  const { Messages } = await clients.sqs.send(new ReceiveMessageCommand({ QueueUrl: url, MaxNumberOfMessages: 10, WaitTimeSeconds: 1 }))
  return (Messages ?? []).map((m) => JSON.parse(m.Body!) as { source: string; "detail-type": string })
}

describe("provision", () => {
  it("creates the topology as the stacks deploy it; running it again changes nothing", { timeout: 120_000 }, async () => {
    const first = await Effect.runPromise(provision(clients, topology, "us-east-1"))
    const again = await Effect.runPromise(provision(clients, topology, "us-east-1"))
    const { environment: _, ...created } = first
    expect(again).toMatchObject(created)

    const stream = (await clients.kinesis.send(new DescribeStreamSummaryCommand({ StreamName: first.stream.name })))
      .StreamDescriptionSummary!
    expect([stream.RetentionPeriodHours, stream.EncryptionType]).toEqual([resources.stream.retentionHours, "KMS"])
    expect(stream.StreamCreationTimestamp?.getTime()).toBe(first.stream.createdAt)

    const ttl = await clients.dynamodb.send(new DescribeTimeToLiveCommand({ TableName: first.stateTable.name }))
    expect(ttl.TimeToLiveDescription).toMatchObject({ AttributeName: resources.stateTable.ttlAttribute, TimeToLiveStatus: "ENABLED" })
    const backups = await clients.dynamodb.send(new DescribeContinuousBackupsCommand({ TableName: first.stateTable.name }))
    expect(backups.ContinuousBackupsDescription?.PointInTimeRecoveryDescription?.PointInTimeRecoveryStatus).toBe("ENABLED")

    const dlq = await attributes(first.dlq.url)
    expect(JSON.parse(dlq.RedrivePolicy!)).toEqual({
      deadLetterTargetArn: first.parkingQueue.arn,
      maxReceiveCount: resources.dlq.redrive!.maxReceiveCount
    })
    expect([dlq.VisibilityTimeout, dlq.MessageRetentionPeriod, dlq.SqsManagedSseEnabled]).toEqual([
      String(resources.dlq.visibilityTimeoutSeconds),
      String(resources.dlq.retentionSeconds),
      "true"
    ])

    const Bucket = first.archiveBucket.name
    const encryption = await clients.s3.send(new GetBucketEncryptionCommand({ Bucket }))
    expect(encryption.ServerSideEncryptionConfiguration?.Rules?.[0]?.ApplyServerSideEncryptionByDefault?.SSEAlgorithm).toBe("AES256")
    const block = await clients.s3.send(new GetPublicAccessBlockCommand({ Bucket }))
    expect(block.PublicAccessBlockConfiguration).toEqual({
      BlockPublicAcls: true,
      BlockPublicPolicy: true,
      IgnorePublicAcls: true,
      RestrictPublicBuckets: true
    })
    const lifecycle = await clients.s3.send(new GetBucketLifecycleConfigurationCommand({ Bucket }))
    expect(lifecycle.Rules?.[0]?.Transitions?.map((t) => [t.Days, t.StorageClass])).toEqual(
      resources.archiveBucket.transitions.map((t) => [t.days, t.storageClass])
    )

    expect(first.environment(topology.functions.processor)).toMatchObject({
      CDC_STATE_TABLE: first.stateTable.name,
      CDC_DLQ_URL: first.dlq.url
    })
    expect(first.environment(topology.functions.dlqWorker)).toMatchObject({
      CDC_ARCHIVE_BUCKET: Bucket,
      CDC_ALERT_TOPIC_ARN: first.alertTopic.arn
    })
  })

  it("routes each event to the queues of the rules it matches, and every event to the tap", { timeout: 60_000 }, async () => {
    const provisioned = await Effect.runPromise(provision(clients, topology, "us-east-1"))
    const event = (table: string, type: string) => ({
      EventBusName: provisioned.bus.name,
      Source: `${topology.sourcePrefix}.${table}`,
      DetailType: type,
      Detail: JSON.stringify({ eventId: `evt_${table}` })
    })
    await clients.eventBridge.send(
      new PutEventsCommand({ Entries: [event("users", "user.created"), event("products", "product.updated")] })
    )
    const queueOf = (id: string) => provisioned.consumerQueues.find((q) => q.id === id)!.url
    const types = async (url: string) => (await received(url)).map((e) => e["detail-type"]).sort()
    expect(await types(provisioned.tap.url)).toEqual(["product.updated", "user.created"])
    expect(await types(queueOf("wallboards"))).toEqual(["user.created"])
    expect(await types(queueOf("analytics"))).toEqual([])
  })

  it("gives every rule's target the delivery DLQ and the topology's retries, and admits only those rules to the DLQ", async () => {
    const provisioned = await Effect.runPromise(provision(clients, topology, "us-east-1"))
    const busName = provisioned.bus.name
    const ruleArns: Array<string> = []
    for (const rule of topology.rules) {
      const { Targets = [] } = await clients.eventBridge.send(new ListTargetsByRuleCommand({ Rule: rule.name, EventBusName: busName }))
      expect(Targets).toHaveLength(1)
      expect(Targets[0]).toMatchObject({
        Arn: provisioned.consumerQueues.find((q) => q.id === rule.target)?.arn,
        DeadLetterConfig: { Arn: provisioned.deliveryDlq.arn },
        RetryPolicy: {
          MaximumEventAgeInSeconds: topology.delivery.retry.maximumEventAgeSeconds,
          MaximumRetryAttempts: topology.delivery.retry.maximumRetryAttempts
        }
      })
      ruleArns.push((await clients.eventBridge.send(new DescribeRuleCommand({ Name: rule.name, EventBusName: busName }))).Arn!)
    }
    const dlq = await attributes(provisioned.deliveryDlq.url)
    expect([dlq.MessageRetentionPeriod, dlq.SqsManagedSseEnabled, dlq.MaximumMessageSize]).toEqual([
      String(topology.delivery.dlq.retentionSeconds),
      "true",
      String(topology.delivery.dlq.maxMessageBytes)
    ])
    for (const q of provisioned.consumerQueues)
      expect((await attributes(q.url)).MaximumMessageSize).toBe(String(topology.consumerQueues.find((c) => c.id === q.id)?.maxMessageBytes))
    const policy = JSON.parse(dlq.Policy ?? "{}") as { Statement: Array<{ Condition: { ArnEquals: { "aws:SourceArn": Array<string> } } }> }
    expect([...(policy.Statement[0]?.Condition.ArnEquals["aws:SourceArn"] ?? [])].sort()).toEqual(ruleArns.sort())
  })
})
