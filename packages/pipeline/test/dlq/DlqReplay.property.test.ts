/**
 * The DLQ side under SQS's at-least-once delivery, played deterministically: the promises of the
 * worker (src/dlq/DlqWorker) and of the operator's redrive (src/dlq/Redrive), checked against
 * every interleaving fast-check can find.
 *
 * The model: a shard of records over partition keys `<table>#<n>`: changes of a few tables, some
 * with a column the table does not declare; records with an invalid value, of an unknown table,
 * not JSON, or JSON of no known shape; the oldest maybe already past retention. The processor's
 * messages for some of them (dead letters, `publish-rejected` ones with the redacted entry,
 * schema-drift notices), Lambda's on-failure records for ranges of the shard, and a few malformed
 * bodies; some of them sent twice. SQS (./DlqWorld `makeQueue`) hands them to the worker in
 * batches of random size and order, now and then one message once more (in the same batch, or
 * after it was deleted), and delivers again every message the worker named in `batchItemFailures`
 * or whose invocation was killed. Each invocation has its own faults (./DlqWorld): S3 puts, SNS
 * publishes and Kinesis reads throttled or refused, and a kill at any call, before or after it
 * landed; hours pass between invocations, so redeliveries cross days. Faults stop after a while,
 * and SQS delivers until every message is deleted. Then the operator redrives everything archived:
 * once or twice with faults (a run may be killed), then once without.
 *
 * Judged only from outputs (archive objects, published alerts, log lines, the records the redrive
 * put into the stream, its reports):
 * 1. every message ends deleted, and every failed record archived: one object per failure,
 *    however often delivered (ids as ArchivedFailure and Failures document them);
 * 2. no archive object, alert, log line or report holds a sensitive value of a generated row,
 *    the value of an undeclared column, or a canary of a malformed body;
 * 3. each archived (table, category, code) problem an operator must act on is alerted at least
 *    once, and an alert lists only archived failures of its own problem;
 * 4. the redrive puts each redrivable record into the stream once, plus once more after each run
 *    that put it but left one of its objects unmarked (Redrive.ts: "If a run stops between the
 *    put and the mark, the next run puts that record again"; per partition key and run that is at
 *    most one record, the last one put); per partition key in the original stream order; every
 *    redrivable object ends marked; the others are reported as skipped, not-redrivable or
 *    unavailable, and their records are never put.
 * Seeded by the suite's fast-check seed (`FC_SEED`; `FC_SEED=random` explores new cases).
 */
import { tables } from "@cdc/domain/Tables"
import { type Change, changeArbitrary } from "@cdc/testkit/Changes"
import { toDmsRecord } from "@cdc/testkit/InputShapes"
import { sensitiveValues } from "@cdc/testkit/SensitiveValues"
import * as Duration from "effect/Duration"
import * as Effect from "effect/Effect"
import * as Schema from "effect/Schema"
import { TestClock } from "effect/testing"
import fc from "fast-check"
import { describe, expect, it } from "vitest"
import type { DeadLetterMessage } from "../../src/DeadLetter"
import { deadLetter, schemaDriftNotice } from "../../src/DeadLetters"
import { type Alert, alertBody, alertSubject } from "../../src/dlq/Alerts"
import { metadataNames } from "../../src/dlq/Archive"
import { ArchivedFailure, parseArchiveKey } from "../../src/dlq/ArchivedFailure"
import { listEntries } from "../../src/dlq/ArchiveQuery"
import type { DlqDelivery } from "../../src/dlq/DlqInput"
import { toLambdaRecord } from "../../src/dlq/DlqRecordPath"
import { handleDlqBatch } from "../../src/dlq/DlqWorker"
import { appendRecord, expireThrough } from "../../src/dlq/MemoryStream"
import type { StreamRecord } from "../../src/dlq/RecordFetcher"
import { type RedriveReport, type RedriveStatus, redrive } from "../../src/dlq/Redrive"
import { PublishRejectedError } from "../../src/PipelineErrors"
import { type ShardItem, shardItems } from "../../src/ShardItems"
import { type CallFault, calm, type MemoryWorld, makeQueue, type Receive, type RunFaults, runWithFaults } from "./DlqWorld"
import { delivery, memoryWorld, noRetries, onFailureRecord, recordPath, streamArn } from "./fixtures"

