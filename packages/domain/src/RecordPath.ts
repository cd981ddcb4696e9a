/**
 * The pure record path: one raw change record in, one {@link RecordOutcome} out: the redacted
 * EventBridge entry to publish, a skip (operation not published, DDL control record), or a
 * typed rejection carrying the record's coordinates and a reason code, never its values.
 *
 * Everything per table (coercers, redactors, HMAC keys) is compiled once in
 * {@link makeRecordPath}; the per-record path is synchronous and allocation-light, and never
 * throws. Time comes in as `processedAtMillis` (callers read Effect's Clock).
 *
 * @example
 * ```ts
 * const path = makeRecordPath({ keys, sourcePrefix: "cdc-pipeline", eventBusName: "cdc-bus" })
 * const outcome = path.fromKinesis(record, yield* Clock.currentTimeMillis)
 * if (outcome._tag === "Publish") entries.push(outcome.entry)
 * ```
 */
import type { KinesisStreamRecord } from "aws-lambda"
import { decodeBase64Text } from "./Base64"
import { computeChanges } from "./Changes"
import type { RecordCoordinates } from "./Classified"
import { type CdcError, DecodeError, type DecodeReason, InvalidValueError, UnknownTableError } from "./Errors"
import { eventVersion, type PublishedEntry } from "./Event"
import { eventIdOf, kinesisEventId, sourceIdentity } from "./EventId"
import { withExactDecimals } from "./ExactDecimals"
import { isKinesisWrapper, normalize, type SourceChange } from "./Input"
import { makeSecrets } from "./Redaction"
import type { RedactionKeys } from "./RedactionKeys"
import { isRedriveEnvelope, isRedrivenRecord, type StreamPosition } from "./RedrivenRecord"
import { repeatedConditionColumn } from "./RepeatedMembers"
import type { TableDefinition } from "./TableDefinition"
import { compileTable, type TablePlan } from "./TablePlan"
import { tables as definedTables } from "./Tables"
import { millisOfIso, toIsoTimestamp } from "./Timestamp"

export type { PublishedEntry } from "./Event"

export type RecordOutcome =
  | {
      readonly _tag: "Publish"
      readonly entry: PublishedEntry
      readonly eventId: string
      readonly table: string
      readonly entityId: string
      /** `${table}#${entityId}`: events of one entity keep their order. */
      readonly orderingKey: string
      /** Undeclared columns withheld from the event (names only). */
      readonly withheldColumns: ReadonlyArray<string>
    }
  | {
      readonly _tag: "Skip"
      readonly reason: "operation-not-published" | "control-record"
      readonly table: string | undefined
      /** For control records: the DDL operation and the column names it mentions. */
      readonly ddl?: { readonly operation: string; readonly columns: ReadonlyArray<string> }
    }
  | { readonly _tag: "Reject"; readonly error: CdcError }

export interface RecordPath {
  /** A Lambda KinesisStreamRecord (base64 data) → outcome. Never throws. */
  readonly fromKinesis: (record: KinesisStreamRecord, processedAtMillis: number) => RecordOutcome
  /** An already-decoded payload (any input shape, or a JSON string) with known coordinates. */
  readonly fromPayload: (payload: unknown, coordinates: RecordCoordinates, processedAtMillis: number) => RecordOutcome
}

export interface RecordPathOptions {
  readonly keys: RedactionKeys
  /** Events get `Source` `${sourcePrefix}.${table}`. */
  readonly sourcePrefix: string
  readonly eventBusName: string
  /** Table definitions (defaults to the twelve of `Tables.ts`). */
  readonly tables?: ReadonlyMap<string, TableDefinition>
}

const reject = (coordinates: RecordCoordinates, reason: DecodeReason, field?: string): RecordOutcome => ({
  _tag: "Reject",
  error: new DecodeError({ coordinates, reason, field })
})

