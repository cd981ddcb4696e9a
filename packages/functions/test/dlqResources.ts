/**
 * The DLQ side's resources on the emulator, for integration tests: a Kinesis stream, the DLQ
 * (SQS), the archive bucket, the alert topic with an SQS queue subscribed to it (to read alerts),
 * and helpers to turn what is on the DLQ into the Lambda's SQS event.
 */
import { randomUUID } from "node:crypto"
import {
  CreateStreamCommand,
  DescribeStreamSummaryCommand,
  KinesisClient,
  PutRecordCommand,
  waitUntilStreamExists
} from "@aws-sdk/client-kinesis"
import { CreateBucketCommand, GetObjectCommand, HeadObjectCommand, ListObjectsV2Command, S3Client } from "@aws-sdk/client-s3"
import { CreateTopicCommand, SNSClient, SubscribeCommand } from "@aws-sdk/client-sns"
import {
  CreateQueueCommand,
  DeleteMessageBatchCommand,
  GetQueueAttributesCommand,
  type Message,
  ReceiveMessageCommand,
  SendMessageCommand,
  SQSClient
} from "@aws-sdk/client-sqs"
import { clientOptions, kinesisClientOptions } from "@cdc/aws/ClientOptions"
import type { SQSEvent } from "aws-lambda"

export const clients = () => ({
  kinesis: new KinesisClient(kinesisClientOptions()),
  s3: new S3Client({ ...clientOptions(), forcePathStyle: true }),
  sns: new SNSClient(clientOptions()),
  sqs: new SQSClient(clientOptions())
})
export type Clients = ReturnType<typeof clients>

export interface DlqResources {
  readonly streamName: string
  readonly streamArn: string
  readonly bucket: string
  readonly topicArn: string
  readonly dlqUrl: string
  /** An SQS queue subscribed to the alert topic. */
  readonly alertQueueUrl: string
}

const queue = async (c: Clients, QueueName: string) => {
  const { QueueUrl } = await c.sqs.send(new CreateQueueCommand({ QueueName }))
  const { Attributes } = await c.sqs.send(new GetQueueAttributesCommand({ QueueUrl, AttributeNames: ["QueueArn"] }))
  return { url: QueueUrl as string, arn: Attributes?.QueueArn as string }
}

export const createDlqResources = async (c: Clients, name = `dlq-${randomUUID().slice(0, 8)}`): Promise<DlqResources> => {
  await c.kinesis.send(new CreateStreamCommand({ StreamName: name, ShardCount: 1 }))
  await waitUntilStreamExists({ client: c.kinesis, maxWaitTime: 30 }, { StreamName: name })
  const summary = await c.kinesis.send(new DescribeStreamSummaryCommand({ StreamName: name }))
  await c.s3.send(new CreateBucketCommand({ Bucket: name }))
  const { TopicArn } = await c.sns.send(new CreateTopicCommand({ Name: name }))
  const alertQueue = await queue(c, `${name}-alerts`)
  await c.sns.send(new SubscribeCommand({ TopicArn, Protocol: "sqs", Endpoint: alertQueue.arn }))
  const dlq = await queue(c, `${name}-dlq`)
  return {
    streamName: name,
    streamArn: summary.StreamDescriptionSummary?.StreamARN as string,
    bucket: name,
    topicArn: TopicArn as string,
    dlqUrl: dlq.url,
    alertQueueUrl: alertQueue.url
  }
}

/** Puts raw bytes into the stream; returns the record's coordinates. */
export const putRecord = async (c: Clients, r: DlqResources, partitionKey: string, data: string) => {
  const put = await c.kinesis.send(new PutRecordCommand({ StreamName: r.streamName, PartitionKey: partitionKey, Data: Buffer.from(data) }))
  return { shardId: put.ShardId as string, sequenceNumber: put.SequenceNumber as string }
}

/** Sends bodies to the DLQ as the processor (or the event source mapping) would. */
export const sendToDlq = async (c: Clients, r: DlqResources, bodies: ReadonlyArray<string>) => {
  for (const MessageBody of bodies) await c.sqs.send(new SendMessageCommand({ QueueUrl: r.dlqUrl, MessageBody }))
}

/** Drains a queue (until an empty receive), deleting what it reads. */
export const drain = async (c: Clients, QueueUrl: string): Promise<Array<Message>> => {
  const out: Array<Message> = []
  for (;;) {
    const { Messages } = await c.sqs.send(
      new ReceiveMessageCommand({
        QueueUrl,
        MaxNumberOfMessages: 10,
        WaitTimeSeconds: 1,
        MessageSystemAttributeNames: ["SentTimestamp"],
        MessageAttributeNames: ["All"]
      })
    )
    if (!Messages || Messages.length === 0) return out
    out.push(...Messages)
    await c.sqs.send(
      new DeleteMessageBatchCommand({
        QueueUrl,
        Entries: Messages.map((m, i) => ({ Id: String(i), ReceiptHandle: m.ReceiptHandle as string }))
      })
    )
  }
}

/** The Lambda SQS event for received messages. */
export const sqsEvent = (messages: ReadonlyArray<Message>, queueArn = "arn:aws:sqs:us-east-1:123456789012:dlq"): SQSEvent => ({
  Records: messages.map((m) => ({
    messageId: m.MessageId as string,
    receiptHandle: m.ReceiptHandle as string,
    body: m.Body as string,
    attributes: {
      ApproximateReceiveCount: "1",
      SentTimestamp: m.Attributes?.SentTimestamp ?? "0",
      SenderId: "test",
      ApproximateFirstReceiveTimestamp: m.Attributes?.SentTimestamp ?? "0"
    },
    messageAttributes: {},
    md5OfBody: m.MD5OfBody as string,
    eventSource: "aws:sqs",
    eventSourceARN: queueArn,
    awsRegion: "us-east-1"
  }))
})

/** Every archive object: key, body, metadata and encryption. */
export const archiveObjects = async (c: Clients, r: DlqResources) => {
  const listed = await c.s3.send(new ListObjectsV2Command({ Bucket: r.bucket }))
  return Promise.all(
    (listed.Contents ?? []).map(async ({ Key }) => {
      const head = await c.s3.send(new HeadObjectCommand({ Bucket: r.bucket, Key }))
      const object = await c.s3.send(new GetObjectCommand({ Bucket: r.bucket, Key }))
      return {
        key: Key as string,
        body: (await object.Body?.transformToString()) ?? "",
        metadata: head.Metadata ?? {},
        encryption: head.ServerSideEncryption
      }
    })
  )
}

/** The alerts delivered to the subscribed queue: SNS envelopes, unwrapped (attributes as `name → value`). */
export const alertsReceived = async (c: Clients, r: DlqResources) =>
  (await drain(c, r.alertQueueUrl)).map((m) => {
    const envelope = JSON.parse(m.Body as string) as {
      Subject?: string
      Message: string
      MessageAttributes?: Record<string, { Value: string }>
    }
    const attributes = Object.fromEntries(Object.entries(envelope.MessageAttributes ?? {}).map(([name, { Value }]) => [name, Value]))
    return { subject: envelope.Subject, raw: envelope.Message, body: JSON.parse(envelope.Message), attributes }
  })
