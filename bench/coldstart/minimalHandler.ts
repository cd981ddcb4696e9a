/**
 * The cold-start baseline: a minimal hand-written Kinesis handler making the same kinds of AWS
 * calls as the processor (a DynamoDB `BatchGetItem` of the checkpoint, EventBridge `PutEvents` in
 * tens, one DynamoDB `UpdateItem` checkpoint, SQS `SendMessageBatch` for failures), with no framework, no schemas, no redaction. It is only
 * bundled and imported by the benchmark (section 4), never deployed.
 */
import { BatchGetItemCommand, DynamoDBClient, UpdateItemCommand } from "@aws-sdk/client-dynamodb"
import { EventBridgeClient, PutEventsCommand } from "@aws-sdk/client-eventbridge"
import { SendMessageBatchCommand, SQSClient } from "@aws-sdk/client-sqs"
import type { KinesisStreamEvent } from "aws-lambda"

const eventBridge = new EventBridgeClient({})
const dynamodb = new DynamoDBClient({})
const sqs = new SQSClient({})

export const handler = async (event: KinesisStreamEvent) => {
  // the checkpoint is read before publishing, as the processor reads its shards' checkpoints
  if (event.Records.length > 0)
    await dynamodb.send(
      new BatchGetItemCommand({ RequestItems: { [process.env.CDC_STATE_TABLE ?? ""]: { Keys: [{ pk: { S: "checkpoint" } }] } } })
    )
  const entries = event.Records.map((record) => ({
    Source: "cdc-pipeline.minimal",
    DetailType: "record.changed",
    Detail: Buffer.from(record.kinesis.data, "base64").toString("utf8"),
    EventBusName: process.env.CDC_EVENT_BUS_NAME
  }))
  const failed: Array<string> = []
  for (let i = 0; i < entries.length; i += 10) {
    const response = await eventBridge.send(new PutEventsCommand({ Entries: entries.slice(i, i + 10) }))
    response.Entries?.forEach((entry, j) => {
      if (entry.ErrorCode) failed.push(event.Records[i + j]!.kinesis.sequenceNumber)
    })
  }
  if (failed.length > 0)
    await sqs.send(
      new SendMessageBatchCommand({
        QueueUrl: process.env.CDC_DLQ_URL,
        Entries: failed.slice(0, 10).map((sequenceNumber, id) => ({ Id: String(id), MessageBody: JSON.stringify({ sequenceNumber }) }))
      })
    )
  const last = event.Records[event.Records.length - 1]
  if (last)
    await dynamodb.send(
      new UpdateItemCommand({
        TableName: process.env.CDC_STATE_TABLE,
        Key: { pk: { S: "checkpoint" } },
        UpdateExpression: "SET sequenceNumber = :s",
        ExpressionAttributeValues: { ":s": { S: last.kinesis.sequenceNumber } }
      })
    )
  return { batchItemFailures: [] }
}
