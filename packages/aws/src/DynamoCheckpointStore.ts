/**
 * The live {@link CheckpointStore} on the DynamoDB state table (`CDC_STATE_TABLE`, partition key
 * `pk` of type String).
 *
 * Item per shard: `pk` = `checkpoint#<streamArn>#<shardId>`, `seqKey` = the sequence number
 * zero-padded to 129 digits (see `@cdc/pipeline/SequenceNumber`: for equal-length decimal
 * strings DynamoDB's string order is numeric order, and Kinesis sequence numbers exceed the 38
 * digits of a DynamoDB Number), `sequenceNumber` (as Kinesis wrote it), `updatedAt`, and with a
 * time to live `expiresAt` (epoch seconds, the table's TTL attribute).
 *
 * `read` is one `BatchGetItem` (strongly consistent) for all shards of a batch; `advance` is one
 * `UpdateItem` with `attribute_not_exists(seqKey) OR seqKey < :seqKey`, so a checkpoint only ever
 * moves forward; a failed condition means another invocation is already further: `"stale"`.
 *
 * @example
 * ```ts
 * program.pipe(Effect.provide(DynamoCheckpointStore.layerConfig)) // CDC_STATE_TABLE, CDC_CHECKPOINT_TTL_HOURS
 * ```
 */
import { BatchGetItemCommand, DynamoDBClient, UpdateItemCommand } from "@aws-sdk/client-dynamodb"
import { CheckpointStore, type CheckpointStoreService, shardKey } from "@cdc/pipeline/CheckpointStore"
import { sequenceKey } from "@cdc/pipeline/SequenceNumber"
import * as Arr from "effect/Array"
import * as Clock from "effect/Clock"
import * as Config from "effect/Config"
import { SourceError } from "effect/ConfigProvider"
import * as Effect from "effect/Effect"
import * as Layer from "effect/Layer"
import * as Option from "effect/Option"
import { awsCall } from "./AwsCall"
import { AwsError } from "./AwsError"
import { clientOptions } from "./ClientOptions"

/** The item key of a shard's checkpoint. */
export const checkpointPk = (key: string): string => `checkpoint#${key}`

/**
 * BatchGetItem takes at most 100 keys; unprocessed keys are asked again, a bounded number of
 * times, then the read fails (see `readKeys`).
 */
const maxKeysPerRead = 100
const maxUnprocessedRounds = 5

/**
 * The store over a given client and table.
 *
 * @example
 * ```ts
 * const store = makeDynamoCheckpointStore(new DynamoDBClient(clientOptions()), "cdc-state", { ttlHours: 48 })
 * ```
 */
export const makeDynamoCheckpointStore = (
  client: DynamoDBClient,
  table: string,
  options: { readonly ttlHours?: number | undefined } = {}
): CheckpointStoreService => {
  const ttlSeconds = options.ttlHours === undefined ? undefined : options.ttlHours * 3600
  const readKeys = (keys: ReadonlyArray<string>) =>
    Effect.gen(function* () {
      const found = new Map<string, string>()
      let pending = keys.map((key) => ({ pk: { S: checkpointPk(key) } }))
      for (let round = 0; pending.length > 0 && round < maxUnprocessedRounds; round++) {
        const response = yield* awsCall("DynamoDB", "BatchGetItem", (abortSignal) =>
          client.send(
            new BatchGetItemCommand({
              RequestItems: { [table]: { Keys: pending, ConsistentRead: true, ProjectionExpression: "pk, sequenceNumber" } }
            }),
            { abortSignal }
          )
        )
        for (const item of response.Responses?.[table] ?? []) {
          const pk = item.pk?.S
          const sequenceNumber = item.sequenceNumber?.S
          if (pk !== undefined && sequenceNumber !== undefined) found.set(pk.slice("checkpoint#".length), sequenceNumber)
        }
        pending = (response.UnprocessedKeys?.[table]?.Keys ?? []) as typeof pending
      }
      // A key still unread is not a shard without a checkpoint: taken as one, its batch would be
      // published again from the start (a consumer could end on an older change). It fails the
      // read as throttling, so the caller's retry policy waits and asks again.
      if (pending.length > 0) {
        return yield* new AwsError({
          service: "DynamoDB",
          operation: "BatchGetItem",
          code: "UnprocessedKeys",
          httpStatus: undefined,
          category: "throttling"
        })
      }
      return found
    })
  return {
    read: (shards) =>
      Effect.map(
        Effect.forEach(Arr.chunksOf([...new Set(shards.map(shardKey))], maxKeysPerRead), readKeys),
        (maps) => new Map(maps.flatMap((m) => [...m]))
      ),
    advance: (shard, sequenceNumber) =>
      Effect.flatMap(Clock.currentTimeMillis, (now) =>
        awsCall("DynamoDB", "UpdateItem", (abortSignal) =>
          client.send(
            new UpdateItemCommand({
              TableName: table,
              Key: { pk: { S: checkpointPk(shardKey(shard)) } },
              UpdateExpression: `SET seqKey = :seqKey, sequenceNumber = :sequenceNumber, updatedAt = :updatedAt${ttlSeconds === undefined ? "" : ", expiresAt = :expiresAt"}`,
              ConditionExpression: "attribute_not_exists(seqKey) OR seqKey < :seqKey",
              ExpressionAttributeValues: {
                ":seqKey": { S: sequenceKey(sequenceNumber) },
                ":sequenceNumber": { S: sequenceNumber },
                ":updatedAt": { S: new Date(now).toISOString() },
                ...(ttlSeconds === undefined ? {} : { ":expiresAt": { N: String(Math.floor(now / 1000) + ttlSeconds) } })
              }
            }),
            { abortSignal }
          )
        )
      ).pipe(
        Effect.as("advanced" as const),
        Effect.catchIf(
          (error) => error.code === "ConditionalCheckFailedException",
          () => Effect.succeed("stale" as const)
        )
      )
  }
}

/** `CDC_STATE_TABLE` (required). */
export const stateTableConfig = Config.String("CDC_STATE_TABLE")

/**
 * `CDC_CHECKPOINT_TTL_HOURS` (optional, a whole number of hours, at least 1): how long a
 * checkpoint outlives its last write before DynamoDB's TTL deletes it. Only checkpoints of shards
 * that stopped being written (closed by a reshard) ever get that old. Deleting one is safe once
 * no record it covers can be read again, so the deployed value is the stream's retention plus a
 * day (see `@cdc/topology`). Without it, checkpoints never expire.
 */
export const checkpointTtlHoursConfig: Config.Config<number | undefined> = Config.option(Config.Int("CDC_CHECKPOINT_TTL_HOURS")).pipe(
  Config.map(Option.getOrUndefined),
  Config.flatMap((hours) =>
    hours === undefined || hours >= 1
      ? Config.succeed(hours)
      : Config.fail(new SourceError({ message: "CDC_CHECKPOINT_TTL_HOURS must be a whole number of hours, at least 1" }))
  )
)

const layerFor = (table: string, ttlHours?: number) =>
  Layer.sync(CheckpointStore, () => makeDynamoCheckpointStore(new DynamoDBClient(clientOptions()), table, { ttlHours }))

export const DynamoCheckpointStore = {
  layer: layerFor,
  layerConfig: Layer.unwrap(
    Effect.map(Config.all({ table: stateTableConfig, ttlHours: checkpointTtlHoursConfig }), ({ table, ttlHours }) =>
      layerFor(table, ttlHours)
    )
  )
}
