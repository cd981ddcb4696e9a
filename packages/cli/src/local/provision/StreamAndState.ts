/**
 * The Kinesis stream and the DynamoDB state table of the topology (as `stacks/StreamAndState.ts`
 * deploys them), created if missing with the real AWS APIs.
 *
 * @example
 * ```ts
 * const created = yield* stream(clients, topology) // { name, arn, createdAt }
 * ```
 */
import { CreateTableCommand, DescribeTableCommand, UpdateContinuousBackupsCommand, UpdateTimeToLiveCommand } from "@aws-sdk/client-dynamodb"
import {
  CreateStreamCommand,
  DescribeStreamSummaryCommand,
  IncreaseStreamRetentionPeriodCommand,
  StartStreamEncryptionCommand
} from "@aws-sdk/client-kinesis"
import type { Topology } from "@cdc/topology"
import * as Effect from "effect/Effect"
import { type Clients, call } from "../LocalAws"
import { ifMissing, waitUntil } from "./Steps"

export const stream = (clients: Clients, topology: Topology) =>
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

export const stateTable = (clients: Clients, topology: Topology) =>
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
