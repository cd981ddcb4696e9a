import { describe, expect, it } from "vitest"
import { makeLiveStats } from "../../src/local/LiveStats"

const event = (eventId: string) => ({ table: "orders", eventType: "order.created", eventId, detail: {} })

describe("LiveStats totals", () => {
  it("adds up what the producer, the pollers and the DLQ report", () => {
    const stats = makeLiveStats()
    stats.produced("data", 5)
    stats.produced("malformed", 2)
    stats.produced("control", 1)
    stats.delivered("shardId-0", 7, 1_500)
    stats.delivered("shardId-0", 3, undefined) // a batch without the figure keeps the last one
    stats.delivered("shardId-1", 2, 0)
    stats.invoked()
    stats.invoked()
    stats.retried(4)
    stats.retried(3)
    stats.retriesExhausted(2)
    stats.dlqArrived("invalid-json")
    stats.dlqArrived("invalid-json")
    stats.dlqArrived("unknown-table")
    stats.queueDepth("wallboards", 9)
    stats.queueDepth("wallboards", 4)
    const snapshot = stats.snapshot(0)
    expect(snapshot.totals).toMatchObject({
      produced: 8,
      producedMalformed: 2,
      producedControl: 1,
      delivered: 12,
      invocations: 2,
      retries: 7,
      retriesExhausted: 2,
      dlq: 3
    })
    expect(snapshot.dlqByReason).toEqual({ "invalid-json": 2, "unknown-table": 1 })
    expect(snapshot.lag).toEqual({ queues: { wallboards: 4 }, millisBehindLatest: { "shardId-0": 1_500, "shardId-1": 0 } })
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
