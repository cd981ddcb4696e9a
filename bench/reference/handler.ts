/**
 * The reference design's Lambda handler (`cdc-processor.ts` in the architecture document), as a
 * BASELINE for the benchmarks: per record, a checkpoint `GetItem` (duplicate check), the
 * transformation and redaction of {@link ReferenceEngine}, a single-entry `PutEvents`, and a
 * checkpoint `PutItem` conditional on a string comparison of sequence numbers. Its defects are
 * kept on purpose (see ./engine); never import it from product code.
 *
 * Adapted to the project's state table, whose only key is `pk`: the checkpoint item is keyed
 * `ref#SHARD#<shardId>` instead of the document's `pk`/`sk` pair. The calls are the same.
 *
 * @example
 * ```ts
 * const handle = makeReferenceHandler({ eventBusName, stateTable, sourcePrefix: "cdc-pipeline" })
 * await handle(kinesisEvent) // { batchItemFailures }
 * ```
 */
import { DynamoDBClient } from "@aws-sdk/client-dynamodb"
import { EventBridgeClient, PutEventsCommand } from "@aws-sdk/client-eventbridge"
import { DynamoDBDocumentClient, GetCommand, PutCommand } from "@aws-sdk/lib-dynamodb"
import { clientOptions } from "@cdc/aws/ClientOptions"
import type { KinesisStreamBatchResponse, KinesisStreamEvent, KinesisStreamRecord } from "aws-lambda"
import { ReferenceEngine } from "./engine"
import { referenceConfigs } from "./tables"

export interface ReferenceHandlerOptions {
  readonly eventBusName: string
  readonly stateTable: string
  readonly sourcePrefix: string
  /**
   * `"as-written"` (the default): sequence numbers compared as strings, the document's defect,
   * which skips records as duplicates where sequence numbers differ in length (the emulator's
   * do). `"fixed"`: both comparisons (the duplicate check and the conditional write) on numbers
   * zero-padded to Kinesis's 129 digits, so the flow publishes every record and its speed can be
   * compared with ours record for record.
   */
  readonly sequenceComparison?: "as-written" | "fixed"
}

export const makeReferenceHandler = (options: ReferenceHandlerOptions) => {
  // The document's handler uses the SDK's default client settings; the same HTTP/1.1 handler as
  // ours is used here so the comparison measures the flow, not the transport.
  const eventBridge = new EventBridgeClient({ ...clientOptions(), maxAttempts: 3 })
  const dynamoDb = DynamoDBDocumentClient.from(new DynamoDBClient({ ...clientOptions(), maxAttempts: 3 }))
  const engine = new ReferenceEngine(referenceConfigs())
  const key = (shardId: string) => ({ pk: `ref#SHARD#${shardId}` })

  const processRecord = async (record: KinesisStreamRecord) => {
    const shardId = record.eventID.slice(0, record.eventID.lastIndexOf(":"))
    const sequenceNumber =
      options.sequenceComparison === "fixed" ? record.kinesis.sequenceNumber.padStart(129, "0") : record.kinesis.sequenceNumber
    const checkpoint = await dynamoDb.send(new GetCommand({ TableName: options.stateTable, Key: key(shardId) }))
    const stored = checkpoint.Item?.sequenceNumber as string | undefined
    if (stored !== undefined && sequenceNumber <= stored) return
    const detail = engine.process(record.kinesis.data)
    const event = JSON.parse(detail) as { eventType: string; entityType: string; eventId: string; timestamp: string }
    const response = await eventBridge.send(
      new PutEventsCommand({
        Entries: [
          {
            EventBusName: options.eventBusName,
            Source: `${options.sourcePrefix}.${event.entityType}`,
            DetailType: event.eventType,
            Detail: detail,
            Time: new Date(event.timestamp)
          }
        ]
      })
    )
    if (response.FailedEntryCount) throw new Error(`EventBridge publish failed: ${response.Entries?.[0]?.ErrorCode}`)
    await dynamoDb.send(
      new PutCommand({
        TableName: options.stateTable,
        Item: { ...key(shardId), sequenceNumber, lastEventId: event.eventId, updatedAt: new Date().toISOString() },
        ConditionExpression: "attribute_not_exists(sequenceNumber) OR sequenceNumber < :seq",
        ExpressionAttributeValues: { ":seq": sequenceNumber }
      })
    )
  }

  return async (event: KinesisStreamEvent): Promise<KinesisStreamBatchResponse> => {
    const batchItemFailures: Array<{ itemIdentifier: string }> = []
    for (const record of event.Records) {
      try {
        await processRecord(record)
      } catch {
        batchItemFailures.push({ itemIdentifier: record.kinesis.sequenceNumber })
      }
    }
    return { batchItemFailures }
  }
}