const shardId = "shardId-000000000000"

// ---------------------------------------------------------------- the scenario

/** How a record of the shard is broken, if at all. */
type Shape = "valid" | "invalid-value" | "unknown-table" | "not-json" | "unknown-shape"

interface RecordSpec {
  readonly change: Change
  readonly shape: Shape
  /** Its partition key is `<table>#<entity>`, the table DMS wrote it for. */
  readonly entity: number
  /** It carries a column its table does not declare (schema drift): withheld, never to be seen. */
  readonly undeclared: boolean
  /** The processor sent its messages for it (a dead letter, a drift notice) to the DLQ. */
  readonly reported: boolean
}

/** A range of the shard a Lambda on-failure record names (indices modulo the shard). */
interface Range {
  readonly start: number
  readonly length: number
}

type MalformedKind = "text" | "json" | "bad-range"

interface Scenario {
  readonly shard: ReadonlyArray<RecordSpec>
  /** How many of the oldest records are past retention when the worker reads the stream. */
  readonly expired: number
  readonly ranges: ReadonlyArray<Range>
  readonly malformed: ReadonlyArray<MalformedKind>
  /** Messages (by index, modulo) their sender sent twice: the same body under a new message id. */
  readonly resent: ReadonlyArray<number>
  /** SQS's receives, in turn. */
  readonly receives: ReadonlyArray<Receive>
  /** The faults of the first worker invocations; the ones after them are calm. */
  readonly invocations: ReadonlyArray<RunFaults>
  /** The faults of the operator's first redrive runs; one calm run follows. */
  readonly redrives: ReadonlyArray<RunFaults>
}

const weighted = <A>(...choices: ReadonlyArray<readonly [A, number]>): fc.Arbitrary<A> =>
  fc.oneof(...choices.map(([value, weight]) => ({ weight, arbitrary: fc.constant(value) })))

const recordSpecArbitrary: fc.Arbitrary<RecordSpec> = fc.record({
  change: fc.constantFrom("users", "orders", "products").chain((table) => changeArbitrary(table)),
  shape: weighted<Shape>(["valid", 4], ["invalid-value", 2], ["unknown-table", 1], ["not-json", 1], ["unknown-shape", 1]),
  entity: fc.integer({ min: 1, max: 2 }),
  undeclared: weighted([false, 3], [true, 1]),
  reported: fc.boolean()
})

const callFaults = (maxLength: number) => fc.array(weighted<CallFault>(["ok", 5], ["throttled", 2], ["refused", 1]), { maxLength })

/** A run's faults; a kill, when there is one, at one of its first `calls` dependency calls. */
const runFaultsArbitrary = (calls: number): fc.Arbitrary<RunFaults> =>
  fc.record({
    s3Writes: callFaults(12),
    s3Reads: callFaults(6),
    sns: callFaults(4),
    kinesisReads: callFaults(8),
    kinesisPuts: callFaults(4),
    kill: fc.option(fc.record({ atCall: fc.integer({ min: 1, max: calls }), landed: fc.boolean() }), { freq: 3 })
  })

const receiveArbitrary: fc.Arbitrary<Receive> = fc.record({
  size: fc.integer({ min: 1, max: 10 }),
  from: fc.nat(),
  again: fc.option(fc.nat(), { freq: 2 }),
  afterHours: fc.integer({ min: 0, max: 13 })
})

const scenarioArbitrary: fc.Arbitrary<Scenario> = fc.record({
  shard: fc.array(recordSpecArbitrary, { minLength: 1, maxLength: 10 }),
  expired: weighted([0, 3], [1, 1], [2, 1]),
  ranges: fc.array(fc.record({ start: fc.nat(), length: fc.integer({ min: 1, max: 4 }) }), { maxLength: 3 }),
  malformed: fc.array(weighted<MalformedKind>(["text", 1], ["json", 1], ["bad-range", 1]), { maxLength: 2 }),
  resent: fc.array(fc.nat(), { maxLength: 3 }),
  receives: fc.array(receiveArbitrary, { minLength: 1, maxLength: 5 }),
  invocations: fc.array(runFaultsArbitrary(16), { maxLength: 8 }),
  // a redrive lists and describes every object before it reads, puts and marks
  redrives: fc.array(runFaultsArbitrary(48), { minLength: 1, maxLength: 2 })
})

