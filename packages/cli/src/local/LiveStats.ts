/**
 * What the local pipeline has seen, kept in memory for the Wallboard and the headless summary.
 * Every figure is recorded where it is observed: produced by the simulator, delivered and retried
 * by the event source poller, published events as they arrive on the consumer queues, dead
 * letters as they arrive on the DLQ. Nothing is inferred from internal counters of the processor.
 *
 * Only redacted data enters here (published events are redacted by the processor; DLQ messages
 * carry no values), so a snapshot can be served to the browser as is.
 *
 * @example
 * ```ts
 * const stats = makeLiveStats()
 * stats.eventArrived({ table: "users", eventType: "user.created", eventId: "evt_1_a", detail: {} }, now)
 * stats.snapshot(now).totals.published // 1
 * ```
 */

/** A published event as a consumer queue received it (the EventBridge envelope's `detail`). */
export interface ArrivedEvent {
  readonly table: string
  readonly eventType: string
  readonly eventId: string
  readonly detail: unknown
}

export interface StatsSnapshot {
  readonly at: number
  readonly totals: {
    readonly produced: number
    /** Events received on the queue(s) shown in the latest events (the Wallboards queue). */
    readonly consumed: number
    readonly producedMalformed: number
    readonly producedControl: number
    readonly delivered: number
    readonly invocations: number
    readonly published: number
    readonly duplicatesDelivered: number
    readonly dlq: number
    readonly retries: number
    readonly retriesExhausted: number
  }
  /** `table · eventType` → events per second, one value per second of the last `windowSeconds`, oldest first. */
  readonly rates: Readonly<Record<string, ReadonlyArray<number>>>
  readonly dlqByReason: Readonly<Record<string, number>>
  readonly latest: ReadonlyArray<ArrivedEvent & { readonly queue: string; readonly arrivedAt: number }>
  readonly consumedByQueue: Readonly<Record<string, number>>
  /** Consumer lag: per queue, messages not yet consumed; per shard, how far the poller is behind the tip. */
  readonly lag: {
    readonly queues: Readonly<Record<string, number>>
    readonly millisBehindLatest: Readonly<Record<string, number>>
  }
}

export interface LiveStats {
  readonly produced: (kind: "data" | "control" | "malformed", count: number) => void
  readonly delivered: (shardId: string, records: number, millisBehindLatest: number | undefined) => void
  readonly invoked: () => void
  /** The processor asked for `records` records to be delivered again (batch item failures). */
  readonly retried: (records: number) => void
  readonly retriesExhausted: (records: number) => void
  /**
   * An event arrived on the queue that receives every published event (the local tap): counted
   * once per event id, charted per table and event type. Returns false for an at-least-once
   * duplicate.
   */
  readonly eventArrived: (event: ArrivedEvent, nowMillis: number) => boolean
  /** An event arrived on a consumer's queue; `showLatest` puts it in the latest events (the Wallboards queue). */
  readonly eventConsumed: (queue: string, event: ArrivedEvent, nowMillis: number, showLatest: boolean) => void
  readonly dlqArrived: (reason: string) => void
  readonly queueDepth: (queue: string, messages: number) => void
  readonly snapshot: (nowMillis: number) => StatsSnapshot
}

export const windowSeconds = 60
const latestSize = 25

export const makeLiveStats = (): LiveStats => {
  const totals = {
    produced: 0,
    consumed: 0,
    producedMalformed: 0,
    producedControl: 0,
    delivered: 0,
    invocations: 0,
    published: 0,
    duplicatesDelivered: 0,
    dlq: 0,
    retries: 0,
    retriesExhausted: 0
  }
  const seen = new Set<string>()
  // series key → (second → count); seconds older than the window are dropped on snapshot
  const buckets = new Map<string, Map<number, number>>()
  const dlqByReason: Record<string, number> = {}
  const latest: Array<ArrivedEvent & { queue: string; arrivedAt: number }> = []
  const consumedByQueue: Record<string, number> = {}
  const queues: Record<string, number> = {}
  const millisBehindLatest: Record<string, number> = {}

  return {
    produced: (kind, count) => {
      totals.produced += count
      if (kind === "malformed") totals.producedMalformed += count
      if (kind === "control") totals.producedControl += count
    },
    delivered: (shardId, records, behind) => {
      totals.delivered += records
      if (behind !== undefined) millisBehindLatest[shardId] = behind
    },
    invoked: () => {
      totals.invocations += 1
    },
    retried: (records) => {
      totals.retries += records
    },
    retriesExhausted: (records) => {
      totals.retriesExhausted += records
    },
    eventArrived: (event, now) => {
      if (seen.has(event.eventId)) {
        totals.duplicatesDelivered += 1
        return false
      }
      seen.add(event.eventId)
      totals.published += 1
      const key = `${event.table} · ${event.eventType}`
      const series = buckets.get(key) ?? new Map<number, number>()
      buckets.set(key, series)
      const second = Math.floor(now / 1000)
      series.set(second, (series.get(second) ?? 0) + 1)
      return true
    },
    eventConsumed: (queue, event, now, showLatest) => {
      consumedByQueue[queue] = (consumedByQueue[queue] ?? 0) + 1
      if (!showLatest) return
      totals.consumed += 1
      latest.unshift({ ...event, queue, arrivedAt: now })
      if (latest.length > latestSize) latest.length = latestSize
    },
    dlqArrived: (reason) => {
      totals.dlq += 1
      dlqByReason[reason] = (dlqByReason[reason] ?? 0) + 1
    },
    queueDepth: (queue, messages) => {
      queues[queue] = messages
    },
    snapshot: (now) => {
      const current = Math.floor(now / 1000)
      const rates: Record<string, ReadonlyArray<number>> = {}
      for (const [key, series] of buckets) {
        for (const second of series.keys()) if (second <= current - windowSeconds) series.delete(second)
        rates[key] = Array.from({ length: windowSeconds }, (_, i) => series.get(current - windowSeconds + 1 + i) ?? 0)
      }
      return {
        at: now,
        totals: { ...totals },
        rates,
        dlqByReason: { ...dlqByReason },
        latest: latest.slice(),
        consumedByQueue: { ...consumedByQueue },
        lag: { queues: { ...queues }, millisBehindLatest: { ...millisBehindLatest } }
      }
    }
  }
}
