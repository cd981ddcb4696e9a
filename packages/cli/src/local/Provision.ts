/**
 * Creates the topology of `@cdc/topology` on the emulator (or any endpoint the SDK is pointed
 * at), with the real AWS APIs, create-if-missing: running it twice changes nothing. Every name,
 * pattern and setting comes from the topology description that `stacks/` deploys; nothing here
 * repeats it.
 *
 * One addition exists only locally: the tap, a rule matching every `<prefix>` event into its own
 * queue, so the local runner can see everything that was actually published (for the Wallboard's
 * per-table chart and the headless accounting). In AWS, that role is played by the event archive.
 *
 * @example
 * ```ts
 * const provisioned = yield* provision(clients, makeTopology({ stage: "local" }), "us-east-1")
 * provisioned.environment(topology.functions.processor) // { CDC_EVENT_BUS_NAME: "cdc-pipeline-local-events", … }
 * ```
 */
import { CreateTableCommand, DescribeTableCommand, UpdateContinuousBackupsCommand, UpdateTimeToLiveCommand } from "@aws-sdk/client-dynamodb"
import {
  CreateArchiveCommand,
  CreateEventBusCommand,
  DescribeEventBusCommand,
  PutRuleCommand,
  PutTargetsCommand
} from "@aws-sdk/client-eventbridge"
import {
  CreateStreamCommand,
  DescribeStreamSummaryCommand,
  IncreaseStreamRetentionPeriodCommand,
  StartStreamEncryptionCommand
} from "@aws-sdk/client-kinesis"
import {
  CreateBucketCommand,
  PutBucketEncryptionCommand,
  PutBucketLifecycleConfigurationCommand,
  PutPublicAccessBlockCommand
} from "@aws-sdk/client-s3"
import { CreateTopicCommand } from "@aws-sdk/client-sns"
import { CreateQueueCommand, GetQueueAttributesCommand, SetQueueAttributesCommand } from "@aws-sdk/client-sqs"
import { AwsError } from "@cdc/aws/AwsError"
import type { EventPattern, FunctionSettings, QueueSettings, ResourceKey, Topology } from "@cdc/topology"
import { Effect } from "effect"
import { type Clients, call } from "./LocalAws"

export interface ProvisionedQueue {
  readonly name: string
  readonly url: string
  readonly arn: string
}

export interface Provisioned {
  readonly region: string
  readonly stream: { readonly name: string; readonly arn: string; readonly createdAt: number }
  readonly stateTable: { readonly name: string; readonly arn: string }
  readonly bus: { readonly name: string; readonly arn: string }
  readonly dlq: ProvisionedQueue
  readonly parkingQueue: ProvisionedQueue
  readonly consumerQueues: ReadonlyArray<ProvisionedQueue & { readonly id: string }>
  /** Local only: receives every published event (see the module doc). */
  readonly tap: ProvisionedQueue
  readonly archiveBucket: { readonly name: string; readonly arn: string }
  readonly alertTopic: { readonly name: string; readonly arn: string }
  /** The environment a function reads, resolved from the topology's description of it. */
  readonly environment: (fn: FunctionSettings) => Record<string, string>
}

/** Succeeds when the call fails only because the resource already exists. */
const ifMissing = <A>(effect: Effect.Effect<A, AwsError>, ...alreadyExists: ReadonlyArray<string>) =>
  effect.pipe(
    Effect.asVoid,
    Effect.catchIf(
      (error) => alreadyExists.includes(error.code),
      () => Effect.void
    )
  )

const waitUntil = <A>(check: Effect.Effect<A, AwsError>, ready: (a: A) => boolean, what: string) =>
  Effect.gen(function* () {
    for (let attempt = 0; attempt < 100; attempt++) {
      const value = yield* check
      if (ready(value)) return value
      yield* Effect.sleep(200)
    }
    return yield* Effect.fail(
      new AwsError({ service: "local", operation: `wait for ${what}`, code: "NotReady", httpStatus: undefined, category: "transient" })
    )
  })