// ---------------------------------------------------------------- the shard and the DLQ's messages

const unknownTable = "ghosts"
/** Values that must never be seen: an undeclared column's, a malformed body's. */
const undeclaredValue = (index: number) => `nick-${index}-q7Zx9w`
const malformedCanary = (index: number) => `ssn-${index}-Kd2v8r`

/** A column of the table whose value must be a number or a boolean. */
const typedColumn = (table: string): string => {
  const column = tables.get(table)?.columns.find(({ type }) => type === "int" || type === "decimal" || type === "boolean")
  if (column === undefined) throw new Error(`no typed column in ${table}`)
  return column.name
}

const payloadOf = (spec: RecordSpec, index: number): string => {
  const dms = toDmsRecord(spec.change)
  const data = { ...dms.data, ...(spec.undeclared ? { nickname: undeclaredValue(index) } : {}) }
  switch (spec.shape) {
    case "valid":
      return JSON.stringify({ ...dms, data })
    case "invalid-value":
      return JSON.stringify({ ...dms, data: { ...data, [typedColumn(spec.change.table)]: "not-a-value" } })
    case "unknown-table":
      return JSON.stringify({ ...dms, data, metadata: { ...dms.metadata, "table-name": unknownTable } })
    case "not-json":
      return JSON.stringify({ ...dms, data }).slice(0, -1)
    case "unknown-shape":
      return JSON.stringify({ row: data })
  }
}

/**
 * DMS's partition key: a record the pipeline cannot read (not JSON, no known shape) keeps the key
 * of the table it was written for, though its failures are archived under `_unknown`.
 */
const partitionKeyOf = (spec: RecordSpec) => `${spec.shape === "unknown-table" ? unknownTable : spec.change.table}#${spec.entity}`

const sensitiveOf = (spec: RecordSpec, index: number): ReadonlyArray<string> => [
  ...[spec.change.before, spec.change.after].flatMap((row) => (row === undefined ? [] : sensitiveValues(spec.change.table, row))),
  ...(spec.undeclared ? [undeclaredValue(index)] : [])
]

/** The processor's dead letter of a record, as ShardWindow builds it: a `Dead` item's, or a refused entry's. */
const deadLetterOf = (item: ShardItem, at: string): ReadonlyArray<DeadLetterMessage> => {
  switch (item._tag) {
    case "Dead":
      return [deadLetter({ error: item.error, coordinates: item.coordinates, at, eventId: item.eventId })]
    case "Publish": {
      // the bus refused its entry for good
      const error = new PublishRejectedError({ awsCode: "MalformedDetail" })
      return [deadLetter({ error, coordinates: item.coordinates, at, eventId: item.eventId, event: item.entry })]
    }
    case "Filtered":
      return []
  }
}

/** What the processor sent to the DLQ for the reported records: dead letters and schema-drift notices. */
const processorMessages = (shard: ReadonlyArray<RecordSpec>, records: ReadonlyArray<StreamRecord>): Array<DeadLetterMessage> => {
  const at = "2026-01-15T00:00:00.000Z"
  const { items, drift } = shardItems(recordPath, { streamArn, shardId }, records.map(toLambdaRecord), Date.parse(at))
  const reported = new Set(records.filter((_, index) => shard[index]?.reported).map((record) => record.sequenceNumber))
  const letters = items.filter((item) => reported.has(item.sequenceNumber)).flatMap((item) => deadLetterOf(item, at))
  const notices = drift
    .filter(({ coordinates }) => reported.has(coordinates.sequenceNumber ?? ""))
    .map(({ table, columns, reason, coordinates }) => schemaDriftNotice({ table, columns, reason, coordinates, at }))
  return [...letters, ...notices]
}

const streamRecordId = (sequenceNumber: string) => `kinesis-${shardId}-${sequenceNumber}`

/** A DLQ message body and the ids of the failures it must end archived as (given its message id). */
interface Letter {
  readonly body: unknown
  readonly ids: (messageId: string) => ReadonlyArray<string>
}

