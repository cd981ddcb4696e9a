/**
 * What the processor needs on the emulator, created fresh by integration tests: the state table of
 * its checkpoints, and an event bus whose rule on the pipeline's sources delivers every published
 * event to a consumer queue the test reads back.
 *
 * @example
 * ```ts
 * import { createPublishingResources } from "@cdc/testkit/ProcessorResources"
 * const { bus, stateTable, consumerUrl } = await createPublishingResources(`proc-${suffix}`)
 * Object.assign(process.env, { CDC_EVENT_BUS_NAME: bus, CDC_STATE_TABLE: stateTable })
 * ```
 */
import { CreateTableCommand, DynamoDBClient } from "@aws-sdk/client-dynamodb"
import { CreateEventBusCommand, EventBridgeClient, PutRuleCommand, PutTargetsCommand } from "@aws-sdk/client-eventbridge"
import { CreateQueueCommand, GetQueueAttributesCommand, SQSClient } from "@aws-sdk/client-sqs"

/**
 * Creates a state table named `name` with the key schema `@cdc/aws/DynamoCheckpointStore` reads
 * and writes: partition key `pk`, a String.
 *
 * @example
 * ```ts
 * await createStateTable(new DynamoDBClient({}), "ckpt-1a2b3c4d")
 * ```
 */
export const createStateTable = async (dynamodb: DynamoDBClient, name: string): Promise<void> => {
  await dynamodb.send(
    new CreateTableCommand({
      TableName: name,
      BillingMode: "PAY_PER_REQUEST",
      AttributeDefinitions: [{ AttributeName: "pk", AttributeType: "S" }],
      KeySchema: [{ AttributeName: "pk", KeyType: "HASH" }]
    })
  )
}

export interface PublishingResources {
  /** The event bus and the state table, both named after the resources. */
  readonly bus: string
  readonly stateTable: string
  /** The queue the bus's rule delivers every `cdc-pipeline.*` event to. */
  readonly consumerUrl: string
}

/**
 * Creates the state table, an event bus, a consumer queue `<name>-consumer`, and a rule matching
 * the sources the pipeline publishes (`cdc-pipeline.<table>`) that targets the queue.
 *
 * @example
 * ```ts
 * const resources = await createPublishingResources("proc-1a2b3c4d")
 * ```
 */
export const createPublishingResources = async (
  name: string,
  clients: { readonly dynamodb: DynamoDBClient; readonly eventbridge: EventBridgeClient; readonly sqs: SQSClient } = {
    dynamodb: new DynamoDBClient({}),
    eventbridge: new EventBridgeClient({}),
    sqs: new SQSClient({})
  }
): Promise<PublishingResources> => {
  const { dynamodb, eventbridge, sqs } = clients
  await createStateTable(dynamodb, name)
  const consumerUrl = (await sqs.send(new CreateQueueCommand({ QueueName: `${name}-consumer` }))).QueueUrl as string
  const { Attributes } = await sqs.send(new GetQueueAttributesCommand({ QueueUrl: consumerUrl, AttributeNames: ["QueueArn"] }))
  await eventbridge.send(new CreateEventBusCommand({ Name: name }))
  await eventbridge.send(
    new PutRuleCommand({ Name: name, EventBusName: name, EventPattern: JSON.stringify({ source: [{ prefix: "cdc-pipeline." }] }) })
  )
  await eventbridge.send(
    new PutTargetsCommand({ Rule: name, EventBusName: name, Targets: [{ Id: "consumer", Arn: Attributes?.QueueArn }] })
  )
  return { bus: name, stateTable: name, consumerUrl }
}
