/**
 * The SQS event source mapping, played locally: polls a queue with `ReceiveMessage` (gathering a
 * batch over the mapping's batching window, if it has one), invokes a handler with a real
 * `SQSEvent`, deletes the messages it acknowledged and leaves the ones it reported in
 * `batchItemFailures` (or all of them when it throws) to become visible again after the queue's
 * visibility timeout, exactly as Lambda's partial batch responses work. The queue's own redrive
 * policy then decides when a message gives up.
 *
 * @example
 * ```ts
 * yield* runSqsEventSource({ sqs, queue: { url, arn, region }, batchSize: 10, batchingWindowMillis: 5_000, handler: fromLambda(dlqWorker.handler) })
 * ```
 */
import type { Message, SQSClient } from "@aws-sdk/client-sqs"
import { DeleteMessageBatchCommand, ReceiveMessageCommand } from "@aws-sdk/client-sqs"
import type { SQSBatchResponse, SQSEvent, SQSRecord } from "aws-lambda"
import * as Clock from "effect/Clock"
import * as Effect from "effect/Effect"
import { pollerCall, pollerRetries, retryPause } from "./LocalAws"

export interface QueueRef {
  readonly url: string
  readonly arn: string
  readonly region: string
}

/** What the poller invokes: a Lambda handler through {@link fromLambda}, or a local consumer. */
export type SqsHandler = (event: SQSEvent) => Effect.Effect<SQSBatchResponse | undefined, unknown>

/** Adapts a Lambda handler (`(event) => Promise<SQSBatchResponse>`); a rejection fails the batch. */
export const fromLambda =
  (handler: (event: SQSEvent) => Promise<SQSBatchResponse | undefined>): SqsHandler =>
  (event) =>
    Effect.tryPromise({ try: () => handler(event), catch: (cause) => cause })

export interface SqsSourceOptions {
  readonly sqs: SQSClient
  readonly queue: QueueRef
  /** At most 10 without a batching window, as Lambda requires: one `ReceiveMessage` returns 10 at most. */
  readonly batchSize: number
  /**
   * The mapping's `MaximumBatchingWindowInSeconds`, in milliseconds: how long to gather a batch
   * over several receives, from the end of the last invocation; 0 (the default) invokes with what
   * one receive returns.
   */
  readonly batchingWindowMillis?: number
  /** How long to wait after a receive that found nothing (default 500 ms; see {@link runSqsEventSource}). */
  readonly idleMillis?: number
  readonly handler: SqsHandler
  /** Sees every received message before the handler (first receipt only), e.g. for counting. */
  readonly observe?: (message: SQSRecord) => void
  /** Long-poll wait of each receive; default 0 (see {@link runSqsEventSource}). */
  readonly waitSeconds?: number
}

const attribute = (message: Message, name: string, fallback: string): string => message.Attributes?.[name as never] ?? fallback

/** One SQS message as Lambda presents it. */
export const toSqsRecord = (queue: QueueRef, message: Message, nowMillis: number): SQSRecord => ({
  messageId: message.MessageId ?? "",
  receiptHandle: message.ReceiptHandle ?? "",
  body: message.Body ?? "",
  attributes: {
    ApproximateReceiveCount: attribute(message, "ApproximateReceiveCount", "1"),
    SentTimestamp: attribute(message, "SentTimestamp", String(nowMillis)),
    SenderId: attribute(message, "SenderId", "000000000000"),
    ApproximateFirstReceiveTimestamp: attribute(message, "ApproximateFirstReceiveTimestamp", String(nowMillis))
  },
  messageAttributes: Object.fromEntries(
    Object.entries(message.MessageAttributes ?? {}).map(([name, value]) => [
      name,
      {
        dataType: value.DataType ?? "String",
        ...(value.StringValue !== undefined ? { stringValue: value.StringValue } : {}),
        ...(value.BinaryValue !== undefined ? { binaryValue: Buffer.from(value.BinaryValue).toString("base64") } : {})
      }
    ])
  ),
  md5OfBody: message.MD5OfBody ?? "",
  eventSource: "aws:sqs",
  eventSourceARN: queue.arn,
  awsRegion: queue.region
})

/**
 * The message ids Lambda reads a partial batch response as failing: those named, unless one item
 * names no message of the batch (an empty or null identifier, a bad key, an unknown id), which
 * fails the whole batch; no failures, an empty or null list or response are a complete success.
 */