const stream = (clients: Clients, topology: Topology) =>
  Effect.gen(function* () {
    const settings = topology.resources.stream
    const { kinesis } = clients
    yield* ifMissing(
      call("Kinesis", "CreateStream", (abortSignal) =>
        kinesis.send(
          new CreateStreamCommand(
            settings.capacity._tag === "OnDemand"
              ? { StreamName: settings.name, StreamModeDetails: { StreamMode: "ON_DEMAND" } }
              : { StreamName: settings.name, ShardCount: settings.capacity.shards, StreamModeDetails: { StreamMode: "PROVISIONED" } }
          ),
          { abortSignal }
        )
      ),
      "ResourceInUseException"
    )
    const summary = yield* waitUntil(
      call("Kinesis", "DescribeStreamSummary", (abortSignal) =>
        kinesis.send(new DescribeStreamSummaryCommand({ StreamName: settings.name }), { abortSignal })
      ).pipe(Effect.map((output) => output.StreamDescriptionSummary!)),
      (description) => description.StreamStatus === "ACTIVE",
      "the stream to become ACTIVE"
    )
    if ((summary.RetentionPeriodHours ?? 24) < settings.retentionHours) {
      yield* call("Kinesis", "IncreaseStreamRetentionPeriod", (abortSignal) =>
        kinesis.send(
          new IncreaseStreamRetentionPeriodCommand({ StreamName: settings.name, RetentionPeriodHours: settings.retentionHours }),
          {
            abortSignal
          }
        )
      )
    }
    if (summary.EncryptionType !== settings.encryption.type) {
      yield* call("Kinesis", "StartStreamEncryption", (abortSignal) =>
        kinesis.send(
          new StartStreamEncryptionCommand({ StreamName: settings.name, EncryptionType: "KMS", KeyId: settings.encryption.keyId }),
          {
            abortSignal
          }
        )
      )
    }
    return { name: settings.name, arn: summary.StreamARN!, createdAt: summary.StreamCreationTimestamp?.getTime() ?? 0 }
  })

const stateTable = (clients: Clients, topology: Topology) =>
  Effect.gen(function* () {
    const settings = topology.resources.stateTable
    const { dynamodb } = clients
    const { partitionKey, sortKey } = settings.key
    yield* ifMissing(
      call("DynamoDB", "CreateTable", (abortSignal) =>
        dynamodb.send(
          new CreateTableCommand({
            TableName: settings.name,
            BillingMode: settings.billing,
            AttributeDefinitions: [
              { AttributeName: partitionKey, AttributeType: "S" },
              ...(sortKey ? [{ AttributeName: sortKey, AttributeType: "S" as const }] : [])
            ],
            KeySchema: [
              { AttributeName: partitionKey, KeyType: "HASH" },
              ...(sortKey ? [{ AttributeName: sortKey, KeyType: "RANGE" as const }] : [])
            ],
            DeletionProtectionEnabled: settings.deletionProtection
          }),
          { abortSignal }
        )
      ),
      "ResourceInUseException"
    )
    const table = yield* waitUntil(
      call("DynamoDB", "DescribeTable", (abortSignal) =>
        dynamodb.send(new DescribeTableCommand({ TableName: settings.name }), { abortSignal })
      ),
      (output) => output.Table?.TableStatus === "ACTIVE",
      "the state table to become ACTIVE"
    )
    yield* ifMissing(
      call("DynamoDB", "UpdateTimeToLive", (abortSignal) =>
        dynamodb.send(
          new UpdateTimeToLiveCommand({
            TableName: settings.name,
            TimeToLiveSpecification: { AttributeName: settings.ttlAttribute, Enabled: true }
          }),
          {
            abortSignal
          }
        )
      ),
      "ValidationException"
    )
    yield* call("DynamoDB", "UpdateContinuousBackups", (abortSignal) =>
      dynamodb.send(
        new UpdateContinuousBackupsCommand({
          TableName: settings.name,
          PointInTimeRecoverySpecification: { PointInTimeRecoveryEnabled: settings.pointInTimeRecovery }
        }),
        { abortSignal }
      )
    )
    return { name: settings.name, arn: table.Table!.TableArn! }
  })

