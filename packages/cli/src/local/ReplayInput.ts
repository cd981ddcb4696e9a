/**
 * Turns one NDJSON line of `cdc replay FILE` into the Kinesis record to write, whatever the
 * input shape:
 *
 * - a Lambda `KinesisStreamRecord` (`{kinesis: {data, partitionKey}}`): its base64 data and its
 *   partition key, as they were in the original stream; data that is not base64 (Node's decoder
 *   would skip what is not and write the rest, bytes no stream held) makes the line
 *   {@link UnreplayableLine}, which stops the run before it writes anything;
 * - the reference CDC event (`tableName`, `afterImage`/`beforeImage`) or AWS DMS JSON
 *   (`metadata["table-name"]`, `data`): the line itself, with the partition key
 *   `<table>-<key>` (the table definition names the key column; a digest of the key when that is
 *   over Kinesis's 256 characters), which keeps per-key order;
 * - anything else (including a line that is not JSON): the line itself under `replay-line-<n>`,
 *   so the processor decides (it will dead-letter what it cannot read).
 *
 * A record Kinesis would refuse is named by {@link recordProblem}, so that the run can stop before
 * writing anything.
 *
 * @example
 * ```ts
 * toReplayRecord('{"tableName":"users","operation":"INSERT","afterImage":{"id":7}}', 1).partitionKey // "users-7"
 * ```
 */
import { createHash } from "node:crypto"
import { decodeBase64Bytes } from "@cdc/domain/Base64"
import { tables } from "@cdc/domain/Tables"
import type { OutgoingRecord } from "./StreamWriter"

export interface ReplayRecord extends OutgoingRecord {
  readonly shape: "kinesis" | "cdc" | "dms" | "other"
}

/** A line that holds no record to write, and why (a reason, never the line's content). */
export interface UnreplayableLine {
  readonly shape: "unreplayable"
  readonly problem: string
}

const isRecord = (value: unknown): value is Record<string, unknown> => typeof value === "object" && value !== null && !Array.isArray(value)

/**
 * `<table>-<key>`, or, when that is longer than Kinesis takes, `<table>-#<SHA-256 of the key>`: a
 * long business key is a valid record, and its digest keeps every record of one entity under one
 * partition key, as the order needs.
 */
const partitionKeyOf = (table: string, key: string): string => {
  const plain = `${table}-${key}`
  return [...plain].length <= maxPartitionKeyLength ? plain : `${table.slice(0, 150)}-#${createHash("sha256").update(key).digest("hex")}`
}

const keyed = (table: unknown, ...rows: ReadonlyArray<unknown>): string | undefined => {
  if (typeof table !== "string") return undefined
  const keyColumn = tables.get(table)?.keyColumn
  if (keyColumn === undefined) return undefined
  for (const row of rows)
    if (isRecord(row) && row[keyColumn] !== undefined && row[keyColumn] !== null) return partitionKeyOf(table, String(row[keyColumn]))
  return undefined
}

export const toReplayRecord = (line: string, lineNumber: number): ReplayRecord | UnreplayableLine => {
  const fallback = `replay-line-${lineNumber}`
  let parsed: unknown
  try {
    parsed = JSON.parse(line)
  } catch {
    return { partitionKey: fallback, data: line, shape: "other" }
  }
  if (!isRecord(parsed)) return { partitionKey: fallback, data: line, shape: "other" }
  const kinesis = parsed.kinesis
  if (isRecord(kinesis) && typeof kinesis.data === "string") {
    const partitionKey = typeof kinesis.partitionKey === "string" && kinesis.partitionKey.length > 0 ? kinesis.partitionKey : fallback
    const data = decodeBase64Bytes(kinesis.data)
    if (data === undefined) return { shape: "unreplayable", problem: "a Kinesis record whose kinesis.data is not base64 (invalid-base64)" }
    return { partitionKey, data, shape: "kinesis" }
  }
  if (typeof parsed.tableName === "string") {
    return { partitionKey: keyed(parsed.tableName, parsed.afterImage, parsed.beforeImage) ?? fallback, data: line, shape: "cdc" }
  }
  const metadata = parsed.metadata
  if (isRecord(metadata) && typeof metadata["table-name"] === "string") {
    return { partitionKey: keyed(metadata["table-name"], parsed.data, parsed["before-image"]) ?? fallback, data: line, shape: "dms" }
  }
  return { partitionKey: fallback, data: line, shape: "other" }
}

/** Kinesis's limits of one record: its data and partition key together, and the key's length. */
export const maxRecordBytes = 1024 * 1024
export const maxPartitionKeyLength = 256

/**
 * Why a line cannot be written: it holds no record ({@link UnreplayableLine}), or Kinesis would
 * refuse its record. A refused record fails its whole `PutRecords`
 * call (`ValidationException`, naming no record) after the calls before it were written.
 *
 * @example
 * ```ts
 * recordProblem({ partitionKey: "users-7", data: "x".repeat(2_000_000) }) // "2000007 bytes, over Kinesis's 1 MiB record limit"
 * ```
 */
export const recordProblem = (record: OutgoingRecord | UnreplayableLine): string | undefined => {
  if ("problem" in record) return record.problem
  const keyLength = [...record.partitionKey].length
  if (keyLength > maxPartitionKeyLength) return `partition key of ${keyLength} characters, over Kinesis's ${maxPartitionKeyLength}`
  const bytes =
    Buffer.byteLength(record.partitionKey) + (typeof record.data === "string" ? Buffer.byteLength(record.data) : record.data.byteLength)
  return bytes > maxRecordBytes ? `${bytes} bytes, over Kinesis's 1 MiB record limit` : undefined
}