const failedIds = (records: ReadonlyArray<SQSRecord>, response: SQSBatchResponse | undefined): ReadonlySet<string> => {
  const ids = records.map((record) => record.messageId)
  const named = (response?.batchItemFailures ?? []).map((failure) => failure?.itemIdentifier)
  return new Set(named.every((id): id is string => typeof id === "string" && ids.includes(id)) ? named : ids)
}

const receive = (options: SqsSourceOptions, max: number) =>
  pollerCall("SQS", "ReceiveMessage", (abortSignal) =>
    options.sqs.send(
      new ReceiveMessageCommand({
        QueueUrl: options.queue.url,
        MaxNumberOfMessages: max,
        WaitTimeSeconds: options.waitSeconds ?? 0,
        MessageSystemAttributeNames: ["All"],
        MessageAttributeNames: ["All"]
      }),
      { abortSignal }
    )
  ).pipe(Effect.map((received) => received.Messages ?? []))

/**
 * Gathers a batch as Lambda does: until it holds `batchSize` messages or the batching window has
 * passed (without a window, one receive).
 */
const gather = (options: SqsSourceOptions) =>
  Effect.gen(function* () {
    const window = options.batchingWindowMillis ?? 0
    const start = yield* Clock.currentTimeMillis
    let messages: Array<Message> = []
    while (true) {
      const received = yield* receive(options, Math.min(10, Math.max(1, options.batchSize - messages.length)))
      messages = messages.concat(received)
      // Whole milliseconds: a sleep of a fraction of one would not move the clock on.
      const left = Math.ceil(start + window - (yield* Clock.currentTimeMillis))
      if (messages.length >= options.batchSize || left <= 0) return messages
      if (received.length === 0) yield* Effect.sleep(Math.min(options.idleMillis ?? 500, left))
    }
  })

/**
 * Deletes these messages, 10 a `DeleteMessageBatch` as SQS allows. SQS answers each entry on its
 * own ("check for batch errors even when the call returns an HTTP status code of 200"): an entry
 * failed on SQS's side is tried again, as often as a failed call is; one failed as the sender's
 * fault (a receipt handle no longer valid) cannot succeed, and its message comes back.
 */
const deleteAll = (options: SqsSourceOptions, records: ReadonlyArray<SQSRecord>) =>
  Effect.gen(function* () {
    let left = records
    for (let retry = 0; left.length > 0 && retry <= pollerRetries; retry++) {
      if (retry > 0) yield* retryPause(retry - 1)
      const failed: Array<SQSRecord> = []
      for (let from = 0; from < left.length; from += 10) {
        const entries = left.slice(from, from + 10)
        const output = yield* pollerCall("SQS", "DeleteMessageBatch", (abortSignal) =>
          options.sqs.send(
            new DeleteMessageBatchCommand({
              QueueUrl: options.queue.url,
              Entries: entries.map((record, index) => ({ Id: String(index), ReceiptHandle: record.receiptHandle }))
            }),
            { abortSignal }
          )
        )
        for (const entry of output.Failed ?? []) if (entry.SenderFault !== true) failed.push(entries[Number(entry.Id)]!)
      }
      left = failed
    }
  })

/**
 * Gathers a batch, invokes, deletes what succeeded. Returns how many messages it saw. Called
 * again as soon as it returns, it starts the next batching window when the last invocation is
 * done, as Lambda does.
 */
export const pollSqsOnce = (options: SqsSourceOptions) =>
  Effect.gen(function* () {
    const { queue } = options
    const messages = yield* gather(options)
    if (messages.length === 0) return 0
    const now = yield* Clock.currentTimeMillis
    const records = messages.map((message) => toSqsRecord(queue, message, now))
    for (const record of records) if (record.attributes.ApproximateReceiveCount === "1") options.observe?.(record)
    const outcome = yield* options.handler({ Records: records }).pipe(Effect.result)
    const failed = outcome._tag === "Failure" ? new Set(records.map((record) => record.messageId)) : failedIds(records, outcome.success)
    const done = records.filter((record) => !failed.has(record.messageId))
    yield* deleteAll(options, done)
    return messages.length
  })

/**
 * Polls until interrupted: back to back while messages keep coming; once the queue looks empty,
 * a short receive every `idleMillis`. (Lambda long-polls; emulators such as moto serve a long
 * poll by spinning a server thread, which slows everything else down, so the local runner waits
 * on its side instead.)
 */
export const runSqsEventSource = (options: SqsSourceOptions) =>
  Effect.gen(function* () {
    while (true) {
      const received = yield* pollSqsOnce({ ...options, waitSeconds: options.waitSeconds ?? 0 })
      if (received === 0) yield* Effect.sleep(options.idleMillis ?? 500)
    }
  })
