/**
 * The world the DLQ side lives in, for model-based tests: SQS's at-least-once delivery of the DLQ
 * ({@link makeQueue}), and runs of the worker or the redrive over the in-memory stores of
 * {@link memoryWorld} whose dependency calls fail as a plan says ({@link RunFaults}):
 *
 * - S3 writes (put, mark) and reads (get), SNS publishes, Kinesis reads and puts, call by call
 *   (retries included): throttled (retryable) or refused for good;
 * - the run killed at its k-th dependency call (listing included), before that call took effect
 *   or after it did but before its answer came back; nothing the run calls after that goes out.
 *
 * Runs go on the TestClock, so backoffs cost no time.
 *
 * @example
 * ```ts
 * const outcome = yield* runWithFaults(handleDlqBatch(batch), world, { ...calm, kill: { atCall: 3, landed: true } })
 * outcome._tag // "Killed"
 * ```
 */
import type { Classified } from "@cdc/domain/Classified"
import * as Effect from "effect/Effect"
import * as Fiber from "effect/Fiber"
import * as Layer from "effect/Layer"
import { TestClock } from "effect/testing"
import { Alerts } from "../../src/dlq/Alerts"
import { Archive } from "../../src/dlq/Archive"
import type { DlqDelivery } from "../../src/dlq/DlqInput"
import { MemoryStream } from "../../src/dlq/MemoryStream"
import { RecordFetcher } from "../../src/dlq/RecordFetcher"
import { RecordInjector } from "../../src/dlq/RecordInjector"
import { AwsLikeFault, AwsLikeRefusal } from "./faults"
import type { memoryWorld } from "./fixtures"

export type MemoryWorld = ReturnType<typeof memoryWorld>

/** What one dependency call does: goes through, is throttled (retryable), or is refused for good. */
export type CallFault = "ok" | "throttled" | "refused"

export interface RunFaults {
  /** By S3 put or mark call of the run (0-based, retries included); calls past the end go through. */
  readonly s3Writes: ReadonlyArray<CallFault>
  /** By S3 get call of the run. */
  readonly s3Reads: ReadonlyArray<CallFault>
  /** By SNS publish call of the run. */
  readonly sns: ReadonlyArray<CallFault>
  /** By Kinesis read (range or record) of the run. */
  readonly kinesisReads: ReadonlyArray<CallFault>
  /** By Kinesis put of the run. */
  readonly kinesisPuts: ReadonlyArray<CallFault>
  /** Kill the run at its `atCall`-th dependency call (1-based), before or after that call `landed`. */
  readonly kill: { readonly atCall: number; readonly landed: boolean } | null
}

/** A run without faults. */
export const calm: RunFaults = { s3Writes: [], s3Reads: [], sns: [], kinesisReads: [], kinesisPuts: [], kill: null }

type Dependency = "s3Writes" | "s3Reads" | "sns" | "kinesisReads" | "kinesisPuts"

/** The error a call fails with, if any. */
const faultOf = (dependency: Dependency, fault: CallFault): Classified | undefined => {
  switch (fault) {
    case "ok":
      return undefined
    case "throttled":
      return new AwsLikeFault({ code: `${dependency}-throttled` })
    case "refused":
      return new AwsLikeRefusal({ code: `${dependency}-refused` })
  }
}

/** The run's dependency calls, faulted by plan, and its kill switch. */
const makeSwitchboard = (faults: RunFaults) => {
  const made: Record<Dependency, number> = { s3Writes: 0, s3Reads: 0, sns: 0, kinesisReads: 0, kinesisPuts: 0 }
  let calls = 0
  const board = {
    killed: false,
    /** One dependency call; `faulted` is undefined for calls that never fail (listing). */
    call: <A, E>(faulted: Dependency | undefined, effect: Effect.Effect<A, E>): Effect.Effect<A, E | Classified> =>
      Effect.suspend(() => {
        // a killed process sends nothing more
        if (board.killed) return Effect.never
        const error = faulted === undefined ? undefined : faultOf(faulted, faults[faulted][made[faulted]++] ?? "ok")
        const attempt: Effect.Effect<A, E | Classified> = error === undefined ? effect : Effect.fail(error)
        if (++calls !== faults.kill?.atCall) return attempt
        const dies = Effect.sync(() => {
          board.killed = true
        }).pipe(Effect.andThen(Effect.never))
        return faults.kill.landed ? Effect.andThen(Effect.exit(attempt), dies) : dies
      })
  }
  return board
}

type Switchboard = ReturnType<typeof makeSwitchboard>

