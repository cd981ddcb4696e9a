/**
 * The local consumers of the bus: SQS handlers for the queues the EventBridge rules deliver to.
 * They read the EventBridge envelope like a real consumer would (`source`, `detail-type`,
 * `detail`), and feed {@link LiveStats}:
 *
 * - the Wallboards queue (the reference design's rules for user and order events) feeds the
 *   Wallboard's latest events; the other consumer queues (analytics) are drained and counted;
 * - the local tap queue (a rule on every `cdc-pipeline` source, created only by the local runner)
 *   sees every published event once per delivery; it drives the per-table chart and the headless
 *   accounting, which needs to see everything that actually arrived.
 *
 * @example
 * ```ts
 * yield* runSqsEventSource({ sqs, queue, batchSize: 10, handler: tapConsumer(stats, "cdc-pipeline", ledger) })
 * ```
 */
import * as Clock from "effect/Clock"
import * as Effect from "effect/Effect"
import type { ArrivedEvent, LiveStats } from "./LiveStats"
import type { SqsHandler } from "./SqsEventSource"

export interface ArrivedEnvelope extends ArrivedEvent {
  /** The Kinesis sequence number of the change (`detail.metadata.sequenceNumber`), when present. */
  readonly sequenceNumber: string | undefined
}

const isRecord = (value: unknown): value is Record<string, unknown> => typeof value === "object" && value !== null && !Array.isArray(value)

/**
 * Reads an EventBridge envelope delivered to SQS. `undefined` for anything that is not a
 * `<prefix>.<table>` event (a consumer ignores what it does not understand).
 */
export const parseEnvelope = (body: string, sourcePrefix: string): ArrivedEnvelope | undefined => {
  let envelope: unknown
  try {
    envelope = JSON.parse(body)
  } catch {
    return undefined
  }
  if (!isRecord(envelope) || typeof envelope.source !== "string" || !envelope.source.startsWith(`${sourcePrefix}.`)) return undefined
  const detail = envelope.detail
  if (!isRecord(detail) || typeof detail.eventId !== "string") return undefined
  const metadata = isRecord(detail.metadata) ? detail.metadata : {}
  return {
    table: envelope.source.slice(sourcePrefix.length + 1),
    eventType: typeof envelope["detail-type"] === "string" ? envelope["detail-type"] : String(detail.eventType),
    eventId: detail.eventId,
    detail,
    sequenceNumber: typeof metadata.sequenceNumber === "string" ? metadata.sequenceNumber : undefined
  }
}

const consume =
  (sourcePrefix: string, each: (event: ArrivedEnvelope, now: number) => void): SqsHandler =>
  (event) =>
    Effect.gen(function* () {
      const now = yield* Clock.currentTimeMillis
      for (const record of event.Records) {
        const parsed = parseEnvelope(record.body, sourcePrefix)
        if (parsed) each(parsed, now)
      }
      return { batchItemFailures: [] }
    })

/**
 * A consumer queue (Wallboards, analytics): drained and counted; with `showLatest` (the
 * Wallboards queue) its events become the Wallboard's latest events.
 */
export const queueConsumer = (queueName: string, stats: LiveStats, sourcePrefix: string, showLatest: boolean): SqsHandler =>
  consume(sourcePrefix, (event, now) => stats.eventConsumed(queueName, stripSequence(event), now, showLatest))

/** The tap queue: every published event, counted once per id; `onArrived` sees each first arrival. */
export const tapConsumer = (stats: LiveStats, sourcePrefix: string, onArrived: (event: ArrivedEnvelope) => void): SqsHandler =>
  consume(sourcePrefix, (event, now) => {
    if (stats.eventArrived(stripSequence(event), now)) onArrived(event)
  })

const stripSequence = ({ sequenceNumber: _, ...event }: ArrivedEnvelope): ArrivedEvent => event