/** The detail's `metadata`, filled in its published key order. */
interface EventMetadata {
  sourceTable: string
  sequenceNumber?: string
  processedAt?: string
  version?: string
  snapshot?: true
}

const withTable = (coordinates: RecordCoordinates, table: string | undefined): RecordCoordinates =>
  table === undefined || coordinates.table === table ? coordinates : { ...coordinates, table }

/**
 * The shard id read last, kept for the records after it: a batch comes from one shard. Handing
 * out the same string keeps `kinesisEventId`'s check for a new shard a pointer comparison. A
 * fresh `slice` per record was a sliced string, and V8 compares two sliced strings by a call into
 * its C++ runtime (`Runtime_StringEqual`: its builtin handles only sequential and thin strings),
 * once per record, besides the slice's allocation and the search for the colon.
 */
let lastShard: string | undefined

/** Shard id from a Lambda `eventID` (`shardId-000000000000:4960…`). */
const shardOf = (eventID: unknown): string | undefined => {
  if (typeof eventID !== "string") return undefined
  const known = lastShard
  // `known` holds no colon: an eventID starting with `known:` has that shard id. (`indexOf`, not
  // `startsWith`, whose fast path refuses a sliced or cons string and calls the runtime.)
  if (known !== undefined && eventID.charCodeAt(known.length) === 58 && eventID.indexOf(known) === 0) return known
  const colon = eventID.indexOf(":")
  if (colon <= 0) return undefined
  lastShard = eventID.slice(0, colon)
  return lastShard
}

/** Coordinates of a Kinesis record, read defensively (the record itself may be malformed). */
export const coordinatesOf = (record: unknown): RecordCoordinates => {
  const r = (typeof record === "object" && record !== null ? record : {}) as Record<string, unknown>
  const k = (typeof r.kinesis === "object" && r.kinesis !== null ? r.kinesis : {}) as Record<string, unknown>
  const arrival = k.approximateArrivalTimestamp
  const coordinates: { -readonly [K in keyof RecordCoordinates]: RecordCoordinates[K] } = {}
  if (typeof r.eventSourceARN === "string") coordinates.streamArn = r.eventSourceARN
  const shardId = shardOf(r.eventID)
  if (shardId !== undefined) coordinates.shardId = shardId
  if (typeof k.sequenceNumber === "string") coordinates.sequenceNumber = k.sequenceNumber
  if (typeof k.partitionKey === "string") coordinates.partitionKey = k.partitionKey
  if (typeof arrival === "number" && Number.isFinite(arrival)) coordinates.arrivalTime = Math.round(arrival * 1000)
  return coordinates
}

/** {@link coordinatesOf}, or none when reading the record throws (an object whose fields throw when read). */
const safeCoordinatesOf = (record: unknown): RecordCoordinates => {
  try {
    return coordinatesOf(record)
  } catch {
    return {}
  }
}

/** A change of a table with conditional rules whose text names a condition's column twice: refused (./RepeatedMembers). */
const refusedRepeat = (plan: TablePlan, change: SourceChange, text: string, coordinates: RecordCoordinates): RecordOutcome | undefined => {
  const column = repeatedConditionColumn(plan, change, text)
  if (column === undefined) return undefined
  const table = change.table
  return {
    _tag: "Reject",
    error: new InvalidValueError({ coordinates: withTable(coordinates, table), table, column, reason: "duplicate-column" })
  }
}

/**
 * Builds the record path: compiles every table definition once.
 *
 * @example
 * ```ts
 * const path = makeRecordPath({ keys: developmentRedactionKeys, sourcePrefix: "cdc-pipeline", eventBusName: "bus" })
 * path.fromPayload('{"tableName":"users",...}', { table: "users" }, 0)._tag // "Publish"
 * ```
 */
