/**
 * The world a Lambda function lives in across invocations, for model-based tests of the batch
 * program: an event bus that remembers every entry it accepted, in order (what a consumer sees),
 * a DLQ, a checkpoint store and a circuit breaker that all outlive invocations, and faults chosen
 * per invocation:
 *
 * - PutEvents, call by call (retries included): throttled whole, or entries failed one by one,
 *   retryably (once, or on every call of the invocation that carries them) or for good; and an
 *   outage from some call on. A refusal for good depends on the entry's content, as a malformed
 *   detail would: an entry refused once is refused whenever it comes back, and an entry the bus
 *   accepted once is never refused afterwards;
 * - the first n checkpoint reads, checkpoint writes and DLQ calls of the invocation throttled;
 * - the invocation killed at its k-th dependency call (any of the above), either before that call
 *   took effect or after it did but before its answer came back (the response was lost).
 *
 * Each invocation runs on the TestClock, so backoffs and the retry pace cost no time.
 *
 * @example
 * ```ts
 * const world = yield* makeReplayWorld
 * const outcome = yield* world.invoke(records, { ...calm, kill: { atCall: 3, landed: true } })
 * outcome._tag // "Killed"
 * ```
 */
import type { KinesisStreamRecord } from "aws-lambda"
import * as Clock from "effect/Clock"
import * as Context from "effect/Context"
import * as Effect from "effect/Effect"
import * as Fiber from "effect/Fiber"
import { TestClock } from "effect/testing"
import { type BatchResult, processBatch } from "../../src/BatchProcessor"
import { CheckpointStore, makeInMemoryCheckpointStore } from "../../src/CheckpointStore"
import { defaultCircuitBreakerOptions, make as makeBreaker, PublishBreaker } from "../../src/CircuitBreaker"
import { DeadLetterQueue, makeInMemoryDeadLetterQueue } from "../../src/DeadLetterQueue"
import { EventBus, type EventBusService, type EventEntry, type FaultPlan, withFaults } from "../../src/EventBus"
import type { ItemFailure } from "../../src/PartialBatch"
import { RecordPath } from "../../src/RecordPath"
import { defaultRetryPolicies, RetryPolicies } from "../../src/RetryPolicy"
import { DynamoThrottled, SqsThrottled, Throttled } from "./BatchHarness"
import { scriptedRecordPath } from "./TestRecordPath"

/**
 * What happens to one entry of a PutEvents call: accepted, failed retryably (on this call, or on
 * every call of the invocation: `stuck`), or refused for good (unless the bus accepted it before).
 */
export type EntryFault = "ok" | "retryable" | "stuck" | "refused"

/** What happens to one PutEvents call: nothing, a whole-call throttle, or per-entry faults by position. */
export type PutEventsFault = "ok" | "throttled" | ReadonlyArray<EntryFault>

export interface InvocationFaults {
  /** By PutEvents call of the invocation (0-based, retries included); calls past the end go through. */
  readonly putEvents: ReadonlyArray<PutEventsFault>
  /** Every PutEvents call from this one (0-based) on is throttled: an outage. */
  readonly putEventsDownFrom: number | null
  readonly checkpointReadFailures: number
  readonly checkpointWriteFailures: number
  readonly dlqFailures: number
  /** Kill the invocation at its `atCall`-th dependency call (1-based), before or after that call `landed`. */
  readonly kill: { readonly atCall: number; readonly landed: boolean } | null
}

/** An invocation without faults. */
export const calm: InvocationFaults = {
  putEvents: [],
  putEventsDownFrom: null,
  checkpointReadFailures: 0,
  checkpointWriteFailures: 0,
  dlqFailures: 0,
  kill: null
}

/** An invocation's deadline, from its start, and how long each PutEvents call takes. */
export interface InvocationTiming {
  readonly budgetMillis: number
  readonly putEventsMillis: number
}

export type InvocationOutcome = { readonly _tag: "Returned"; readonly result: BatchResult } | { readonly _tag: "Killed" }

const retryableFailure: ItemFailure = { code: "ThrottlingException", retryable: true, category: "throttling" }
const refusal: ItemFailure = { code: "MalformedDetail", retryable: false, category: "permanent" }

/** An invocation that has not returned after this much test time is reported as hung. */
const invocationLimitSeconds = 3_600

