/**
 * The chaos run's verdict, computed only from what left the pipeline: the events on the consumer
 * queues (the tap queue sees every published event, and says what was delivered; order, ids and
 * content are checked on every queue), the dead letters (DLQ messages, the parking
 * queue, and the failure archive the DLQ worker wrote), and the captured logs. The pipeline's own
 * counters are not consulted.
 *
 * - lost: a produced change neither delivered nor dead-lettered with a reason (a DDL control
 *   record only needs the event source mapping to have moved past it);
 * - given up: a valid change that reached the DLQ other than by a refusal the run injected
 *   (`publish-rejected`): e.g. in a batch the event source mapping discarded. Being "in the DLQ
 *   with a reason" is not enough for a change nothing was wrong with: the faults are transient.
 * - misrouted: a record meant for the DLQ (malformed) or to be skipped (a DDL control record)
 *   that was published;
 * - order: per row (`table#key`, as the producer wrote it), first deliveries not in
 *   sequence-number order, or a row whose last delivery is not its newest delivered change: an
 *   older change redelivered after a newer one (A, B, A) leaves a consumer that applies events
 *   in arrival order on stale data, while a replayed suffix (A, B, A, B) does not;
 * - ids: a delivered event whose id is not the deterministic id of a produced change (ids are
 *   derived from shard and sequence number), one change delivered under two ids, or an event
 *   naming another row (`entityId`) than the change it was made from;
 * - content: a delivered event (source, type, time to the second, detail but its `processedAt`)
 *   other than the one the record path makes of the bytes the producer wrote, at the position
 *   they were given: a publisher that mixed entries up, lost fields or sent a stale retry shows
 *   here even under the right id;
 * - leaks: a clear value of a protected column found in any body, object or log line: as
 *   written, JSON-escaped, or inside base64 (as Kinesis data travels).
 *
 * @example
 * ```ts
 * const verdict = verify({ produced, deliveries, deadLetters, haystacks, canaries, positions })
 * verdict.violations.length // 0
 * ```
 */
import { identityDigest, kinesisIdentity } from "@cdc/domain/EventId"
import { canonical } from "@cdc/domain/Redaction"
import { findLeaks } from "./LeakScan"

export interface ProducedRecord {
  readonly shardId: string
  readonly sequenceNumber: string
  readonly expect: "publish" | "skip" | "reject"
  readonly kind: "data" | "control" | "malformed"
  /** For a data record, the row it changes as `table#key`: the producer's truth, not the event's. */
  readonly entity?: string
  /** For a record to publish, the {@link eventContent} of its event, made from the bytes the producer wrote. */
  readonly expected?: string
}

/** One event as a consumer received it, in arrival order. */
export interface Delivery {
  /** `detail.metadata.sequenceNumber` */
  readonly sequenceNumber: string | undefined
  readonly eventId: string
  /** `table#entityId` */
  readonly key: string
  /** The queue it arrived on (default `tap`, which receives every published event). */
  readonly queue?: string
  /** Its {@link eventContent}, when the queue's body could be read as an event. */
  readonly content?: string
}

/**
 * What a consumer sees of an event, as one comparable text: source, detail type, time to the
 * second (EventBridge keeps no more), and the detail without `metadata.processedAt`, which each
 * publication sets anew; keys sorted.
 *
 * @example
 * ```ts
 * eventContent({ source, detailType, time, detail }) === change.expected
 * ```
 */
export const eventContent = (event: {
  readonly source: string
  readonly detailType: string
  readonly time: string
  readonly detail: unknown
}): string => {
  const { metadata, ...rest } = (event.detail ?? {}) as { readonly metadata?: Record<string, unknown> }
  const { processedAt: _, ...kept } = metadata ?? {}
  const seconds = Math.floor(Date.parse(event.time) / 1000)
  return canonical({ source: event.source, detailType: event.detailType, time: seconds, detail: { ...rest, metadata: kept } })
}

/** One dead letter as the DLQ, the parking queue or the archive holds it. */
export interface DeadLetterEvidence {
  /** `shardId:sequenceNumber` of the record */
  readonly record: string | undefined
  /** For a discarded batch (on-failure record): the range it covers on one shard. */
  readonly range?: { readonly shardId: string; readonly start: string; readonly end: string }
  readonly reason: string
  readonly where: "dlq" | "parking" | "archive"
}

