/**
 * The SQS event source mapping, played locally: polls a queue with `ReceiveMessage`, invokes
 * a handler with a real `SQSEvent`, deletes the messages it acknowledged and leaves the ones it
 * reported in `batchItemFailures` (or all of them when it throws) to become visible again after
 * the queue's visibility timeout, exactly as Lambda's partial batch responses work. The queue's
 * own redrive policy then decides when a message gives up.
 *
 * @example
 * ```ts
 * yield* runSqsEventSource({ sqs, queue: { url, arn, region }, batchSize: 10, handler: fromLambda(dlqWorker.handler) })
 * ```
 */
import type { Message, SQSClient } from "@aws-sdk/client-sqs"
import { DeleteMessageBatchCommand, ReceiveMessageCommand } from "@aws-sdk/client-sqs"
import type { SQSBatchResponse, SQSEvent, SQSRecord } from "aws-lambda"
import { Clock, Effect } from "effect"
import { pollerCall } from "./LocalAws"

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
  /** At most 10 per ReceiveMessage, as in SQS. */
  readonly batchSize: number
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

/** Receives once (long poll), invokes, deletes what succeeded. Returns how many messages it saw. */
export const pollSqsOnce = (options: SqsSourceOptions) =>
  Effect.gen(function* () {
    const { sqs, queue } = options
    const received = yield* pollerCall("SQS", "ReceiveMessage", (abortSignal) =>
      sqs.send(
        new ReceiveMessageCommand({
          QueueUrl: queue.url,
          MaxNumberOfMessages: Math.min(10, Math.max(1, options.batchSize)),
          WaitTimeSeconds: options.waitSeconds ?? 0,
          MessageSystemAttributeNames: ["All"],
          MessageAttributeNames: ["All"]
        }),
        { abortSignal }
      )
    )
    const messages = received.Messages ?? []
    if (messages.length === 0) return 0
    const now = yield* Clock.currentTimeMillis
    const records = messages.map((message) => toSqsRecord(queue, message, now))
    for (const record of records) if (record.attributes.ApproximateReceiveCount === "1") options.observe?.(record)
    const outcome = yield* options.handler({ Records: records }).pipe(Effect.result)
    const failed = outcome._tag === "Failure" ? new Set(records.map((record) => record.messageId)) : failedIds(records, outcome.success)
    const done = records.filter((record) => !failed.has(record.messageId))
    if (done.length > 0) {
      yield* pollerCall("SQS", "DeleteMessageBatch", (abortSignal) =>
        sqs.send(
          new DeleteMessageBatchCommand({
            QueueUrl: queue.url,
            Entries: done.map((record, index) => ({ Id: String(index), ReceiptHandle: record.receiptHandle }))
          }),
          { abortSignal }
        )
      )
    }
    return messages.length
  })

/**
 * Polls until interrupted: back to back while messages keep coming; once the queue looks empty,
 * a short receive every `idleMillis`. (Lambda long-polls; emulators such as moto serve a long
 * poll by spinning a server thread, which slows everything else down, so the local runner waits
 * on its side instead.)
 */
export const runSqsEventSource = (options: SqsSourceOptions & { readonly idleMillis?: number }) =>
  Effect.gen(function* () {
    while (true) {
      const received = yield* pollSqsOnce({ ...options, waitSeconds: options.waitSeconds ?? 0 })
      if (received === 0) yield* Effect.sleep(options.idleMillis ?? 500)
    }
  })
