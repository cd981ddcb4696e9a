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
import { wireJson } from "./WireJson"

export interface DeadLetterQueueService {
  /** One batch call (≤ 10 messages, ≤ 256 KB); the answer has one element per message, in order. */
  readonly sendBatch: (messages: ReadonlyArray<DeadLetterMessage>) => Effect.Effect<ReadonlyArray<ItemFailure | undefined>, DependencyError>
}

/** SQS limits: 10 messages and 256 KiB per SendMessageBatch, 256 KiB per message. */
export const maxMessagesPerBatch = 10
export const maxBatchBytes = 256 * 1024

/**
 * The SQS message attributes of a dead letter (for queue-side filtering and metrics without
 * reading bodies): kind, category and reason, all codes, never values.
 *
 * @example
 * ```ts
 * messageAttributes(message) // { kind: "cdc.dead-letter", category: "poison", reason: "invalid-json" }
 * ```
 */
export const messageAttributes = (message: DeadLetterMessage): Readonly<Record<string, string>> => ({
  kind: message.kind,
  category: message.category,
  reason: message.reason
})

/** The size SQS counts against its limits: the body (as {@link wireJson} writes it), and each attribute's name, type (`String`) and value. */
export const messageBytes = (message: DeadLetterMessage): number => {
  let total = Buffer.byteLength(wireJson(message), "utf8")
  for (const [name, value] of Object.entries(messageAttributes(message)))
    total += Buffer.byteLength(name, "utf8") + "String".length + Buffer.byteLength(value, "utf8")
  return total
}

export class DeadLetterQueue extends Context.Service<DeadLetterQueue, DeadLetterQueueService>()("@cdc/pipeline/DeadLetterQueue") {}

export interface InMemoryDeadLetterQueue {
  readonly service: DeadLetterQueueService
  readonly messages: Effect.Effect<ReadonlyArray<DeadLetterMessage>>
  readonly calls: Effect.Effect<number>
}

const batchTooLong: ItemFailure = { code: "BatchRequestTooLong", retryable: false, category: "permanent" }

/**
 * A queue in memory that keeps what it accepted, and refuses for good, as SQS does, a batch over
 * 256 KiB (the emulator does not enforce that limit), so that unit tests see what production would.
 *
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
        Effect.gen(function* () {
          yield* Ref.update(calls, (n) => n + 1)
          const batchBytes = batch.reduce((total, message) => total + messageBytes(message), 0)
          if (batchBytes > maxBatchBytes) return batch.map(() => batchTooLong)
          yield* Ref.update(messages, (all) => [...all, ...batch])
          return batch.map(() => undefined)
        })
    },
    messages: Ref.get(messages),
    calls: Ref.get(calls)
  }
})

export const inMemoryDeadLetterLayer = (dlq: InMemoryDeadLetterQueue): Layer.Layer<DeadLetterQueue> =>
  Layer.succeed(DeadLetterQueue, dlq.service)
