/**
 * Builders of the three input shapes a change reaches the pipeline in: the reference design's CDC
 * event ({@link toCdcEvent}), AWS DMS's Kinesis JSON ({@link toDmsRecord}, {@link dmsControlRecord})
 * and the Lambda `KinesisStreamRecord` with base64 data ({@link toKinesisRecord}).
 *
 * @example
 * ```ts
 * import { sampleChanges } from "@cdc/testkit/Changes"
 * import { encodeChange } from "@cdc/testkit/InputShapes"
 * const lines = sampleChanges(12).map((change, i) => JSON.stringify(encodeChange(change, "kinesis", i)))
 * ```
 */
import type { KinesisStreamRecord } from "aws-lambda"
import type { Change, ChangeOperation } from "./Changes"
import type { Row } from "./Rows"

/** The reference design's CDC event. */
export interface CdcEvent {
  readonly tableName: string
  readonly operation: ChangeOperation
  readonly beforeImage?: Row
  readonly afterImage?: Row
  readonly timestamp: string
  readonly sequenceNumber: string
}

/**
 * Encodes a change as the reference design's CDC event.
 *
 * @example
 * ```ts
 * toCdcEvent(change).tableName // change.table
 * ```
 */
export const toCdcEvent = (change: Change): CdcEvent => ({
  tableName: change.table,
  operation: change.operation,
  ...(change.before === undefined ? {} : { beforeImage: change.before }),
  ...(change.after === undefined ? {} : { afterImage: change.after }),
  timestamp: new Date(change.changeTimeMillis).toISOString(),
  sequenceNumber: change.transactionId
})

/** AWS DMS's Kinesis JSON (data or control record). */
export interface DmsRecord {
  readonly data?: Row | null
  readonly "before-image"?: Row
  readonly control?: unknown
  readonly metadata: {
    readonly timestamp: string
    readonly "record-type": "data" | "control"
    readonly operation: string
    readonly "partition-key-type": string
    readonly "schema-name": string
    readonly "table-name": string
    readonly "transaction-id"?: number
  }
}

/** DMS writes its metadata timestamp with microseconds. */
const dmsMetadataTime = (millis: number) => `${new Date(millis).toISOString().slice(0, 23)}000Z`

export interface DmsOptions {
  /** Include `before-image` on UPDATE (DMS's `BeforeImageSettings`); default true. */
  readonly beforeImage?: boolean
  /** Encode an INSERT as a full-load `load` record; default false. */
  readonly load?: boolean
}

/**
 * Encodes a change as AWS DMS's Kinesis JSON data record.
 *
 * @example
 * ```ts
 * toDmsRecord(change, { load: true }).metadata.operation // "load"
 * ```
 */
export const toDmsRecord = (change: Change, options: DmsOptions = {}): DmsRecord => {
  const operation = options.load === true && change.operation === "INSERT" ? "load" : change.operation.toLowerCase()
  const withBefore = options.beforeImage !== false && change.operation === "UPDATE" && change.before !== undefined
  return {
    data: change.operation === "DELETE" ? (change.before ?? null) : (change.after ?? null),
    ...(withBefore ? { "before-image": change.before as Row } : {}),
    metadata: {
      timestamp: dmsMetadataTime(change.changeTimeMillis),
      "record-type": "data",
      operation,
      "partition-key-type": "schema-table",
      "schema-name": "coredb",
      "table-name": change.table,
      "transaction-id": Number(change.transactionId)
    }
  }
}

/**
 * A DMS control record (DDL), e.g. a column added to CoreDB.
 *
 * @example
 * ```ts
 * dmsControlRecord({ table: "users", operation: "add-column", columns: ["nickname"], changeTimeMillis: 0 })
 * ```
 */
export const dmsControlRecord = (options: {
  readonly table: string
  readonly operation: "add-column" | "drop-column" | "rename-column" | "create-table" | "drop-table" | "change-columns"
  readonly columns: ReadonlyArray<string>
  readonly changeTimeMillis: number
}): DmsRecord => ({
  control: {
    "table-def": {
      columns: Object.fromEntries(options.columns.map((column) => [column, { type: "STRING", nullable: true }])),
      "primary-key": []
    }
  },
  metadata: {
    timestamp: dmsMetadataTime(options.changeTimeMillis),
    "record-type": "control",
    operation: options.operation,
    "partition-key-type": "task-id",
    "schema-name": "coredb",
    "table-name": options.table
  }
})

export interface KinesisOptions {
  /** Position in the stream; drives the default sequence number. */
  readonly index?: number
  readonly shardId?: string
  readonly sequenceNumber?: string
  readonly partitionKey?: string
  /** Epoch millis at which Kinesis accepted the record. */
  readonly arrivalTimeMillis?: number
  readonly streamArn?: string
}

/** The default stream ARN of generated records. */
export const testStreamArn = "arn:aws:kinesis:eu-west-1:123456789012:stream/cdc-pipeline-changes"

/** A Kinesis-like 56-digit sequence number, increasing with `index` (compare as BigInt, never as strings). */
export const sequenceNumberAt = (index: number): string =>
  (49_650_000_000_000_000_000_000_000_000_000_000_000_000_000_000_000n + BigInt(index) * 1_000_003n).toString()

/**
 * Wraps a payload (any shape, or raw text/bytes) in the Lambda `KinesisStreamRecord` that an
 * event source mapping delivers, with base64 `data`.
 *
 * @example
 * ```ts
 * const record = toKinesisRecord(toDmsRecord(change), { index: 3, shardId: "shardId-000000000001" })
 * ```
 */
export const toKinesisRecord = (payload: unknown, options: KinesisOptions = {}): KinesisStreamRecord => {
  const index = options.index ?? 0
  const shardId = options.shardId ?? "shardId-000000000000"
  const sequenceNumber = options.sequenceNumber ?? sequenceNumberAt(index)
  const bytes =
    payload instanceof Uint8Array
      ? Buffer.from(payload)
      : Buffer.from(typeof payload === "string" ? payload : JSON.stringify(payload), "utf8")
  const streamArn = options.streamArn ?? testStreamArn
  return {
    awsRegion: "eu-west-1",
    eventID: `${shardId}:${sequenceNumber}`,
    eventName: "aws:kinesis:record",
    eventSource: "aws:kinesis",
    eventSourceARN: streamArn,
    eventVersion: "1.0",
    invokeIdentityArn: "arn:aws:iam::123456789012:role/cdc-processor",
    kinesis: {
      approximateArrivalTimestamp: (options.arrivalTimeMillis ?? 1_705_314_600_000 + index) / 1000,
      data: bytes.toString("base64"),
      kinesisSchemaVersion: "1.0",
      partitionKey: options.partitionKey ?? `partition-${index % 16}`,
      sequenceNumber
    }
  }
}

/** The three input shapes, by name (for tests that run every shape). */
export type InputShape = "cdc" | "dms" | "kinesis"
export const inputShapes: ReadonlyArray<InputShape> = ["cdc", "dms", "kinesis"]

/**
 * Encodes a change in one of the three input shapes (`kinesis` wraps the DMS JSON).
 *
 * @example
 * ```ts
 * const lines = sampleChanges(12).map((c, i) => JSON.stringify(encodeChange(c, "kinesis", i)))
 * ```
 */
export const encodeChange = (change: Change, shape: InputShape, index = 0): unknown =>
  shape === "cdc" ? toCdcEvent(change) : shape === "dms" ? toDmsRecord(change) : toKinesisRecord(toDmsRecord(change), { index })