export const makeRecordPath = (options: RecordPathOptions): RecordPath => {
  const secrets = makeSecrets(options.keys)
  const plans = new Map<string, TablePlan>()
  for (const [name, definition] of options.tables ?? definedTables) plans.set(name, compileTable(definition, secrets))
  const sources = new Map([...plans.keys()].map((name) => [name, `${options.sourcePrefix}.${name}`]))
  // a batch shares one processing time: format it once
  let processedAtKey = Number.NaN
  let processedAtIso = ""
  const processedAtText = (millis: number) => {
    if (millis !== processedAtKey) {
      processedAtKey = millis
      processedAtIso = new Date(millis).toISOString()
    }
    return processedAtIso
  }

  /**
   * `origin` is the first position of a redriven record: its identity (event id, published
   * sequence number), where `coordinates` stay the record's current position (for the DLQ).
   * `text` is the JSON the change was parsed from, when there was one (see ./ExactDecimals).
   */
  const fromChange = (
    change: SourceChange,
    coordinates: RecordCoordinates,
    processedAtMillis: number,
    origin: StreamPosition | undefined,
    text: string | undefined
  ): RecordOutcome => {
    const table = change.table
    const plan = plans.get(table)
    // coordinates naming the table are built only on the (rare) rejection paths
    if (plan === undefined) return { _tag: "Reject", error: new UnknownTableError({ coordinates: withTable(coordinates, table), table }) }
    const eventType = plan.definition.eventTypes[change.operation]
    if (eventType === undefined) return { _tag: "Skip", reason: "operation-not-published", table }
    const timestamp = toIsoTimestamp(change.changeTime)
    if (timestamp === undefined) return reject(withTable(coordinates, table), "invalid-timestamp", "timestamp")
    const changeTime = millisOfIso(timestamp)
    if (plan.conditional.length !== 0 && text !== undefined) {
      const refused = refusedRepeat(plan, change, text, coordinates)
      if (refused !== undefined) return refused
    }
    const exact = text === undefined ? change : withExactDecimals(plan, change, text)
    const result = computeChanges(plan, change.operation, exact.before, exact.after)
    if (result._tag === "InvalidColumn") {
      return {
        _tag: "Reject",
        error: new InvalidValueError({ coordinates: withTable(coordinates, table), table, column: result.column, reason: result.reason })
      }
    }
    const entityId = result.entityId
    if (entityId === undefined) return reject(withTable(coordinates, table), "missing-key", plan.definition.keyColumn)
    const identity = origin ?? coordinates
    const eventId =
      identity.shardId !== undefined && identity.sequenceNumber !== undefined
        ? kinesisEventId(changeTime, identity.shardId, identity.sequenceNumber)
        : eventIdOf(
            changeTime,
            sourceIdentity(table, change.operation, entityId, changeTime, change.sourceSequence ?? change.transactionId ?? "")
          )
    const sequenceNumber = identity.sequenceNumber ?? change.sourceSequence
    const metadata: EventMetadata = { sourceTable: table }
    if (sequenceNumber !== undefined) metadata.sequenceNumber = sequenceNumber
    metadata.processedAt = processedAtText(processedAtMillis)
    metadata.version = eventVersion
    if (change.snapshot) metadata.snapshot = true
    const detail = {
      eventId,
      eventType,
      entityId,
      entityType: plan.definition.entity,
      operation: change.operation,
      timestamp,
      changes: result.changes,
      metadata
    }
    return {
      _tag: "Publish",
      entry: {
        Source: sources.get(table) as string,
        DetailType: eventType,
        Detail: JSON.stringify(detail),
        Time: timestamp,
        EventBusName: options.eventBusName
      },
      eventId,
      table,
      entityId,
      orderingKey: `${table}#${entityId}`,
      withheldColumns: result.withheld
    }
  }

  const fromParsed = (
    parsed: unknown,
    coordinates: RecordCoordinates,
    processedAtMillis: number,
    origin?: StreamPosition,
    text?: string
  ): RecordOutcome => {
    if (isRedriveEnvelope(parsed)) return fromRedriven(parsed, coordinates, processedAtMillis, origin, text)
    const normalized = normalize(parsed)
    switch (normalized._tag) {
      case "Change":
        return fromChange(normalized, coordinates, processedAtMillis, origin, text)
      case "Control":
        return {
          _tag: "Skip",
          reason: "control-record",
          table: normalized.table,
          ddl: { operation: normalized.operation, columns: normalized.columns }
        }
      case "Invalid":
        return reject(withTable(coordinates, normalized.table), normalized.reason, normalized.field)
    }
  }

  /**
   * A redriven record: the original inside, under its first position (wrapped once, never
   * twice). `text` is the envelope's, which holds a `record` form's original as written.
   */
  const fromRedriven = (
    envelope: { redriveOf: unknown },
    coordinates: RecordCoordinates,
    processedAtMillis: number,
    origin: StreamPosition | undefined,
    text: string | undefined
  ): RecordOutcome => {
    if (origin !== undefined || !isRedrivenRecord(envelope)) return reject(coordinates, "invalid-redriven-record", "redriveOf")
    if ("record" in envelope) {
      // both forms at once: which one is the original cannot be told
      if ("data" in envelope) return reject(coordinates, "invalid-redriven-record", "data")
      return fromParsed(envelope.record, coordinates, processedAtMillis, envelope.redriveOf, text)
    }
    const original = decodeBase64Text(envelope.data)
    if (original === undefined) return reject(coordinates, "invalid-base64", "data")
    return parseText(original, coordinates, processedAtMillis, envelope.redriveOf)
  }

  const parseText = (text: string, coordinates: RecordCoordinates, processedAtMillis: number, origin?: StreamPosition): RecordOutcome => {
    let parsed: unknown
    try {
      parsed = JSON.parse(text)
    } catch {
      return reject(coordinates, "invalid-json")
    }
    return fromParsed(parsed, coordinates, processedAtMillis, origin, text)
  }

  const fromKinesisUnsafe = (record: KinesisStreamRecord, processedAtMillis: number): RecordOutcome => {
    const coordinates = coordinatesOf(record)
    const data = (record as { kinesis?: { data?: unknown } } | null)?.kinesis?.data
    if (typeof data !== "string") return reject(coordinates, "invalid-kinesis-record", "kinesis.data")
    const text = decodeBase64Text(data)
    if (text === undefined) return reject(coordinates, "invalid-base64", "kinesis.data")
    return parseText(text, coordinates, processedAtMillis)
  }

  const fromPayloadUnsafe = (payload: unknown, coordinates: RecordCoordinates, processedAtMillis: number) => {
    if (typeof payload === "string") {
      // a wrapper given as text is unwrapped below, after parsing
      let parsed: unknown
      try {
        parsed = JSON.parse(payload)
      } catch {
        return reject(coordinates, "invalid-json")
      }
      return isKinesisWrapper(parsed)
        ? fromKinesisUnsafe(parsed as KinesisStreamRecord, processedAtMillis)
        : fromParsed(parsed, coordinates, processedAtMillis, undefined, payload)
    }
    if (payload instanceof Uint8Array) return parseText(Buffer.from(payload).toString("utf8"), coordinates, processedAtMillis)
    return isKinesisWrapper(payload)
      ? fromKinesisUnsafe(payload as KinesisStreamRecord, processedAtMillis)
      : fromParsed(payload, coordinates, processedAtMillis)
  }

  return {
    fromKinesis: (record, processedAtMillis) => {
      try {
        return fromKinesisUnsafe(record, processedAtMillis)
      } catch {
        // a defect of ours must not sink the batch: the record goes to the DLQ with its coordinates
        return reject(safeCoordinatesOf(record), "unexpected-failure")
      }
    },
    fromPayload: (payload, coordinates, processedAtMillis) => {
      try {
        return fromPayloadUnsafe(payload, coordinates, processedAtMillis)
      } catch {
        return reject(coordinates, "unexpected-failure")
      }
    }
  }
}
