/**
 * The event bus as a service: one `PutEvents` call with at most 10 entries, answering per entry.
 * The live implementation (EventBridge) is in `@cdc/aws/EventBridgeEventBus`; here are the
 * in-memory one for unit tests and {@link withFaults}, which injects throttling, call failures
 * and per-entry failures around ANY implementation (integration tests wrap the real client).
 *
 * @example
 * ```ts
 * const bus = yield* EventBus
 * const failures = yield* bus.putEvents(entries) // undefined = accepted, else { code, retryable }
 * ```
 */
import * as Context from "effect/Context"
import * as Effect from "effect/Effect"
import * as Layer from "effect/Layer"
import * as Ref from "effect/Ref"
import type { SizedEntry } from "./Chunker"
import type { DependencyError, ItemFailure } from "./PartialBatch"

/** A PutEvents entry as the record path builds it. */
export interface EventEntry extends SizedEntry {
  readonly Source: string
  readonly DetailType: string
  readonly Detail: string
  readonly Time: string
  readonly EventBusName: string
}

export interface EventBusService {
  /** One PutEvents call; the answer has one element per entry, in order. */
  readonly putEvents: (entries: ReadonlyArray<EventEntry>) => Effect.Effect<ReadonlyArray<ItemFailure | undefined>, DependencyError>
}

export class EventBus extends Context.Service<EventBus, EventBusService>()("@cdc/pipeline/EventBus") {}

/** What a fault plan decides for one call: fail it whole, or fail some entries (by position). */
export type Fault =
  | { readonly _tag: "FailCall"; readonly error: DependencyError }
  | { readonly _tag: "FailEntries"; readonly failures: ReadonlyMap<number, ItemFailure> }

/**
 * A fault plan: given the entries of call number `call` (0-based), the fault to inject, if any.
 * Failed entries are NOT passed on, exactly as a real partial failure leaves them unpublished.
 */
export type FaultPlan = (entries: ReadonlyArray<EventEntry>, call: number) => Fault | undefined

/**
 * Wraps `inner` so that the plan's faults happen before it sees the call.
 *
 * @example
 * ```ts
 * const layer = Layer.effect(EventBus, Effect.map(EventBus, (live) => withFaults(live, throttleEveryOtherCall)))
 * ```
 */
export const withFaults = (inner: EventBusService, plan: FaultPlan): Effect.Effect<EventBusService> =>
  Effect.map(Ref.make(0), (counter) => ({
    putEvents: (entries) =>
      Effect.flatMap(
        Ref.getAndUpdate(counter, (n) => n + 1),
        (call): Effect.Effect<ReadonlyArray<ItemFailure | undefined>, DependencyError> => {
          const fault = plan(entries, call)
          if (fault === undefined) return inner.putEvents(entries)
          if (fault._tag === "FailCall") return Effect.fail(fault.error)
          const passed = entries.filter((_, index) => !fault.failures.has(index))
          return Effect.map(passed.length === 0 ? Effect.succeed([]) : inner.putEvents(passed), (answers) => {
            let next = 0
            return entries.map((_, index) => fault.failures.get(index) ?? answers[next++])
          })
        }
      )
  }))

/** The in-memory bus: accepts everything and keeps what it accepted, in order. */
export interface InMemoryEventBus {
  readonly service: EventBusService
  readonly published: Effect.Effect<ReadonlyArray<EventEntry>>
  readonly calls: Effect.Effect<number>
}

/**
 * @example
 * ```ts
 * const memory = yield* makeInMemoryEventBus
 * yield* program.pipe(Effect.provideService(EventBus, memory.service))
 * ```
 */
export const makeInMemoryEventBus: Effect.Effect<InMemoryEventBus> = Effect.gen(function* () {
  const published = yield* Ref.make<ReadonlyArray<EventEntry>>([])
  const calls = yield* Ref.make(0)
  return {
    service: {
      putEvents: (entries) =>
        Ref.update(calls, (n) => n + 1).pipe(
          Effect.andThen(Ref.update(published, (all) => [...all, ...entries])),
          Effect.as(entries.map(() => undefined))
        )
    },
    published: Ref.get(published),
    calls: Ref.get(calls)
  }
})

/** An in-memory bus as a Layer, optionally with faults. */
export const inMemoryLayer = (bus: InMemoryEventBus, plan?: FaultPlan): Layer.Layer<EventBus> =>
  Layer.effect(EventBus, plan === undefined ? Effect.succeed(bus.service) : withFaults(bus.service, plan))