export interface Evidence {
  readonly produced: ReadonlyArray<ProducedRecord>
  readonly deliveries: ReadonlyArray<Delivery>
  readonly deadLetters: ReadonlyArray<DeadLetterEvidence>
  /** Every body, object and log line, by where it was found. */
  readonly haystacks: ReadonlyArray<{ readonly where: string; readonly text: string }>
  readonly canaries: ReadonlyArray<string>
  /** The event source mapping's stored position per shard. */
  readonly positions: Readonly<Record<string, string>>
  /** Event ids of the entries the run's bus refused for good: the only valid changes the DLQ may hold. */
  readonly refused: ReadonlySet<string>
}

export interface Verdict {
  readonly produced: number
  readonly delivered: number
  readonly deadLettered: Readonly<Record<string, number>>
  readonly skipped: number
  readonly lost: number
  /** Valid changes in the DLQ for a reason other than an injected permanent refusal. */
  readonly givenUp: number
  readonly misrouted: number
  readonly orderViolations: number
  readonly duplicateDeliveries: number
  /** Deliveries not traceable to a produced change by their id or naming another row, plus changes seen under two ids. */
  readonly idMismatches: number
  /** Deliveries whose content is not the event made of their change's bytes. */
  readonly contentMismatches: number
  /** Deliveries whose content was compared (those traced to a change with an expected event). */
  readonly contentCompared: number
  readonly leaks: number
  readonly violations: ReadonlyArray<string>
}

const big = (value: string) => BigInt(value)
const within = (sequence: string, range: { start: string; end: string }) =>
  big(sequence) >= big(range.start) && big(sequence) <= big(range.end)

/** The one reason a valid change may end in the DLQ: the run refused its entry for good (`InvalidArgument`). */
const injectedRefusal = "publish-rejected"

const recordOf = (r: { readonly shardId: string; readonly sequenceNumber: string }) => `${r.shardId}:${r.sequenceNumber}`
const digestOf = (eventId: string) => eventId.slice(eventId.lastIndexOf("_") + 1)

/** The queue that receives every published event. */
const tap = "tap"
const queueOf = (delivery: Delivery) => delivery.queue ?? tap

/** A delivery traced to the change it was made from. */
interface Traced {
  readonly delivery: Delivery
  readonly change: ProducedRecord
}

/**
 * One queue's arrivals, in order: per row (as the producer wrote it), first deliveries in
 * sequence-number order, and the last delivery the newest. Reports each violation; returns the
 * number of repeated deliveries.
 */
const checkOrder = (
  arrivals: ReadonlyArray<Traced>,
  deadByRecord: ReadonlyMap<string, string>,
  orderViolation: (message: string) => void
): number => {
  const seen = new Set<string>()
  const rows = new Map<string, { newest: bigint; newestRecord: string; last: bigint; arrivals: Array<string>; disordered: boolean }>()
  for (const { delivery, change } of arrivals) {
    const row = change.entity ?? delivery.key
    const sequence = big(change.sequenceNumber)
    const state = rows.get(row) ?? { newest: sequence, newestRecord: recordOf(change), last: sequence, arrivals: [], disordered: false }
    rows.set(row, state)
    state.arrivals.push(change.sequenceNumber)
    state.last = sequence
    const first = !seen.has(delivery.eventId)
    seen.add(delivery.eventId)
    if (first && sequence < state.newest) {
      state.disordered = true
      orderViolation(`order: ${row} received ${change.sequenceNumber} after ${state.newest} (arrivals: ${state.arrivals.join(", ")})`)
    }
    if (sequence > state.newest) {
      state.newest = sequence
      state.newestRecord = recordOf(change)
    }
  }
  // A row already out of order above is not counted twice. The newest change's dead letter, if
  // any, says why it was not sent again after the older ones.
  for (const [row, state] of rows)
    if (!state.disordered && state.last < state.newest) {
      const dead = deadByRecord.get(state.newestRecord)
      orderViolation(
        `order: ${row} ended on ${state.last}, older than ${state.newest} it received before (arrivals: ${state.arrivals.join(", ")})` +
          (dead === undefined ? "" : `; ${state.newest} was then dead-lettered as ${dead}`)
      )
    }
  return arrivals.length - seen.size
}