const queue = (
  clients: Clients,
  settings: Pick<QueueSettings, "name" | "retentionSeconds"> & Partial<QueueSettings>,
  redriveArn?: string
) =>
  Effect.gen(function* () {
    const { sqs } = clients
    const attributes: Record<string, string> = {
      MessageRetentionPeriod: String(settings.retentionSeconds),
      SqsManagedSseEnabled: "true",
      ...(settings.visibilityTimeoutSeconds !== undefined ? { VisibilityTimeout: String(settings.visibilityTimeoutSeconds) } : {}),
      ...(settings.redrive && redriveArn
        ? { RedrivePolicy: JSON.stringify({ deadLetterTargetArn: redriveArn, maxReceiveCount: settings.redrive.maxReceiveCount }) }
        : {})
    }
    const created = yield* call("SQS", "CreateQueue", (abortSignal) =>
      sqs.send(new CreateQueueCommand({ QueueName: settings.name }), { abortSignal })
    )
    const url = created.QueueUrl!
    // Set separately: CreateQueue refuses an existing queue whose attributes differ.
    yield* call("SQS", "SetQueueAttributes", (abortSignal) =>
      sqs.send(new SetQueueAttributesCommand({ QueueUrl: url, Attributes: attributes }), { abortSignal })
    )
    const described = yield* call("SQS", "GetQueueAttributes", (abortSignal) =>
      sqs.send(new GetQueueAttributesCommand({ QueueUrl: url, AttributeNames: ["QueueArn"] }), { abortSignal })
    )
    return { name: settings.name, url, arn: described.Attributes!.QueueArn! }
  })

/** Lets exactly the given rules send to the queue (as the stacks' queue policies do). */
const allowRules = (clients: Clients, target: ProvisionedQueue, ruleArns: ReadonlyArray<string>) =>
  call("SQS", "SetQueueAttributes", (abortSignal) =>
    clients.sqs.send(
      new SetQueueAttributesCommand({
        QueueUrl: target.url,
        Attributes: {
          Policy: JSON.stringify({
            Version: "2012-10-17",
            Statement: [
              {
                Effect: "Allow",
                Principal: { Service: "events.amazonaws.com" },
                Action: "sqs:SendMessage",
                Resource: target.arn,
                Condition: { ArnEquals: { "aws:SourceArn": ruleArns } }
              }
            ]
          })
        }
      }),
      { abortSignal }
    )
  )

const rule = (clients: Clients, busName: string, name: string, description: string, pattern: EventPattern, target: ProvisionedQueue) =>
  Effect.gen(function* () {
    const { eventBridge } = clients
    const created = yield* call("EventBridge", "PutRule", (abortSignal) =>
      eventBridge.send(
        new PutRuleCommand({
          Name: name,
          EventBusName: busName,
          Description: description,
          EventPattern: JSON.stringify(pattern),
          State: "ENABLED"
        }),
        { abortSignal }
      )
    )
    yield* call("EventBridge", "PutTargets", (abortSignal) =>
      eventBridge.send(new PutTargetsCommand({ Rule: name, EventBusName: busName, Targets: [{ Id: "queue", Arn: target.arn }] }), {
        abortSignal
      })
    )
    return created.RuleArn!
  })

const bus = (clients: Clients, topology: Topology) =>
  Effect.gen(function* () {
    const { eventBridge } = clients
    const name = topology.resources.bus.name
    yield* ifMissing(
      call("EventBridge", "CreateEventBus", (abortSignal) => eventBridge.send(new CreateEventBusCommand({ Name: name }), { abortSignal })),
      "ResourceAlreadyExistsException"
    )
    const described = yield* call("EventBridge", "DescribeEventBus", (abortSignal) =>
      eventBridge.send(new DescribeEventBusCommand({ Name: name }), { abortSignal })
    )
    const archive = topology.eventArchive
    yield* ifMissing(
      call("EventBridge", "CreateArchive", (abortSignal) =>
        eventBridge.send(
          new CreateArchiveCommand({
            ArchiveName: archive.name,
            EventSourceArn: described.Arn!,
            EventPattern: JSON.stringify(archive.pattern),
            RetentionDays: archive.retentionDays
          }),
          { abortSignal }
        )
      ),
      "ResourceAlreadyExistsException"
    )
    return { name, arn: described.Arn! }
  })

