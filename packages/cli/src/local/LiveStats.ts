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
 * const stats = makeLiveStats({ runStartedAt: now })
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

/** A message that arrived on the DLQ, as the ledger reads it. */
export interface DlqMessage {
  readonly reason: string
  /** The records it gives up: 1 for the processor's dead letter, the batch for an on-failure record, 0 for a notice. */
  readonly records: number
  /** A schema-drift notice: its record was published all the same. */
  readonly notice: boolean
}

/** One shard's iterator age, as the poller last read it. */
export interface ShardLag {
  /** How far behind the tip the iterator was when `GetRecords` last returned (`MillisBehindLatest`). */
  readonly millisBehindLatest: number
  /** When that was: the figure says nothing about later (the poller does not read while it invokes). */
  readonly readAt: number
  /** Set while the processor is invoked with a batch of the shard, since when. */
  readonly invokingSince?: number
}

export interface StatsSnapshot {
  readonly at: number
  /** When this run started (a restart on the same port starts the counters again from zero). */
  readonly runStartedAt?: number
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
    /** Every message that arrived on the DLQ (the summary's `dlq.total`), notices included. */
    readonly dlq: number
    /** Records given up on the DLQ (not published): what `published + deadLettered ≤ produced` holds for. */
    readonly deadLettered: number
    /** Schema-drift notices on the DLQ: their records were published. */
    readonly driftNotices: number
    readonly retries: number
    readonly retriesExhausted: number
  }
  /**
   * `table · eventType` → events per second, one value per whole second of the last
   * `windowSeconds` (the second under way is left out until it ends), oldest first.
   */
  readonly rates: Readonly<Record<string, ReadonlyArray<number>>>
  readonly dlqByReason: Readonly<Record<string, number>>
  readonly latest: ReadonlyArray<ArrivedEvent & { readonly queue: string; readonly arrivedAt: number }>
  readonly consumedByQueue: Readonly<Record<string, number>>
  /** Consumer lag: per consumer queue, messages not yet consumed; per shard, how far the poller is behind the tip. */
  readonly lag: {
    readonly queues: Readonly<Record<string, number>>
    readonly shards: Readonly<Record<string, ShardLag>>
  }
  /** Messages on the DLQ (visible or in flight): not consumer lag, the DLQ worker's backlog. */
  readonly dlqDepth: number
}

export interface LiveStats {
  readonly produced: (kind: "data" | "control" | "malformed", count: number) => void
  /** A `GetRecords` of the shard returned, at `nowMillis`, `millisBehindLatest` behind the tip. */
  readonly iteratorRead: (shardId: string, millisBehindLatest: number | undefined, nowMillis: number) => void
  /** The processor is invoked with `records` records of the shard, from `nowMillis` on. */
  readonly invocationStarted: (shardId: string, records: number, nowMillis: number) => void
  readonly invocationEnded: (shardId: string) => void
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
  readonly dlqArrived: (message: DlqMessage) => void
  /** Messages waiting on a consumer queue. */
  readonly queueDepth: (queue: string, messages: number) => void
  /** Messages waiting on the DLQ. */
  readonly dlqDepth: (messages: number) => void
  readonly snapshot: (nowMillis: number) => StatsSnapshot
}

export interface LiveStatsOptions {
  readonly runStartedAt?: number
  /** How many of the newest event ids are remembered to tell a duplicate delivery; default {@link seenIdsLimit}. */
  readonly seenLimit?: number
}

export const windowSeconds = 60
const latestSize = 25
/**
 * A duplicate delivery comes within seconds of the first (a batch retried, a message redelivered
 * after its visibility timeout): 100,000 ids are over an hour at the default rate, and keep a long
 * interactive run from holding every id it ever saw.
 */
export const seenIdsLimit = 100_000

/** The newest `limit` ids, the oldest forgotten first. */
const recentIds = (limit: number) => {
  const ids = new Set<string>()
  const ring: Array<string> = []
  let oldest = 0
  return {
    has: (id: string) => ids.has(id),
    add: (id: string) => {
      if (ring.length < limit) ring.push(id)
      else {
        ids.delete(ring[oldest]!)
        ring[oldest] = id
        oldest = (oldest + 1) % limit
      }
      ids.add(id)
    }
  }
}

export const makeLiveStats = (options: LiveStatsOptions = {}): LiveStats => {
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
    deadLettered: 0,
    driftNotices: 0,
    retries: 0,
    retriesExhausted: 0
  }
  const seen = recentIds(options.seenLimit ?? seenIdsLimit)
  // series key → (second → count); seconds older than the window are dropped on snapshot
  const buckets = new Map<string, Map<number, number>>()
  const dlqByReason: Record<string, number> = {}
  const latest: Array<ArrivedEvent & { queue: string; arrivedAt: number }> = []
  const consumedByQueue: Record<string, number> = {}
  const queues: Record<string, number> = {}
  const shards: Record<string, { millisBehindLatest: number; readAt: number }> = {}
  const invokingSince: Record<string, number> = {}
  let dlqDepth = 0

  return {
    produced: (kind, count) => {
      totals.produced += count
      if (kind === "malformed") totals.producedMalformed += count
      if (kind === "control") totals.producedControl += count
    },
    iteratorRead: (shardId, behind, now) => {
      if (behind !== undefined) shards[shardId] = { millisBehindLatest: behind, readAt: now }
    },
    invocationStarted: (shardId, records, now) => {
      totals.delivered += records
      totals.invocations += 1
      invokingSince[shardId] = now
    },
    invocationEnded: (shardId) => {
      delete invokingSince[shardId]
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
    dlqArrived: (message) => {
      totals.dlq += 1
      totals.deadLettered += message.records
      if (message.notice) totals.driftNotices += 1
      dlqByReason[message.reason] = (dlqByReason[message.reason] ?? 0) + 1
    },
    queueDepth: (queue, messages) => {
      queues[queue] = messages
    },
    dlqDepth: (messages) => {
      dlqDepth = messages
    },
    snapshot: (now) => {
      const current = Math.floor(now / 1000)
      const rates: Record<string, ReadonlyArray<number>> = {}
      for (const [key, series] of buckets) {
        // whole seconds only: the one under way would chart as a dip that is not there
        for (const second of series.keys()) if (second < current - windowSeconds) series.delete(second)
        rates[key] = Array.from({ length: windowSeconds }, (_, i) => series.get(current - windowSeconds + i) ?? 0)
      }
      const shardLag: Record<string, ShardLag> = {}
      for (const [shardId, read] of Object.entries(shards)) {
        const since = invokingSince[shardId]
        shardLag[shardId] = since === undefined ? { ...read } : { ...read, invokingSince: since }
      }
      return {
        at: now,
        ...(options.runStartedAt === undefined ? {} : { runStartedAt: options.runStartedAt }),
        totals: { ...totals },
        rates,
        dlqByReason: { ...dlqByReason },
        latest: latest.slice(),
        consumedByQueue: { ...consumedByQueue },
        lag: { queues: { ...queues }, shards: shardLag },
        dlqDepth
      }
    }
  }
}
