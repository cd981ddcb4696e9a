import type { KinesisStreamEvent } from "aws-lambda"
import * as Effect from "effect/Effect"
import * as Layer from "effect/Layer"
import { describe, expect, it, vi } from "vitest"

/** The real handler's invocations, each waiting until the test lets it finish. */
const pending = vi.hoisted(() => [] as Array<() => void>)
vi.mock("@cdc/functions/processor", () => ({
  liveLayer: Layer.empty,
  handler: () => new Promise((resolve) => pending.push(() => resolve({ batchItemFailures: [] })))
}))
/** The batch program a killed invocation runs: completes after `batchMillis`. */
const batch = vi.hoisted(() => ({ millis: 0 }))
vi.mock("@cdc/pipeline/BatchProcessor", async (original) => ({
  ...(await original<typeof import("@cdc/pipeline/BatchProcessor")>()),
  processBatch: () => Effect.as(Effect.sleep(batch.millis), { batchItemFailures: [] })
}))

const { makeKillableProcessor } = await import("./Killer")

const eventOf = (shardId: string): KinesisStreamEvent =>
  ({ Records: [{ eventID: `${shardId}:49590338271490256608559692538361571095921575989136588898`, eventSourceARN: "arn" }] }) as never
const finishAll = () => {
  for (const finish of pending.splice(0)) finish()
}

describe("the killable processor", () => {
  it("counts an invocation that starts while another of its shard runs, not one of another shard or a later one", async () => {
    const processor = makeKillableProcessor({ every: 1_000, maxDelayMillis: 0, roll: () => 0 })
    const running = [processor.handler(eventOf("shardId-000")), processor.handler(eventOf("shardId-001"))]
    expect(processor.overlaps()).toBe(0)
    running.push(processor.handler(eventOf("shardId-000")))
    expect(processor.overlaps()).toBe(1)
    finishAll()
    await Promise.all(running)
    const later = processor.handler(eventOf("shardId-000"))
    finishAll()
    await later
    expect(processor.overlaps()).toBe(1)
    expect(processor.inFlight()).toBe(0)
    await processor.dispose()
  })

  it("kills the (every - 1)-th invocation, counts a kill only when the batch was cut short, and kills the next one, sooner, after a miss", async () => {
    const processor = makeKillableProcessor({ every: 3, maxDelayMillis: 20, millisPerRecord: 1_000, roll: () => 0.5 })
    const outcome = (event: KinesisStreamEvent) => {
      const answer = processor.handler(event).then(
        () => "done",
        (error: Error) => error.message
      )
      finishAll()
      return answer
    }
    batch.millis = 1_000
    expect([await outcome(eventOf("s")), await outcome(eventOf("s")), await outcome(eventOf("s"))]).toEqual([
      "done",
      "processor killed after 10 ms (chaos)",
      "done"
    ])
    expect(processor.kills()).toBe(1)
    // the fifth invocation is picked for a kill, but its batch completes before the delay
    batch.millis = 0
    expect([await outcome(eventOf("s")), await outcome(eventOf("s"))]).toEqual(["done", "done"])
    expect(processor.kills()).toBe(1)
    // so the sixth is killed in its place, with half the delay; the seventh is not picked
    batch.millis = 1_000
    expect([await outcome(eventOf("s")), await outcome(eventOf("s"))]).toEqual(["processor killed after 5 ms (chaos)", "done"])
    expect(processor.kills()).toBe(2)
    await processor.dispose()
  })

  it("bounds the delay by the batch's size, so that a small batch is cut while it runs", async () => {
    const processor = makeKillableProcessor({ every: 1, maxDelayMillis: 3_000, roll: () => 0.5 })
    batch.millis = 1_000
    // one record: at most 10 ms, not 3 s (by which the batch would have ended)
    await expect(processor.handler(eventOf("s"))).rejects.toThrow("processor killed after 5 ms (chaos)")
    await processor.dispose()
  })
})