/** The memory stores' services, each call going through the switchboard. */
const switchedLayer = (world: MemoryWorld, board: Switchboard) =>
  Layer.mergeAll(
    Layer.effect(
      Archive,
      Effect.map(Effect.service(Archive), (archive) =>
        Archive.of({
          location: archive.location,
          put: (failure) => board.call("s3Writes", archive.put(failure)),
          get: (key) => board.call("s3Reads", archive.get(key)),
          markRedriven: (key, at) => board.call("s3Writes", archive.markRedriven(key, at)),
          listKeys: (prefix) => board.call(undefined, archive.listKeys(prefix)),
          describe: (key) => board.call(undefined, archive.describe(key))
        })
      )
    ).pipe(Layer.provide(Archive.layerMemory(world.archive))),
    Layer.effect(
      Alerts,
      Effect.map(Effect.service(Alerts), (alerts) => Alerts.of({ publish: (alert) => board.call("sns", alerts.publish(alert)) }))
    ).pipe(Layer.provide(Alerts.layerMemory(world.alerts))),
    Layer.effect(
      RecordFetcher,
      Effect.map(Effect.service(RecordFetcher), (fetcher) =>
        RecordFetcher.of({
          fetchRange: (range) => board.call("kinesisReads", fetcher.fetchRange(range)),
          fetchOne: (coordinates) => board.call("kinesisReads", fetcher.fetchOne(coordinates))
        })
      )
    ).pipe(Layer.provide(MemoryStream.layer(world.stream))),
    Layer.effect(
      RecordInjector,
      Effect.map(Effect.service(RecordInjector), (injector) =>
        RecordInjector.of({ ...injector, put: (record) => board.call("kinesisPuts", injector.put(record)) })
      )
    ).pipe(Layer.provide(MemoryStream.layer(world.stream)))
  )

export type RunOutcome<A> = { readonly _tag: "Returned"; readonly value: A } | { readonly _tag: "Killed" }

/** A run that has not returned after this much test time is reported as hung. */
const runLimitSeconds = 600

/**
 * Runs `program` (the worker on one SQS batch, or a redrive) with this run's faults, on the
 * TestClock; a killed run is interrupted and leaves only what its calls did before the kill.
 */
export const runWithFaults = <A, E, R>(program: Effect.Effect<A, E, R>, world: MemoryWorld, faults: RunFaults) =>
  Effect.gen(function* () {
    const board = makeSwitchboard(faults)
    const fiber = yield* Effect.forkChild(program.pipe(Effect.provide(switchedLayer(world, board)), Effect.provide(world.layer)))
    for (let second = 0; second < runLimitSeconds && fiber.pollUnsafe() === undefined && !board.killed; second++)
      yield* TestClock.adjust("1 second")
    if (board.killed) {
      yield* Fiber.interrupt(fiber)
      return { _tag: "Killed" } as RunOutcome<A>
    }
    if (fiber.pollUnsafe() === undefined) return yield* Effect.die(new Error(`run still going after ${runLimitSeconds} s`))
    return { _tag: "Returned", value: yield* Fiber.join(fiber) } as RunOutcome<A>
  })

/**
 * One ReceiveMessage of SQS: up to `size` visible messages, starting at `from` (modulo) in the
 * queue's order (a standard queue keeps none), plus, when `again` is given, one more copy of the
 * message at that index (modulo), whatever its state: a duplicate in the batch, a redelivery of
 * a message already deleted, or just its delivery. `afterHours` pass before it.
 */
export interface Receive {
  readonly size: number
  readonly from: number
  readonly again: number | null
  readonly afterHours: number
}

type MessageState = "visible" | "in-flight" | "deleted"

/**
 * The DLQ as SQS delivers it, at least once: a message is deleted when an invocation returns
 * without naming it in `batchItemFailures`; one named there, or in the batch of an invocation
 * that was killed, becomes visible again.
 */
export const makeQueue = (messages: ReadonlyArray<DlqDelivery>) => {
  const states = new Map<string, MessageState>(messages.map((message) => [message.messageId, "visible"]))
  const isVisible = (message: DlqDelivery) => states.get(message.messageId) === "visible"
  return {
    receive: (plan: Receive): ReadonlyArray<DlqDelivery> => {
      const visible = messages.filter(isVisible)
      const start = visible.length === 0 ? 0 : plan.from % visible.length
      const batch = [...visible.slice(start), ...visible.slice(0, start)].slice(0, plan.size)
      if (plan.again !== null && messages.length > 0) batch.push(messages[plan.again % messages.length] as DlqDelivery)
      for (const message of batch) states.set(message.messageId, "in-flight")
      return batch
    },
    /** The invocation's end: `"killed"`, or the ids it reported in `batchItemFailures`. */
    settle: (batch: ReadonlyArray<DlqDelivery>, failed: ReadonlySet<string> | "killed") => {
      for (const { messageId } of batch) states.set(messageId, failed === "killed" || failed.has(messageId) ? "visible" : "deleted")
    },
    /** Messages SQS would still deliver. */
    undeleted: (): ReadonlyArray<string> => [...states].flatMap(([messageId, state]) => (state === "deleted" ? [] : [messageId]))
  }
}