const archiveBucket = (clients: Clients, topology: Topology) =>
  Effect.gen(function* () {
    const settings = topology.resources.archiveBucket
    const { s3 } = clients
    const Bucket = settings.localName
    yield* ifMissing(
      call("S3", "CreateBucket", (abortSignal) => s3.send(new CreateBucketCommand({ Bucket }), { abortSignal })),
      "BucketAlreadyOwnedByYou",
      "BucketAlreadyExists"
    )
    yield* call("S3", "PutBucketEncryption", (abortSignal) =>
      s3.send(
        new PutBucketEncryptionCommand({
          Bucket,
          ServerSideEncryptionConfiguration: { Rules: [{ ApplyServerSideEncryptionByDefault: { SSEAlgorithm: settings.encryption } }] }
        }),
        { abortSignal }
      )
    )
    yield* call("S3", "PutPublicAccessBlock", (abortSignal) =>
      s3.send(
        new PutPublicAccessBlockCommand({
          Bucket,
          PublicAccessBlockConfiguration: {
            BlockPublicAcls: true,
            BlockPublicPolicy: true,
            IgnorePublicAcls: true,
            RestrictPublicBuckets: true
          }
        }),
        { abortSignal }
      )
    )
    yield* call("S3", "PutBucketLifecycleConfiguration", (abortSignal) =>
      s3.send(
        new PutBucketLifecycleConfigurationCommand({
          Bucket,
          LifecycleConfiguration: {
            Rules: [
              {
                ID: "archive-tiering",
                Status: "Enabled",
                Filter: { Prefix: "" },
                Transitions: settings.transitions.map((t) => ({ Days: t.days, StorageClass: t.storageClass })),
                AbortIncompleteMultipartUpload: { DaysAfterInitiation: settings.abortIncompleteUploadsAfterDays }
              }
            ]
          }
        }),
        { abortSignal }
      )
    )
    return { name: Bucket, arn: `arn:aws:s3:::${Bucket}` }
  })

/** Creates (if missing) every resource of the topology, plus the local tap. */
export const provision = (clients: Clients, topology: Topology, region: string) =>
  Effect.gen(function* () {
    const { resources } = topology
    const [createdStream, table, createdBus, bucket, topic] = yield* Effect.all(
      [
        stream(clients, topology),
        stateTable(clients, topology),
        bus(clients, topology),
        archiveBucket(clients, topology),
        call("SNS", "CreateTopic", (abortSignal) =>
          clients.sns.send(new CreateTopicCommand({ Name: resources.alertTopic.name }), { abortSignal })
        )
      ],
      { concurrency: "unbounded" }
    )
    const parkingQueue = yield* queue(clients, resources.parkingQueue)
    const dlq = yield* queue(clients, resources.dlq, parkingQueue.arn)
    const consumerQueues = yield* Effect.forEach(topology.consumerQueues, (settings) =>
      queue(clients, settings).pipe(Effect.map((created) => ({ ...created, id: settings.id })))
    )
    for (const consumer of consumerQueues) {
      const ruleArns = yield* Effect.forEach(
        topology.rules.filter((r) => r.target === consumer.id),
        (r) => rule(clients, createdBus.name, r.name, r.description, r.pattern, consumer)
      )
      yield* allowRules(clients, consumer, ruleArns)
    }
    const tap = yield* queue(clients, { name: topology.names.of("tap"), retentionSeconds: 4 * 24 * 3600 })
    const tapRule = yield* rule(
      clients,
      createdBus.name,
      topology.names.of("tap"),
      "Local runner only: every pipeline event, for the Wallboard chart and the headless accounting",
      topology.eventArchive.pattern,
      tap
    )
    yield* allowRules(clients, tap, [tapRule])
    const alertTopic = { name: resources.alertTopic.name, arn: topic.TopicArn! }
    const byKey: Record<ResourceKey, { readonly name: string; readonly arn: string; readonly url?: string }> = {
      stream: createdStream,
      stateTable: table,
      bus: createdBus,
      dlq,
      parkingQueue,
      archiveBucket: bucket,
      alertTopic
    }
    const environment = (fn: FunctionSettings): Record<string, string> => {
      const out: Record<string, string> = {}
      for (const [name, source] of Object.entries(fn.environment)) {
        if (source._tag === "Value") out[name] = source.value
        else if (source._tag === "Resource") {
          const value = byKey[source.resource][source.attribute]
          if (value !== undefined) out[name] = value
        }
        // Secrets: the redaction keys come from the user's environment, or their documented development defaults.
      }
      return out
    }
    return {
      region,
      stream: createdStream,
      stateTable: table,
      bus: createdBus,
      dlq,
      parkingQueue,
      consumerQueues,
      tap,
      archiveBucket: bucket,
      alertTopic,
      environment
    } satisfies Provisioned
  })
