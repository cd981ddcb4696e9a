/**
 * The SQS event source mapping, played locally: polls a queue with `ReceiveMessage` (gathering a
 * batch over the mapping's batching window, if it has one), invokes a handler with a real
 * `SQSEvent`, deletes the messages it acknowledged and leaves the ones it reported in
 * `batchItemFailures` (or all of them when it throws) to become visible again after the queue's
 * visibility timeout, exactly as Lambda's partial batch responses work. The queue's own redrive
 * policy then decides when a message gives up.
 *
 * Unlike Lambda's pollers, this one stops (Ctrl-C, SIGTERM): the messages it then holds, received
 * and not yet deleted, are made visible again at once, so that a next run on the same emulator
 * takes them up without waiting out the visibility timeout (six minutes on the DLQ).
 *
 * @example
 * ```ts
 * yield* runSqsEventSource({ sqs, queue: { url, arn, region }, batchSize: 10, batchingWindowMillis: 5_000, handler: fromLambda(dlqWorker.handler) })
 * ```
 */
import type { Message, SQSClient } from "@aws-sdk/client-sqs"
import { ChangeMessageVisibilityBatchCommand, DeleteMessageBatchCommand, ReceiveMessageCommand } from "@aws-sdk/client-sqs"
import { awsCall } from "@cdc/aws/AwsCall"
import type { SQSBatchResponse, SQSEvent, SQSRecord } from "aws-lambda"
import * as Arr from "effect/Array"
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

/**
 * What one poll holds: the messages received (in flight until deleted or their visibility timeout
 * passes), and the `ReceiveMessage` call under way, if any.
 */
interface Holding {
  readonly messages: Array<Message>
  receiving: Promise<unknown> | undefined
}

/**
 * One `ReceiveMessage`, its messages added to `holding` as soon as SQS answers. The call is not
 * aborted when the poller stops: SQS hands the messages out when it gets the request, and only
 * its answer names them, so a stopping poller waits for it (see {@link pollSqsOnce}).
 */
const receive = (options: SqsSourceOptions, max: number, holding: Holding) =>
  pollerCall("SQS", "ReceiveMessage", () => {
    const answered = options.sqs
      .send(
        new ReceiveMessageCommand({
          QueueUrl: options.queue.url,
          MaxNumberOfMessages: max,
          WaitTimeSeconds: options.waitSeconds ?? 0,
          MessageSystemAttributeNames: ["All"],
          MessageAttributeNames: ["All"]
        })
      )
      .then((output) => {
        holding.messages.push(...(output.Messages ?? []))
        return output
      })
    holding.receiving = answered
    return answered
  }).pipe(Effect.map((received) => received.Messages?.length ?? 0))

/**
 * Gathers a batch as Lambda does: until it holds `batchSize` messages or the batching window has
 * passed (without a window, one receive).
 */
const gather = (options: SqsSourceOptions, holding: Holding) =>
  Effect.gen(function* () {
    const window = options.batchingWindowMillis ?? 0
    const start = yield* Clock.currentTimeMillis
    while (true) {
      const received = yield* receive(options, Math.min(10, Math.max(1, options.batchSize - holding.messages.length)), holding)
      // Whole milliseconds: a sleep of a fraction of one would not move the clock on.
      const left = Math.ceil(start + window - (yield* Clock.currentTimeMillis))
      if (holding.messages.length >= options.batchSize || left <= 0) return [...holding.messages]
      if (received === 0) yield* Effect.sleep(Math.min(options.idleMillis ?? 500, left))
    }
  })

/**
 * Makes these messages visible again now (`VisibilityTimeout` 0), 10 a call: once, within two
 * seconds, and whatever the answer, since it runs while the poller stops (a message whose handle
 * has gone stale, or one left in flight, comes back after its visibility timeout as it would have).
 */
const release = (options: SqsSourceOptions, messages: ReadonlyArray<Message>) =>
  Effect.forEach(
    Arr.chunksOf(messages, 10),
    (entries) =>
      awsCall("SQS", "ChangeMessageVisibilityBatch", (abortSignal) =>
        options.sqs.send(
          new ChangeMessageVisibilityBatchCommand({
            QueueUrl: options.queue.url,
            Entries: entries.map((message, index) => ({ Id: String(index), ReceiptHandle: message.ReceiptHandle, VisibilityTimeout: 0 }))
          }),
          { abortSignal }
        )
      ),
    { discard: true }
  ).pipe(Effect.timeout(2_000), Effect.ignore)

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
  Effect.suspend(() => {
    const holding: Holding = { messages: [], receiving: undefined }
    return Effect.gen(function* () {
      const { queue } = options
      const messages = yield* gather(options, holding)
      if (messages.length === 0) return 0
      const now = yield* Clock.currentTimeMillis
      const records = messages.map((message) => toSqsRecord(queue, message, now))
      for (const record of records) if (record.attributes.ApproximateReceiveCount === "1") options.observe?.(record)
      const outcome = yield* options.handler({ Records: records }).pipe(Effect.result)
      const failed = outcome._tag === "Failure" ? new Set(records.map((record) => record.messageId)) : failedIds(records, outcome.success)
      const done = records.filter((record) => !failed.has(record.messageId))
      yield* deleteAll(options, done)
      // the batch is over: what failed waits out its visibility timeout, as in Lambda
      holding.messages.length = 0
      return messages.length
    }).pipe(
      Effect.onInterrupt(() =>
        // a receive under way hands out messages too: its answer is waited for (briefly), then all are released
        Effect.promise(() => holding.receiving?.catch(() => undefined) ?? Promise.resolve()).pipe(
          Effect.timeout(2_000),
          Effect.ignore,
          Effect.andThen(Effect.suspend(() => (holding.messages.length === 0 ? Effect.void : release(options, holding.messages))))
        )
      )
    )
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