/** Lambda's on-failure record for a range: its records still in the stream, and the loss of the others. */
const onFailureLetter = (records: ReadonlyArray<StreamRecord>, expired: number, range: Range): Letter => {
  const first = range.start % records.length
  const last = Math.min(records.length - 1, first + range.length - 1)
  const inRange = records.slice(first, last + 1)
  const left = records.slice(Math.max(first, expired), last + 1).map(({ sequenceNumber }) => streamRecordId(sequenceNumber))
  const start = (records[first] as StreamRecord).sequenceNumber
  const loss = left.length === 0 ? ["expired"] : left.length < inRange.length ? ["partly-expired"] : []
  return {
    body: onFailureRecord(start, (records[last] as StreamRecord).sequenceNumber, inRange.length),
    ids: () => [...left, ...loss.map((marker) => `${streamRecordId(start)}-${marker}`)]
  }
}

const malformedLetter = (kind: MalformedKind, index: number): Letter => {
  const range = onFailureRecord("1", "2", 2)
  const bodies: Record<MalformedKind, unknown> = {
    text: `ssn=${malformedCanary(index)}`,
    json: { note: malformedCanary(index) },
    "bad-range": { ...range, KinesisBatchInfo: { ...range.KinesisBatchInfo, startSequenceNumber: "first" } }
  }
  return { body: bodies[kind], ids: (messageId) => [`sqs-${messageId}`] }
}

/** The world before the worker runs, and what the judge knows of it. */
interface Model {
  readonly messages: ReadonlyArray<DlqDelivery>
  /** The ids of the failures every message must end archived as. */
  readonly expectedIds: ReadonlySet<string>
  readonly sensitive: ReadonlyArray<string>
  /** The partition key of each record still in the stream, by sequence number. */
  readonly available: ReadonlyMap<string, string>
}

const arrivalOf = (index: number) => Date.UTC(2026, 0, 14, 22, 0, 0) + index * 60_000

/** Writes the shard into the world's stream, expires its oldest records, and builds the DLQ's messages. */
const buildModel = (world: MemoryWorld, scenario: Scenario): Model => {
  const encoder = new TextEncoder()
  const records = scenario.shard.map((spec, index) =>
    appendRecord(world.stream, {
      partitionKey: partitionKeyOf(spec),
      data: encoder.encode(payloadOf(spec, index)),
      arrivalTime: arrivalOf(index)
    })
  )
  const letters: Array<Letter> = [
    ...processorMessages(scenario.shard, records).map((message) => ({ body: message, ids: () => [message.id] })),
    ...scenario.ranges.map((range) => onFailureLetter(records, scenario.expired, range)),
    ...scenario.malformed.map(malformedLetter)
  ]
  const sent = [...letters, ...scenario.resent.flatMap((n) => (letters.length === 0 ? [] : [letters[n % letters.length] as Letter]))]
  const lastExpired = records[Math.min(scenario.expired, records.length) - 1]
  if (lastExpired !== undefined) expireThrough(world.stream, lastExpired.sequenceNumber)
  return {
    messages: sent.map((letter, n) => delivery(letter.body, `m-${n}`)),
    expectedIds: new Set(sent.flatMap((letter, n) => letter.ids(`m-${n}`))),
    sensitive: [...scenario.shard.flatMap(sensitiveOf), ...scenario.malformed.map((_, index) => malformedCanary(index))],
    available: new Map(world.stream.records.map((record) => [record.sequenceNumber, record.partitionKey]))
  }
}

// ---------------------------------------------------------------- playing it

/** Archive writes and alerts retried twice, 100 ms and 200 ms later. */
const policies = { ...noRetries, "dlq-send": { maxRetries: 2, baseDelayMillis: 100, maxDelayMillis: 400, jitter: 0 } }

/** SQS delivers until every message is deleted: faulty invocations first, calm ones after. */
const deliverAll = (world: MemoryWorld, scenario: Scenario, messages: ReadonlyArray<DlqDelivery>) =>
  Effect.gen(function* () {
    const queue = makeQueue(messages)
    // a calm invocation deletes at least one message
    const maxInvocations = scenario.invocations.length + messages.length + 1
    for (let n = 0; n < maxInvocations && queue.undeleted().length > 0; n++) {
      const receive = scenario.receives[n % scenario.receives.length] as Receive
      yield* TestClock.adjust(Duration.hours(receive.afterHours))
      const batch = queue.receive(receive)
      const outcome = yield* runWithFaults(handleDlqBatch(batch), world, scenario.invocations[n] ?? calm)
      if (outcome._tag === "Killed") {
        queue.settle(batch, "killed")
        // SQS hands a killed invocation's messages out again only after their visibility
        // timeout, six times the worker's timeout: by then the alert claims it held have lapsed
        yield* TestClock.adjust(Duration.minutes(6))
      } else {
        const failed = new Set(outcome.value.batchItemFailures.map(({ itemIdentifier }) => itemIdentifier))
        expect(
          [...failed].filter((id) => !batch.some(({ messageId }) => messageId === id)),
          "failures name messages of the batch"
        ).toEqual([])
        queue.settle(batch, failed)
      }
    }
    return queue.undeleted()
  })