export const verify = (evidence: Evidence): Verdict => {
  const violations: Array<string> = []
  const byDigest = new Map(evidence.produced.map((r) => [identityDigest(kinesisIdentity(r.shardId, r.sequenceNumber)), r]))
  const delivered = new Set<string>()
  /** Deliveries traced to the change they were made from, in arrival order. */
  const traced: Array<Traced> = []
  let untraceable = 0
  let contentMismatches = 0
  let contentCompared = 0
  for (const d of evidence.deliveries) {
    const change = byDigest.get(digestOf(d.eventId))
    if (change !== undefined && change.sequenceNumber === d.sequenceNumber) {
      if (queueOf(d) === tap) delivered.add(recordOf(change))
      traced.push({ delivery: d, change })
      if (change.expected !== undefined) contentCompared += 1
      if (change.expected !== undefined && d.content !== change.expected) {
        contentMismatches += 1
        if (contentMismatches <= 10) violations.push(`event ${d.eventId} on the ${queueOf(d)} queue is not the event of its change`)
      }
      if (change.entity !== undefined && change.entity !== d.key) {
        untraceable += 1
        if (untraceable <= 10) violations.push(`event ${d.eventId} names ${d.key}, but its change is of another row`)
      }
    } else {
      untraceable += 1
      if (untraceable <= 10) violations.push(`event ${d.eventId} is not the deterministic id of a produced change`)
    }
  }
  // a valid change's dead letter is excused only if the run refused that very entry, so a
  // processor that took a retryable per-entry failure for a permanent one is caught
  const refusedDigests = new Set([...evidence.refused].map(digestOf))
  const refusedByTheRun = (record: ProducedRecord) =>
    refusedDigests.has(identityDigest(kinesisIdentity(record.shardId, record.sequenceNumber)))
  const deadByRecord = new Map<string, string>()
  for (const dead of evidence.deadLetters) if (dead.record !== undefined) deadByRecord.set(dead.record, dead.reason)
  const ranges = evidence.deadLetters.filter((d) => d.range !== undefined)

  let lost = 0
  let givenUp = 0
  let misrouted = 0
  let skipped = 0
  let deliveredCount = 0
  const deadLettered: Record<string, number> = {}
  for (const record of evidence.produced) {
    const id = recordOf(record)
    const isDelivered = delivered.has(id)
    const reason =
      deadByRecord.get(id) ?? ranges.find((d) => d.range!.shardId === record.shardId && within(record.sequenceNumber, d.range!))?.reason
    if (record.expect !== "publish" && isDelivered) {
      misrouted += 1
      violations.push(`a ${record.kind} record was published (${id})`)
    }
    if (isDelivered) deliveredCount += 1
    else if (reason !== undefined) {
      deadLettered[reason] = (deadLettered[reason] ?? 0) + 1
      if (record.expect === "publish" && !(reason === injectedRefusal && refusedByTheRun(record))) {
        givenUp += 1
        if (givenUp <= 10) violations.push(`given up: a valid record ${id} reached the DLQ as ${reason}, not delivered`)
      }
    } else if (record.expect === "skip") {
      const position = evidence.positions[record.shardId]
      if (position !== undefined && big(position) >= big(record.sequenceNumber)) skipped += 1
      else {
        lost += 1
        violations.push(`control record not passed (${id})`)
      }
    } else {
      lost += 1
      if (lost <= 10) violations.push(`lost: ${record.kind} record ${id} neither delivered nor dead-lettered`)
    }
  }

  // Per queue and row: first deliveries in sequence-number order, and the last delivery is the newest.
  let orderViolations = 0
  const orderViolation = (message: string) => {
    orderViolations += 1
    if (orderViolations <= 10) violations.push(message)
  }
  const queues = new Map<string, Array<Traced>>()
  for (const t of traced) {
    const queue = queues.get(queueOf(t.delivery))
    if (queue === undefined) queues.set(queueOf(t.delivery), [t])
    else queue.push(t)
  }
  let tapDuplicates = 0
  for (const [queue, arrivals] of queues) {
    const duplicates = checkOrder(arrivals, deadByRecord, (message) =>
      orderViolation(queue === tap ? message : `${message} on the ${queue} queue`)
    )
    if (queue === tap) tapDuplicates = duplicates
  }

  // The same change (sequence number and key) must always arrive under the same id.
  let idMismatches = untraceable
  const idsByChange = new Map<string, Set<string>>()
  for (const d of evidence.deliveries) {
    const change = `${d.key}@${d.sequenceNumber}`
    idsByChange.set(change, (idsByChange.get(change) ?? new Set()).add(d.eventId))
  }
  for (const [change, ids] of idsByChange) {
    if (ids.size > 1) {
      idMismatches += 1
      violations.push(`the change ${change.split("@")[1]} was delivered under ${ids.size} event ids`)
    }
  }

  const leaks = findLeaks(evidence.haystacks, evidence.canaries)
  for (const leak of leaks.slice(0, 10)) violations.push(`a protected value (${leak.length} chars) appears in ${leak.where}`)

  return {
    produced: evidence.produced.length,
    delivered: deliveredCount,
    deadLettered,
    skipped,
    lost,
    givenUp,
    misrouted,
    orderViolations,
    duplicateDeliveries: tapDuplicates,
    idMismatches,
    contentMismatches,
    contentCompared,
    leaks: leaks.length,
    violations
  }
}
