/**
 * The local SQS event source mapping's examples: the smallest runs, found by its model-based test
 * (./SqsEventSource.property.test.ts), where it broke Lambda's promises.
 */
import * as Clock from "effect/Clock"
import * as Effect from "effect/Effect"
import * as Fiber from "effect/Fiber"
import { TestClock } from "effect/testing"
import { describe, expect, it } from "vitest"
import { pollSqsOnce } from "../../src/local/SqsEventSource"
import { settle } from "./support/EsmDriver"
import { makeSqsWorld, type QueueScript } from "./support/SqsWorld"

const queue = { url: "http://sqs.local/000000000000/cdc-dlq", arn: "arn:aws:sqs:us-east-1:000000000000:cdc-dlq", region: "us-east-1" }

const script = (overrides: Partial<QueueScript>): QueueScript => ({
  arrivals: [0],
  visibilitySeconds: 30,
  maxReceiveCount: 3,
  receives: [],
  deletes: [],
  behaviours: [],
  ...overrides
})

/** One poll of the world's queue on the TestClock, given `seconds` of test time to finish. */
const pollOnce = (world: ReturnType<typeof makeSqsWorld>, batchSize: number, seconds: number) =>
  Effect.gen(function* () {
    const fiber = yield* Effect.forkChild(pollSqsOnce({ sqs: world.sqs, queue, batchSize, handler: world.handler }))
    yield* TestClock.adjust(`${seconds} seconds`)
    return yield* Fiber.join(fiber)
  }).pipe(Effect.provide(TestClock.layer()), Effect.runPromise)

describe("pollSqsOnce", () => {
  it("deletes nothing when the handler names an identifier that is no message of the batch, as Lambda fails the whole batch", async () => {
    const world = makeSqsWorld(script({ arrivals: [0, 0], behaviours: [{ answer: { _tag: "FailOdd", identifier: "empty" }, seconds: 0 }] }))
    await pollOnce(world, 2, 0)
    expect(world.log.filter((entry) => entry._tag === "Deleted")).toEqual([])
  })

  it("waits out a ReceiveMessage throttled for longer than the AWS call's own retries, instead of failing", async () => {
    const world = makeSqsWorld(script({ receives: Array.from({ length: 7 }, () => "throttled" as const) }))
    expect(await pollOnce(world, 1, 60)).toBe(1)
    expect(world.drained()).toBe(true)
  })

  it("keeps going on a 5xx after a long run of throttling: the throttling spent none of its retries", async () => {
    // The event source stopped here: six throttled receives had used up the AWS call's retries.
    const world = makeSqsWorld(script({ receives: [...Array.from({ length: 6 }, () => "throttled" as const), "unavailable"] }))
    expect(await pollOnce(world, 1, 60)).toBe(1)
    expect(world.drained()).toBe(true)
  })

  it("gathers a batch over the mapping's batching window, instead of invoking with what one receive returns", async () => {
    // Lambda invokes once the window has passed or the batch is full; the poller used to invoke
    // with the one message of its first receive.
    const invoked = await Effect.gen(function* () {
      const clock = yield* Clock.Clock
      const world = makeSqsWorld(script({ arrivals: [0, 1, 2, 7] }), () => clock.currentTimeMillisUnsafe())
      const fiber = yield* Effect.forkChild(
        pollSqsOnce({ sqs: world.sqs, queue, batchSize: 10, batchingWindowMillis: 5_000, handler: world.handler })
      )
      for (let second = 1; second <= 10; second++) {
        yield* TestClock.adjust("1 second")
        world.tick(second)
        yield* settle
      }
      yield* Fiber.join(fiber)
      return world.log.flatMap((entry) => (entry._tag === "Invoked" ? [[entry.at, entry.records.map((r) => r.messageId)]] : []))
    }).pipe(Effect.provide(TestClock.layer()), Effect.runPromise)
    expect(invoked).toEqual([[5_000, ["m0", "m1", "m2"]]])
  })

  it("tries again a delete entry that SQS failed on its side, so the message does not come back to be processed twice", async () => {
    // The failed entry was dropped: m1 became visible again after the visibility timeout.
    const world = makeSqsWorld(script({ arrivals: [0, 0], deletes: ["partial"] }))
    await pollOnce(world, 2, 10)
    const deletes = world.log.flatMap((entry) => (entry._tag === "Deleted" ? [[entry.receiptHandle, entry.failed]] : []))
    expect(deletes).toEqual([
      ["m0#1", false],
      ["m1#1", true],
      ["m1#1", false]
    ])
    expect(world.drained()).toBe(true)
  })

  it("makes the messages it holds visible again when it is stopped, so that the next poller need not wait out the visibility timeout", async () => {
    // A stopped `cdc start` left its DLQ batch in flight for six minutes: the next run on the same
    // emulator waited out its whole drain timeout for them.
    const world = makeSqsWorld(
      script({
        arrivals: [0, 0],
        visibilitySeconds: 360,
        behaviours: [{ answer: { _tag: "Succeed", response: "emptyList" }, seconds: 100 }]
      })
    )
    await Effect.gen(function* () {
      const fiber = yield* Effect.forkChild(pollSqsOnce({ sqs: world.sqs, queue, batchSize: 2, handler: world.handler }))
      yield* settle
      expect(world.busy()).toBe(true)
      yield* Fiber.interrupt(fiber)
    }).pipe(Effect.provide(TestClock.layer()), Effect.runPromise)
    expect(world.log.filter((entry) => entry._tag === "Released")).toEqual([
      { _tag: "Released", receiptHandle: "m0#1", seconds: 0 },
      { _tag: "Released", receiptHandle: "m1#1", seconds: 0 }
    ])
    // a second later, well within the visibility timeout, the next poller receives them again
    world.tick(1)
    expect(await pollOnce(world, 2, 0)).toBe(2)
    expect(world.log.filter((entry) => entry._tag === "Invoked").map((entry) => entry.records.map((r) => r.receiptHandle))).toEqual([
      ["m0#1", "m1#1"],
      ["m0#2", "m1#2"]
    ])
    expect(world.drained()).toBe(true)
  })

  it("releases the messages of a receive it was stopped in the middle of: SQS handed them out before it answered", async () => {
    // Stopped while a ReceiveMessage was on its way back, the poller lost its answer: ten messages
    // stayed in flight for the DLQ's six minutes, on most stops of a busy local run.
    const world = makeSqsWorld(script({ arrivals: [0, 0], visibilitySeconds: 360, receiveSeconds: 1 }))
    await Effect.gen(function* () {
      const fiber = yield* Effect.forkChild(pollSqsOnce({ sqs: world.sqs, queue, batchSize: 2, handler: world.handler }))
      yield* settle
      expect(world.inFlight()).toBe(2)
      const stopping = yield* Effect.forkChild(Fiber.interrupt(fiber))
      yield* settle
      world.tick(1) // the answer arrives
      yield* settle
      yield* Fiber.join(stopping)
    }).pipe(Effect.provide(TestClock.layer()), Effect.runPromise)
    expect(world.log.filter((entry) => entry._tag === "Invoked")).toEqual([])
    expect(world.log.filter((entry) => entry._tag === "Released").map((entry) => entry._tag === "Released" && entry.receiptHandle)).toEqual(
      ["m0#1", "m1#1"]
    )
    expect(world.inFlight()).toBe(0)
  })
})
