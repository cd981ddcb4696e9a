import { describe, expect, it } from "vitest"
import { makeLiveStats } from "../../src/local/LiveStats"

const event = (eventId: string) => ({ table: "orders", eventType: "order.created", eventId, detail: {} })
const deadLetter = (reason: string, records = 1) => ({ reason, records, notice: false })
const driftNotice = (reason: string) => ({ reason, records: 0, notice: true })

describe("LiveStats totals", () => {
  it("adds up what the producer, the pollers and the DLQ report", () => {
    const stats = makeLiveStats()
    stats.produced("data", 5)
    stats.produced("malformed", 2)
    stats.produced("control", 1)
    stats.iteratorRead("shardId-0", 1_500, 100)
    stats.iteratorRead("shardId-0", undefined, 200) // a read without the figure keeps the last one
    stats.iteratorRead("shardId-1", 0, 300)
    stats.invocationStarted("shardId-0", 7, 100)
    stats.invocationEnded("shardId-0")
    stats.invocationStarted("shardId-0", 3, 200)
    stats.invocationEnded("shardId-0")
    stats.retried(4)
    stats.retried(3)
    stats.retriesExhausted(2)
    stats.dlqArrived(deadLetter("invalid-json"))
    stats.dlqArrived(deadLetter("invalid-json"))
    stats.dlqArrived(deadLetter("unknown-table"))
    stats.queueDepth("wallboards", 9)
    stats.queueDepth("wallboards", 4)
    const snapshot = stats.snapshot(0)
    expect(snapshot.totals).toMatchObject({
      produced: 8,
      producedMalformed: 2,
      producedControl: 1,
      delivered: 10,
      invocations: 2,
      retries: 7,
      retriesExhausted: 2,
      dlq: 3
    })
    expect(snapshot.dlqByReason).toEqual({ "invalid-json": 2, "unknown-table": 1 })
    expect(snapshot.lag).toEqual({
      queues: { wallboards: 4 },
      shards: { "shardId-0": { millisBehindLatest: 1_500, readAt: 100 }, "shardId-1": { millisBehindLatest: 0, readAt: 300 } }
    })
  })

  it("keeps the DLQ's depth apart from the consumer lag", () => {
    const stats = makeLiveStats()
    stats.queueDepth("wallboards", 3)
    stats.queueDepth("analytics", 2)
    stats.dlqDepth(40)
    const snapshot = stats.snapshot(0)
    expect(snapshot.lag.queues).toEqual({ wallboards: 3, analytics: 2 })
    expect(snapshot.dlqDepth).toBe(40)
  })

  it("counts records dead-lettered apart from schema-drift notices, whose records were published", () => {
    const stats = makeLiveStats()
    stats.eventArrived({ ...event("evt_1_a"), table: "users" }, 0)
    stats.dlqArrived(driftNotice("undeclared-columns")) // about evt_1_a's record: published all the same
    stats.dlqArrived(deadLetter("invalid-json"))
    stats.dlqArrived(deadLetter("esm-retry-attempts-exhausted", 3)) // one on-failure record for a batch of 3
    const { totals, dlqByReason } = stats.snapshot(0)
    expect(totals).toMatchObject({ published: 1, dlq: 3, deadLettered: 4, driftNotices: 1 })
    expect(dlqByReason).toEqual({ "undeclared-columns": 1, "invalid-json": 1, "esm-retry-attempts-exhausted": 1 })
  })
})

describe("LiveStats iterator age", () => {
  it("says when the age was read, and that an invocation has been running since, instead of passing it for current", () => {
    const stats = makeLiveStats()
    stats.iteratorRead("shardId-0", 2_000, 10_000)
    stats.invocationStarted("shardId-0", 500, 10_050)
    // a minute into the invocation, the last reading is a minute old, and says so
    expect(stats.snapshot(70_000).lag.shards).toEqual({ "shardId-0": { millisBehindLatest: 2_000, readAt: 10_000, invokingSince: 10_050 } })
    stats.invocationEnded("shardId-0")
    stats.iteratorRead("shardId-0", 61_000, 70_100)
    expect(stats.snapshot(70_100).lag.shards).toEqual({ "shardId-0": { millisBehindLatest: 61_000, readAt: 70_100 } })
  })
})

describe("LiveStats run", () => {
  it("names when the run started, so that counters back at zero read as a new run", () => {
    expect(makeLiveStats({ runStartedAt: 1_700_000_000_000 }).snapshot(1_700_000_005_000).runStartedAt).toBe(1_700_000_000_000)
    expect("runStartedAt" in makeLiveStats().snapshot(0)).toBe(false)
  })
})

describe("LiveStats duplicates", () => {
  it("counts a duplicate among the remembered ids, and remembers only the newest ids, so a long run does not grow", () => {
    const stats = makeLiveStats({ seenLimit: 3 })
    for (const id of ["evt_1", "evt_2", "evt_3"]) expect(stats.eventArrived(event(id), 0)).toBe(true)
    expect(stats.eventArrived(event("evt_1"), 0)).toBe(false)
    expect(stats.eventArrived(event("evt_4"), 0)).toBe(true) // evt_1 is forgotten now
    expect(stats.eventArrived(event("evt_2"), 0)).toBe(false)
    expect(stats.eventArrived(event("evt_1"), 0)).toBe(true)
    expect(stats.snapshot(0).totals).toMatchObject({ published: 5, duplicatesDelivered: 2 })
  })

  it("tells every duplicate of a run shorter than the default bound", () => {
    const stats = makeLiveStats()
    for (let i = 0; i < 50_000; i++) stats.eventArrived(event(`evt_${i}`), 0)
    for (let i = 0; i < 50_000; i += 1_000) stats.eventArrived(event(`evt_${i}`), 0)
    expect(stats.snapshot(0).totals).toMatchObject({ published: 50_000, duplicatesDelivered: 50 })
  })
})

describe("LiveStats latest events", () => {
  it("keeps the 25 newest events of the Wallboards queue, newest first", () => {
    const stats = makeLiveStats()
    for (let i = 1; i <= 30; i++) stats.eventConsumed("wallboards", event(`evt_${i}`), i, true)
    stats.eventConsumed("analytics", event("evt_analytics"), 31, false)
    const snapshot = stats.snapshot(31)
    expect(snapshot.latest.map((e) => e.eventId)).toEqual(Array.from({ length: 25 }, (_, i) => `evt_${30 - i}`))
    expect(snapshot.latest[0]).toMatchObject({ queue: "wallboards", arrivedAt: 30 })
    expect(snapshot.totals.consumed).toBe(30)
    expect(snapshot.consumedByQueue).toEqual({ wallboards: 30, analytics: 1 })
  })
})