/** One record the redrive put into the stream: its partition key and its first sequence number. */
interface Put {
  readonly partitionKey: string
  readonly origin: string
}

interface RedriveRun {
  readonly puts: ReadonlyArray<Put>
  /** Archive keys marked as redriven after the run. */
  readonly marked: ReadonlySet<string>
  /** Its report, unless it was killed. */
  readonly report: RedriveReport | undefined
}

const putOf = (record: StreamRecord): Put => ({
  partitionKey: record.partitionKey,
  origin: JSON.parse(new TextDecoder().decode(record.data)).redriveOf.sequenceNumber
})

const markedKeys = (world: MemoryWorld) =>
  new Set([...world.archive.objects].flatMap(([key, object]) => (object.metadata[metadataNames.redrivenAt] === undefined ? [] : [key])))

/** The operator lists everything archived and redrives it: the scenario's runs, then a calm one. */
const redriveAll = (world: MemoryWorld, scenario: Scenario) =>
  Effect.forEach([...scenario.redrives, calm], (faults) =>
    Effect.gen(function* () {
      const before = world.stream.records.length
      const outcome = yield* runWithFaults(
        Effect.flatMap(listEntries({}), (entries) => redrive(entries, { dryRun: false })),
        world,
        faults
      )
      const run: RedriveRun = {
        puts: world.stream.records.slice(before).map(putOf),
        marked: markedKeys(world),
        report: outcome._tag === "Returned" ? outcome.value : undefined
      }
      return run
    })
  )

const play = (scenario: Scenario) =>
  Effect.gen(function* () {
    const world = memoryWorld(policies)
    const model = buildModel(world, scenario)
    const undeleted = yield* deliverAll(world, scenario, model.messages)
    const runs = yield* redriveAll(world, scenario)
    return { world, model, undeleted, runs }
  }).pipe(Effect.provide(TestClock.layer()))

// ---------------------------------------------------------------- judging

const decodeFailure = Schema.decodeUnknownSync(Schema.fromJsonString(ArchivedFailure))

interface ArchivedObject {
  readonly key: string
  readonly failure: ArchivedFailure
}

const archivedObjects = (world: MemoryWorld): ReadonlyArray<ArchivedObject> =>
  [...world.archive.objects].map(([key, object]) => ({ key, failure: decodeFailure(object.body) }))

const groupBy = <A>(items: ReadonlyArray<A>, key: (item: A) => string): ReadonlyMap<string, ReadonlyArray<A>> => {
  const groups = new Map<string, Array<A>>()
  for (const item of items) groups.set(key(item), [...(groups.get(key(item)) ?? []), item])
  return groups
}

const ascending = (sequenceNumbers: Iterable<string>) => [...sequenceNumbers].sort((a, b) => (BigInt(a) < BigInt(b) ? -1 : 1))

/** `a a b c c a` → `a b c a`: a record put again right after itself is a replay, not a reordering. */
const collapsed = <A>(items: ReadonlyArray<A>) => items.filter((item, n) => n === 0 || items[n - 1] !== item)

/** (1) SQS deleted every message, and each failure is archived exactly once. */
const expectEveryFailureArchivedOnce = (model: Model, undeleted: ReadonlyArray<string>, objects: ReadonlyArray<ArchivedObject>) => {
  expect(undeleted, "SQS deleted every message").toEqual([])
  const ids = objects.map(({ key }) => parseArchiveKey(key)?.id ?? key)
  expect(ids.sort(), "one archive object per failed record").toEqual([...model.expectedIds].sort())
}