export const makeReplayWorld = Effect.gen(function* () {
  /** Every entry the bus accepted, in order: the consumer's view. */
  const deliveries: Array<EventEntry> = []
  /** Entry contents (Detail) the bus accepted, resp. refused for good, at least once. */
  const accepted = new Set<string>()
  const refused = new Set<string>()
  const store = yield* makeInMemoryCheckpointStore()
  const dlq = yield* makeInMemoryDeadLetterQueue
  const breaker = yield* makeBreaker("eventbridge", defaultCircuitBreakerOptions)

  const consumerBus: EventBusService = {
    putEvents: (entries) =>
      Effect.sync(() => {
        for (const entry of entries) accepted.add(entry.Detail)
        deliveries.push(...entries)
        return entries.map(() => undefined)
      })
  }

  /** The bus's answer to each call of one invocation; refusals for good stick to the entry's content. */
  const plan = (faults: InvocationFaults): FaultPlan => {
    const stuck = new Set<string>()
    return (entries, call) => {
      const fault = faults.putEvents[call] ?? "ok"
      const down = faults.putEventsDownFrom !== null && call >= faults.putEventsDownFrom
      if (fault === "throttled" || down) return { _tag: "FailCall", error: new Throttled() }
      const failures = new Map<number, ItemFailure>()
      entries.forEach((entry, position) => {
        const wanted = fault === "ok" ? "ok" : (fault[position] ?? "ok")
        if (wanted === "stuck") stuck.add(entry.Detail)
        if (refused.has(entry.Detail) || (wanted === "refused" && !accepted.has(entry.Detail))) {
          refused.add(entry.Detail)
          failures.set(position, refusal)
        } else if (wanted === "retryable" || stuck.has(entry.Detail)) failures.set(position, retryableFailure)
      })
      return failures.size === 0 ? undefined : { _tag: "FailEntries", failures }
    }
  }

  /**
   * Runs processBatch once, as Lambda would, with this invocation's faults; with `timing`, under
   * a deadline (`endsAt`, from the test clock) and with PutEvents calls that take time, failing
   * the run if the invocation returns after its deadline (Lambda would have killed it).
   */
  const invoke = (records: ReadonlyArray<KinesisStreamRecord>, faults: InvocationFaults, timing?: InvocationTiming) =>
    Effect.gen(function* () {
      let calls = 0
      let killed = false
      let readFailures = faults.checkpointReadFailures
      let writeFailures = faults.checkpointWriteFailures
      let dlqFailures = faults.dlqFailures
      /** Every dependency call goes through here: the kill switch. */
      const gate = <A, E>(call: Effect.Effect<A, E>): Effect.Effect<A, E> =>
        Effect.suspend(() => {
          if (++calls !== faults.kill?.atCall) return call
          const dies = Effect.sync(() => {
            killed = true
          }).pipe(Effect.andThen(Effect.never))
          return faults.kill.landed ? Effect.andThen(call, dies) : dies
        })
      const failFirst = <A, E>(remaining: () => boolean, error: () => E, call: Effect.Effect<A, E>) =>
        gate(Effect.suspend(() => (remaining() ? Effect.fail(error()) : call)))

      const bus = yield* withFaults(consumerBus, plan(faults))
      const context = Context.make(RecordPath, scriptedRecordPath).pipe(
        Context.add(EventBus, {
          putEvents: (entries) => gate(Effect.andThen(Effect.sleep(timing?.putEventsMillis ?? 0), bus.putEvents(entries)))
        }),
        Context.add(CheckpointStore, {
          read: (shards) =>
            failFirst(
              () => readFailures-- > 0,
              () => new DynamoThrottled(),
              store.service.read(shards)
            ),
          advance: (shard, sequenceNumber) =>
            failFirst(
              () => writeFailures-- > 0,
              () => new DynamoThrottled(),
              store.service.advance(shard, sequenceNumber)
            )
        }),
        Context.add(DeadLetterQueue, {
          sendBatch: (messages) =>
            failFirst(
              () => dlqFailures-- > 0,
              () => new SqsThrottled(),
              dlq.service.sendBatch(messages)
            )
        }),
        Context.add(RetryPolicies, defaultRetryPolicies),
        Context.add(PublishBreaker, breaker)
      )

      const startedAt = yield* Clock.currentTimeMillis
      const endsAt = timing === undefined ? undefined : startedAt + timing.budgetMillis
      const fiber = yield* Effect.forkChild(
        processBatch(records, endsAt === undefined ? {} : { endsAt }).pipe(Effect.provideContext(context))
      )
      // with a deadline, a finer step: the return time is then known to 100 ms
      const step = timing === undefined ? 1_000 : 100
      for (let elapsed = 0; elapsed < invocationLimitSeconds * 1_000 && fiber.pollUnsafe() === undefined && !killed; elapsed += step)
        yield* TestClock.adjust(step)
      if (killed) {
        yield* Fiber.interrupt(fiber)
        return { _tag: "Killed" } as InvocationOutcome
      }
      if (fiber.pollUnsafe() === undefined)
        return yield* Effect.die(new Error(`processBatch still running after ${invocationLimitSeconds} s`))
      const result = yield* Fiber.join(fiber)
      const took = (yield* Clock.currentTimeMillis) - startedAt
      if (timing !== undefined && took > timing.budgetMillis)
        return yield* Effect.die(new Error(`processBatch returned after ${took} ms, past its ${timing.budgetMillis} ms deadline`))
      return { _tag: "Returned", result } as InvocationOutcome
    })

  return {
    invoke,
    /** Every entry the bus accepted, in order. */
    deliveries: deliveries as ReadonlyArray<EventEntry>,
    /** Entry contents (Detail) the bus refused for good. */
    refused: refused as ReadonlySet<string>,
    deadLetters: dlq.messages
  }
})
