import { eventIdOf, kinesisIdentity } from "@cdc/domain/EventId"
import { describe, expect, it } from "vitest"
import type { SimulatedRecord } from "../../src/local/ChangeSimulator"
import { makeLedger } from "../../src/local/Ledger"
import { makeLiveStats } from "../../src/local/LiveStats"
import type { Running } from "../../src/local/Running"
import { summarize } from "../../src/local/RunSummary"

/** A run whose `count` changes were all published. */
const runOf = (count: number): Running => {
  const ledger = makeLedger()
  const placed = Array.from({ length: count }, (_, i) => ({ shardId: "shardId-000000000000", sequenceNumber: String(100 + i) }))
  const record: SimulatedRecord = { partitionKey: "users-1", data: "{}", table: "users", kind: "data", expect: "publish" }
  ledger.produced(
    placed.map(() => record),
    placed
  )
  for (const p of placed) ledger.published(eventIdOf(1_700_000_000_000, kinesisIdentity(p.shardId, p.sequenceNumber)))
  return { ledger, stats: makeLiveStats(), positions: { snapshot: () => ({}) }, logs: { metrics: () => ({}) } } as unknown as Running
}

describe("summarize", () => {
  it("paces the changes from the first one produced, without the emulator's start-up, which the elapsed time keeps", () => {
    // 12 s of start-up and provisioning, then 200 changes in 10 s
    const summary = summarize(runOf(200), { startedAt: 1_000, producingSince: 13_000 }, 23_000)
    expect(summary).toMatchObject({ produced: 200, published: 200, unaccounted: 0, elapsedSeconds: 22, changesPerSecond: 20 })
  })

  it("reports every change as produced in an instant when no time has passed", () => {
    expect(summarize(runOf(5), { startedAt: 0, producingSince: 0 }, 0).changesPerSecond).toBe(5)
  })
})
