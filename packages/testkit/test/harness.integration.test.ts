/**
 * Proves the harness: real AWS SDK v3 clients, pointed at the emulator by AWS_ENDPOINT_URL,
 * create and use each kind of resource the pipeline depends on.
 */
import { randomUUID } from "node:crypto"
import { CreateTableCommand, DynamoDBClient, GetItemCommand, PutItemCommand } from "@aws-sdk/client-dynamodb"
import { CreateEventBusCommand, EventBridgeClient, PutEventsCommand, PutRuleCommand, PutTargetsCommand } from "@aws-sdk/client-eventbridge"
import {
  CreateStreamCommand,
  DescribeStreamCommand,
  GetRecordsCommand,
  GetShardIteratorCommand,
  KinesisClient,
  PutRecordCommand
} from "@aws-sdk/client-kinesis"
import { CreateQueueCommand, GetQueueAttributesCommand, ReceiveMessageCommand, SQSClient } from "@aws-sdk/client-sqs"
import { NodeHttpHandler } from "@smithy/node-http-handler"
import { describe, expect, inject, it } from "vitest"

const suffix = randomUUID().slice(0, 8)

describe("local AWS emulator", () => {
  it("is the endpoint the SDK uses", () => {
    expect(process.env.AWS_ENDPOINT_URL).toBe(inject("awsEndpoint"))
  })

  it("round-trips a record through a Kinesis stream", async () => {
    // Kinesis' default HTTP/2 handler fails against HTTP/1 emulators.
    const kinesis = new KinesisClient({ requestHandler: new NodeHttpHandler() })
    const StreamName = `harness-${suffix}`
    await kinesis.send(new CreateStreamCommand({ StreamName, ShardCount: 1 }))
    const shardId = (await kinesis.send(new DescribeStreamCommand({ StreamName }))).StreamDescription?.Shards?.[0]?.ShardId
    const put = await kinesis.send(new PutRecordCommand({ StreamName, PartitionKey: "users-1", Data: Buffer.from('{"hello":"kinesis"}') }))
    const { ShardIterator } = await kinesis.send(
      new GetShardIteratorCommand({ StreamName, ShardId: shardId, ShardIteratorType: "TRIM_HORIZON" })
    )
    const { Records } = await kinesis.send(new GetRecordsCommand({ ShardIterator }))
    expect(Records?.map((r) => [r.SequenceNumber, Buffer.from(r.Data ?? []).toString()])).toEqual([
      [put.SequenceNumber, '{"hello":"kinesis"}']
    ])
  })

  it("writes and reads an item in a DynamoDB table", async () => {
    const dynamodb = new DynamoDBClient({})
    const TableName = `harness-${suffix}`
    await dynamodb.send(
      new CreateTableCommand({
        TableName,
        BillingMode: "PAY_PER_REQUEST",
        AttributeDefinitions: [{ AttributeName: "pk", AttributeType: "S" }],
        KeySchema: [{ AttributeName: "pk", KeyType: "HASH" }]
      })
    )
    await dynamodb.send(new PutItemCommand({ TableName, Item: { pk: { S: "SHARD#1" }, seq: { S: "49607933946721" } } }))
    const { Item } = await dynamodb.send(new GetItemCommand({ TableName, Key: { pk: { S: "SHARD#1" } }, ConsistentRead: true }))
    expect(Item?.seq?.S).toBe("49607933946721")
  })

  it("delivers an EventBridge event through a rule into an SQS queue", async () => {
    const eventbridge = new EventBridgeClient({})
    const sqs = new SQSClient({})
    const Name = `harness-${suffix}`
    const { QueueUrl } = await sqs.send(new CreateQueueCommand({ QueueName: Name }))
    const { Attributes } = await sqs.send(new GetQueueAttributesCommand({ QueueUrl, AttributeNames: ["QueueArn"] }))
    await eventbridge.send(new CreateEventBusCommand({ Name }))
    await eventbridge.send(
      new PutRuleCommand({
        Name,
        EventBusName: Name,
        EventPattern: JSON.stringify({ source: [{ prefix: "cdc-pipeline.users" }], "detail-type": ["user.created"] })
      })
    )
    await eventbridge.send(new PutTargetsCommand({ Rule: Name, EventBusName: Name, Targets: [{ Id: "queue", Arn: Attributes?.QueueArn }] }))
    const sent = await eventbridge.send(
      new PutEventsCommand({
        Entries: [
          { EventBusName: Name, Source: "cdc-pipeline.users", DetailType: "user.created", Detail: '{"entityId":"1"}' },
          { EventBusName: Name, Source: "cdc-pipeline.orders", DetailType: "order.created", Detail: '{"entityId":"2"}' }
        ]
      })
    )
    expect(sent.FailedEntryCount).toBe(0)
    const { Messages } = await sqs.send(new ReceiveMessageCommand({ QueueUrl, MaxNumberOfMessages: 10, WaitTimeSeconds: 2 }))
    expect(Messages?.map((m) => JSON.parse(m.Body ?? "{}")).map((e) => [e.source, e["detail-type"], e.detail])).toEqual([
      ["cdc-pipeline.users", "user.created", { entityId: "1" }]
    ])
  })
})
