/**
 * Turns one shard's fresh Kinesis records into items the batch program routes: `Publish` (an
 * entry for EventBridge), `Filtered` (deliberately not published) or `Dead` (to the DLQ), plus
 * the schema-drift sightings. Pure apart from calling the record path.
 *
 * @example
 * ```ts
 * const { items, drift } = shardItems(path, shard, records, processedAtMillis)
 * ```
 */
import type { Classified, RecordCoordinates } from "@cdc/domain/Classified"
import type { RecordPath as DomainRecordPath } from "@cdc/domain/RecordPath"
import type { KinesisStreamRecord } from "aws-lambda"
import type { ShardRef } from "./CheckpointStore"
import { entrySize, isOversized, maxRequestBytes } from "./Chunker"
import type { EventEntry } from "./EventBus"
import { OversizedEntryError, RecordPathDefect } from "./PipelineErrors"

interface Base {
  /** Position among the shard's fresh records. */
  readonly index: number
  readonly sequenceNumber: string
  readonly coordinates: RecordCoordinates
}

export type ShardItem =
  | (Base & { readonly _tag: "Publish"; readonly entry: EventEntry; readonly eventId: string; readonly orderingKey: string })
  | (Base & { readonly _tag: "Filtered"; readonly reason: string })
  | (Base & { readonly _tag: "Dead"; readonly error: Classified; readonly eventId?: string | undefined })

/** A table whose schema moved: undeclared columns withheld, or a DDL control record. */
export interface DriftSighting {
  readonly table: string
  readonly columns: ReadonlyArray<string>
  readonly reason: string
  readonly coordinates: RecordCoordinates
}

/** The public coordinates of a Lambda Kinesis record. */
export const recordCoordinates = (record: KinesisStreamRecord, shard: ShardRef): RecordCoordinates => ({
  streamArn: shard.streamArn,
  shardId: shard.shardId,
  sequenceNumber: record.kinesis.sequenceNumber,
  partitionKey: record.kinesis.partitionKey,
  arrivalTime: Math.round(record.kinesis.approximateArrivalTimestamp * 1000)
})

const outcomeOf = (path: DomainRecordPath, record: KinesisStreamRecord, processedAtMillis: number) => {
  try {
    return path.fromKinesis(record, processedAtMillis)
  } catch (cause) {
    // The contract says it never throws; if it does, the record is parked rather than the batch.
    return { _tag: "Defect" as const, error: new RecordPathDefect({ name: cause instanceof Error ? cause.name : typeof cause }) }
  }
}

/** Classifies each record (in order) and collects drift sightings. */
export const shardItems = (
  path: DomainRecordPath,
  shard: ShardRef,
  records: ReadonlyArray<KinesisStreamRecord>,
  processedAtMillis: number
): { readonly items: ReadonlyArray<ShardItem>; readonly drift: ReadonlyArray<DriftSighting> } => {
  const drift: Array<DriftSighting> = []
  const items = records.map((record, index): ShardItem => {
    const coordinates = recordCoordinates(record, shard)
    const base = { index, sequenceNumber: record.kinesis.sequenceNumber, coordinates }
    const outcome = outcomeOf(path, record, processedAtMillis)
    switch (outcome._tag) {
      case "Defect":
        return { ...base, _tag: "Dead", error: outcome.error }
      case "Reject":
        return {
          ...base,
          coordinates: { ...coordinates, table: outcome.error.coordinates.table },
          _tag: "Dead",
          error: outcome.error
        }
      case "Skip": {
        if (outcome.ddl !== undefined) {
          drift.push({
            table: outcome.table ?? "unknown",
            columns: outcome.ddl.columns,
            reason: `ddl-${outcome.ddl.operation}`,
            coordinates: { ...coordinates, table: outcome.table }
          })
        }
        return { ...base, coordinates: { ...coordinates, table: outcome.table }, _tag: "Filtered", reason: outcome.reason }
      }
    }
    const withTable = { ...base, coordinates: { ...coordinates, table: outcome.table } }
    if (outcome.withheldColumns.length > 0) {
      drift.push({
        table: outcome.table,
        columns: outcome.withheldColumns,
        reason: "undeclared-columns",
        coordinates: withTable.coordinates
      })
    }
    if (isOversized(outcome.entry)) {
      const error = new OversizedEntryError({ bytes: entrySize(outcome.entry), limit: maxRequestBytes })
      return { ...withTable, _tag: "Dead", error, eventId: outcome.eventId }
    }
    return { ...withTable, _tag: "Publish", entry: outcome.entry, eventId: outcome.eventId, orderingKey: outcome.orderingKey }
  })
  return { items, drift }
}
