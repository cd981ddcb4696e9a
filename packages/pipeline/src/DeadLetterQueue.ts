/**
 * The DLQ publisher as a service: one `SendMessageBatch`-like call with at most 10
 * {@link DeadLetterMessage}s, answering per message. The live implementation (SQS) is
 * `@cdc/aws/SqsDeadLetterQueue`; the in-memory one below keeps what it received.
 * `publishDeadLetters` (./DeadLetters) chunks, sizes and retries on top of it.
 *
 * @example
 * ```ts
 * const dlq = yield* DeadLetterQueue
 * const failures = yield* dlq.sendBatch(messages) // undefined = accepted
 * ```
 */
import * as Context from "effect/Context"
import * as Effect from "effect/Effect"
import * as Layer from "effect/Layer"
import * as Ref from "effect/Ref"
import type { DeadLetterMessage } from "./DeadLetter"
import type { DependencyError, ItemFailure } from "./PartialBatch"

export interface DeadLetterQueueService {
  /** One batch call (≤ 10 messages, ≤ 256 KB); the answer has one element per message, in order. */
  readonly sendBatch: (messages: ReadonlyArray<DeadLetterMessage>) => Effect.Effect<ReadonlyArray<ItemFailure | undefined>, DependencyError>
}

export class DeadLetterQueue extends Context.Service<DeadLetterQueue, DeadLetterQueueService>()("@cdc/pipeline/DeadLetterQueue") {}

export interface InMemoryDeadLetterQueue {
  readonly service: DeadLetterQueueService
  readonly messages: Effect.Effect<ReadonlyArray<DeadLetterMessage>>
  readonly calls: Effect.Effect<number>
}

/**
 * @example
 * ```ts
 * const dlq = yield* makeInMemoryDeadLetterQueue
 * ```
 */
export const makeInMemoryDeadLetterQueue: Effect.Effect<InMemoryDeadLetterQueue> = Effect.gen(function* () {
  const messages = yield* Ref.make<ReadonlyArray<DeadLetterMessage>>([])
  const calls = yield* Ref.make(0)
  return {
    service: {
      sendBatch: (batch) =>
        Ref.update(calls, (n) => n + 1).pipe(
          Effect.andThen(Ref.update(messages, (all) => [...all, ...batch])),
          Effect.as(batch.map(() => undefined))
        )
    },
    messages: Ref.get(messages),
    calls: Ref.get(calls)
  }
})

export const inMemoryDeadLetterLayer = (dlq: InMemoryDeadLetterQueue): Layer.Layer<DeadLetterQueue> =>
  Layer.succeed(DeadLetterQueue, dlq.service)