/** (2) No output holds a sensitive value. */
const expectNoSensitiveValue = (sensitive: ReadonlyArray<string>, outputs: ReadonlyArray<string>) => {
  const everything = outputs.join("\n")
  for (const value of sensitive)
    if (everything.includes(value))
      expect(
        outputs.find((output) => output.includes(value)),
        `holds the value ${value}`
      ).toBeUndefined()
}

const outputsOf = (world: MemoryWorld, runs: ReadonlyArray<RedriveRun>): ReadonlyArray<string> => [
  ...[...world.archive.objects].map(([key, object]) => `${key} ${JSON.stringify(object)}`),
  ...world.alerts.published.map((alert) => `${JSON.stringify(alert)} ${alertBody(alert)} ${alertSubject(alert)}`),
  ...world.logs,
  ...runs.map((run) => JSON.stringify(run.report ?? null))
]

interface Problem {
  readonly table: string
  readonly category: string
  readonly code: string
}

const problemOf = ({ table, category, code }: Problem) => JSON.stringify([table, category, code])

/** What an operator must act on (Alerts.ts): poison, configuration, schema drift, records lost to retention. */
const mustAlert = ({ category, code }: Problem) =>
  ["poison", "configuration", "schema-drift"].includes(category) || code === "records-expired"

/** The archive key an alert's location names (the memory archive's locations). */
const keyOfLocation = (location: string) => location.replace(/^memory:\/\/archive\//, "")

/** (3) Every problem an operator must act on is alerted; an alert names archived failures of its problem only. */
const expectAlerts = (alerts: ReadonlyArray<Alert>, objects: ReadonlyArray<ArchivedObject>) => {
  const failures = new Map(objects.map(({ key, failure }) => [key, failure]))
  for (const alert of alerts) {
    const problem = problemOf(alert)
    expect(mustAlert(alert), `alert ${problem} is for a problem an operator must act on`).toBe(true)
    expect(alert.count, `alert ${problem}: its count is its locations`).toBe(alert.locations.length + alert.moreLocations)
    for (const location of alert.locations) {
      const failure = failures.get(keyOfLocation(location))
      expect(failure && problemOf(failure), `alert ${problem} lists ${location}`).toBe(problem)
    }
  }
  const alerted = new Set(alerts.map(problemOf))
  const problems = new Set(
    objects
      .map(({ failure }) => failure)
      .filter(mustAlert)
      .map(problemOf)
  )
  expect(
    [...problems].filter((problem) => !alerted.has(problem)),
    "problems archived but never alerted"
  ).toEqual([])
}

/** What the redrive must do with an archived failure (Redrive.ts): put its record back, or report why not. */
type Disposition = { readonly status: "put"; readonly origin: string } | { readonly status: RedriveStatus }

const unfixableCodes = new Set(["invalid-json", "not-an-object"])

const dispositionOf = (failure: ArchivedFailure, available: ReadonlyMap<string, string>): Disposition => {
  if (failure.kind === "malformed") return { status: "not-redrivable" }
  if (failure.kind === "cdc.schema-drift") return { status: "skipped" }
  // a discarded batch's record the processor does not publish: nothing to put back
  if (failure.code.startsWith("skipped-")) return { status: "skipped" }
  if (failure.code === "records-expired") return { status: "unavailable" }
  if (unfixableCodes.has(failure.code)) return { status: "not-redrivable" }
  const { shardId: shard, sequenceNumber } = failure.coordinates
  if (shard === undefined || sequenceNumber === undefined) return { status: "not-redrivable" }
  return available.has(sequenceNumber) ? { status: "put", origin: sequenceNumber } : { status: "unavailable" }
}

/** What the redrive must do with each archived object, and the objects of each record it must put, by sequence number. */
const redriveDuties = (model: Model, objects: ReadonlyArray<ArchivedObject>) => {
  const dispositions = new Map(objects.map(({ key, failure }) => [key, dispositionOf(failure, model.available)]))
  const redrivable = new Map<string, Array<string>>()
  for (const [key, disposition] of dispositions)
    if ("origin" in disposition) redrivable.set(disposition.origin, [...(redrivable.get(disposition.origin) ?? []), key])
  return { dispositions, redrivable: redrivable as ReadonlyMap<string, ReadonlyArray<string>> }
}

type Duties = ReturnType<typeof redriveDuties>

/** The records a run put and left with an object unmarked: the next run puts them again. */
const leftUnmarked = (run: RedriveRun, { redrivable }: Duties): ReadonlySet<string> =>
  new Set(run.puts.filter(({ origin }) => redrivable.get(origin)?.some((key) => !run.marked.has(key))).map(({ origin }) => origin))

/**
 * (4a) Only redrivable records are put: each once, plus once after each run that put it and left
 * one of its objects unmarked. Such a record stops its key, so it is the key's last put of the run.
 */
const expectEachPutOnce = (runs: ReadonlyArray<RedriveRun>, duties: Duties) => {
  const puts = runs.flatMap((run) => run.puts)
  expect(
    puts.filter(({ origin }) => !duties.redrivable.has(origin)),
    "records put with no redrivable failure"
  ).toEqual([])
  const unmarked = runs.map((run) => leftUnmarked(run, duties))
  runs.forEach((run, n) => {
    for (const [partitionKey, ofKey] of groupBy(run.puts, ({ partitionKey }) => partitionKey)) {
      const left = ofKey.filter(({ origin }) => unmarked[n]?.has(origin)).map(({ origin }) => origin)
      expect(left, `run ${n}, key ${partitionKey}: only its last put may be left unmarked`).toEqual(
        left.length === 0 ? [] : [ofKey.at(-1)?.origin]
      )
    }
  })
  for (const origin of duties.redrivable.keys()) {
    const replays = unmarked.slice(0, -1).filter((records) => records.has(origin)).length
    const times = puts.filter((put) => put.origin === origin).length
    expect(times, `record ${origin}: put once, plus once after each run that left it unmarked`).toBe(1 + replays)
  }
}

/** (4b) Per partition key, the records are put in their original stream order (a replay repeats the last one). */
const expectStreamOrder = (model: Model, runs: ReadonlyArray<RedriveRun>, { redrivable }: Duties) => {
  const putByKey = groupBy(
    runs.flatMap((run) => run.puts),
    ({ partitionKey }) => partitionKey
  )
  for (const [partitionKey, origins] of groupBy([...redrivable.keys()], (origin) => model.available.get(origin) ?? "")) {
    const put = (putByKey.get(partitionKey) ?? []).map(({ origin }) => origin)
    expect(collapsed(put), `key ${partitionKey}: put in stream order`).toEqual(ascending(origins))
  }
}

/** Statuses a redrivable failure may be reported with by a run that met no fault. */
const doneStatuses: ReadonlyArray<RedriveStatus> = ["redriven", "duplicate", "already-redriven"]

/**
 * (4c) Every redrivable object ends marked; each report says what became of each failure (a run
 * with faults may also report one failed, or held for a failed lookup in its table), and the calm
 * one reports every archived failure.
 */
const expectMarkedAndReported = (runs: ReadonlyArray<RedriveRun>, { dispositions, redrivable }: Duties) => {
  const last = runs.at(-1) as RedriveRun
  expect(
    [...redrivable.values()].flat().filter((key) => !last.marked.has(key)),
    "redrivable failures left unmarked"
  ).toEqual([])
  expect(last.report?.items.map(({ key }) => key).sort(), "the calm run reports every archived failure").toEqual(
    [...dispositions.keys()].sort()
  )
  for (const run of runs) {
    for (const item of run.report?.items ?? []) {
      const disposition = dispositions.get(item.key)
      const expected = disposition?.status === "put" ? doneStatuses : [disposition?.status]
      expect(run === last ? expected : [...expected, "failed"], `${item.key} reported ${item.status}`).toContain(item.status)
    }
  }
}

describe("the DLQ worker and the redrive under SQS's at-least-once delivery", () => {
  it("archive every failure once, leak nothing, alert every problem, and redrive each record once in order", async () => {
    await fc.assert(
      fc.asyncProperty(scenarioArbitrary, async (scenario) => {
        const { world, model, undeleted, runs } = await Effect.runPromise(play(scenario))
        const objects = archivedObjects(world)
        expectEveryFailureArchivedOnce(model, undeleted, objects)
        expectNoSensitiveValue(model.sensitive, outputsOf(world, runs))
        expectAlerts(world.alerts.published, objects)
        const duties = redriveDuties(model, objects)
        expectEachPutOnce(runs, duties)
        expectStreamOrder(model, runs, duties)
        expectMarkedAndReported(runs, duties)
      }),
      { numRuns: 200 }
    )
  }, 60_000)
})
