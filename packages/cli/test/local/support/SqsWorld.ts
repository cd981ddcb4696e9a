/**
 * A scripted world for the local SQS event source mapping (src/local/SqsEventSource.ts): an
 * in-memory SQS queue with a redrive policy, a handler that follows a script per invocation, and
 * one log of everything the mapping did that can be seen from outside: the batches the handler
 * received and what it answered, each entry of each `DeleteMessageBatch`, each message the queue
 * moved to its dead-letter (parking) queue, each restart. ./SqsJudge.ts reads that log.
 *
 * The fake SQS behaves as the real one where it matters: a received message stays invisible for
 * the queue's visibility timeout (or the `VisibilityTimeout` the receive asks for) and each
 * receive gives it a new receipt handle and counts towards `ApproximateReceiveCount`; once a
 * message was received `maxReceiveCount` times, the next receive that would return it moves it to
 * the dead-letter queue instead; `ReceiveMessage` may return nothing though messages wait, fewer
 * than asked, or (standard queues are at-least-once) a message again while it is in flight;
 * `MaxNumberOfMessages` outside 1..10 and malformed `DeleteMessageBatch` requests are rejected as
 * SQS rejects them; `DeleteMessageBatch` may fail some entries (`Failed`, the call succeeds);
 * throttling (`RequestThrottled`) and 5xx (`ServiceUnavailable`) fail whole calls.
 *
 * Time is the TestClock's, in whole seconds: the property test's driver tells the world the time
 * (`tick`), which also wakes the slow handlers whose time has come.
 *
 * @example
 * ```ts
 * const world = makeSqsWorld({ arrivals: [0, 0, 3], visibilitySeconds: 5, maxReceiveCount: 2, receives: [], deletes: [], behaviours: [] })
 * runSqsEventSource({ sqs: world.sqs, queue, batchSize: 2, handler: world.handler })
 * world.log // [{ _tag: "Invoked", records: [{ messageId: "m0", ... }, ...] }, { _tag: "Returned", ... }, { _tag: "Deleted", ... }]
 * ```
 */
import type { Message, SQSClient } from "@aws-sdk/client-sqs"
import { ChangeMessageVisibilityBatchCommand, DeleteMessageBatchCommand, ReceiveMessageCommand } from "@aws-sdk/client-sqs"
import type { SQSBatchResponse } from "aws-lambda"
import { fromLambda, type SqsHandler } from "../../../src/local/SqsEventSource"
import { awsError, type Answer as EsmAnswer, type Behaviour as EsmBehaviour } from "./EsmWorld"

/** What one `ReceiveMessage` call answers: as asked, nothing, fewer, one in-flight message again, or an error. */
export type ReceiveQuirk = "ok" | "empty" | "short" | "duplicate" | "throttled" | "unavailable"

/** What one `DeleteMessageBatch` call answers: all deleted, every other entry failed, or throttled. */
export type DeleteQuirk = "ok" | "partial" | "throttled"

/** An item identifier that names no message of the batch, as a faulty handler might report. */
export type OddIdentifier = "empty" | "nullId" | "badKey" | "unknown"

/** How the handler answers one invocation: as for Kinesis, but an odd identifier comes after the first message's. */
export type Answer =
  | Exclude<EsmAnswer, { readonly _tag: "FailOdd" }>
  /** Fails the first message, and reports one more identifier that names none. */
  | { readonly _tag: "FailOdd"; readonly identifier: OddIdentifier }

export type Behaviour = EsmBehaviour<Answer>

export interface QueueScript {
  /** The second each message (`m0`, `m1`, …) is sent, ascending. */
  readonly arrivals: ReadonlyArray<number>
  readonly visibilitySeconds: number
  /** The redrive policy's: receives a message may have before it moves to the dead-letter queue. */
  readonly maxReceiveCount: number
  /** The answers of the `ReceiveMessage` calls, in turn; "ok" after them. */
  readonly receives: ReadonlyArray<ReceiveQuirk>
  /** The answers of the `DeleteMessageBatch` calls, in turn; "ok" after them. */
  readonly deletes: ReadonlyArray<DeleteQuirk>
  /** The handler's behaviour on each invocation, in turn; a quick success after them. */
  readonly behaviours: ReadonlyArray<Behaviour>
  /**
   * How long each `ReceiveMessage` answer takes to arrive (default 0): SQS hands the messages
   * out when it gets the request, so they are in flight while the answer is on its way.
   */
  readonly receiveSeconds?: number
}

export interface Delivered {
  readonly messageId: string
  readonly receiptHandle: string
  readonly receiveCount: number
}

/** Entries that say when they happened carry `at`: the poller's clock, in milliseconds. */
export type Entry =
  | { readonly _tag: "Invoked"; readonly records: ReadonlyArray<Delivered>; readonly at: number }
  | { readonly _tag: "Returned"; readonly response: SQSBatchResponse | undefined; readonly at: number }
  | { readonly _tag: "Threw"; readonly at: number }
  /** One entry of a `DeleteMessageBatch` call, deleted or (`failed`) not, then by the sender's fault (a bad receipt handle) or SQS's. */
  | { readonly _tag: "Deleted"; readonly receiptHandle: string; readonly failed: boolean; readonly senderFault: boolean }
  /** The redrive policy moved the message to the dead-letter queue after `receiveCount` receives. */
  | { readonly _tag: "Parked"; readonly messageId: string; readonly receiveCount: number }
  | { readonly _tag: "Restarted"; readonly at: number }
  /** A `ChangeMessageVisibilityBatch` entry that made an in-flight message visible again after `seconds`. */
  | { readonly _tag: "Released"; readonly receiptHandle: string; readonly seconds: number }

interface Stored {
  readonly messageId: string
  readonly sentAt: number
  receives: number
  visibleAt: number
  gone: "deleted" | "parked" | undefined
}

const quickSuccess: Behaviour = { answer: { _tag: "Succeed", response: "emptyList" }, seconds: 0 }

/** The handler's answer to a batch of message ids. */
const respond = (answer: Answer, batch: ReadonlyArray<string>): SQSBatchResponse | undefined => {
  switch (answer._tag) {
    case "Succeed":
      return { undefined, empty: {}, emptyList: { batchItemFailures: [] }, nullList: { batchItemFailures: null } }[answer.response] as
        | SQSBatchResponse
        | undefined
    case "FailAt": {
      const at = answer.at % batch.length
      return { batchItemFailures: (answer.andLater ? batch.slice(at) : [batch[at]!]).map((itemIdentifier) => ({ itemIdentifier })) }
    }
    case "FailOdd": {
      const odd = {
        empty: { itemIdentifier: "" },
        nullId: { itemIdentifier: null },
        badKey: { itemId: batch[0] },
        unknown: { itemIdentifier: "m999" }
      }
      return { batchItemFailures: [{ itemIdentifier: batch[0]! }, odd[answer.identifier]] } as unknown as SQSBatchResponse
    }
    case "Throw":
      throw new Error("the handler failed")
  }
}

/** `clock`: the poller's clock in milliseconds (the TestClock's), to time the log; by default the world's seconds. */
export const makeSqsWorld = (script: QueueScript, clock?: () => number) => {
  const log: Array<Entry> = []
  const messages: Array<Stored> = script.arrivals.map((sentAt, i) => ({
    messageId: `m${i}`,
    sentAt,
    receives: 0,
    visibleAt: sentAt,
    gone: undefined
  }))
  const byHandle = new Map<string, Stored>()
  let receiveCalls = 0
  let deleteCalls = 0
  let invocations = 0
  let running = 0
  let now = 0
  const sleepers: Array<{ readonly until: number; readonly wake: () => void }> = []
  const at = () => clock?.() ?? now * 1000

  const deliver = (message: Stored, visibilitySeconds: number): Message => {
    message.receives++
    message.visibleAt = now + visibilitySeconds
    const handle = `${message.messageId}#${message.receives}`
    byHandle.set(handle, message)
    return {
      MessageId: message.messageId,
      ReceiptHandle: handle,
      Body: `body of ${message.messageId}`,
      Attributes: { ApproximateReceiveCount: String(message.receives), SentTimestamp: String(message.sentAt * 1000) }
    }
  }

  const receive = (input: ReceiveMessageCommand["input"]) => {
    const quirk = script.receives[receiveCalls++] ?? "ok"
    const limit = input.MaxNumberOfMessages ?? 1
    if (!Number.isInteger(limit) || limit < 1 || limit > 10) throw awsError("InvalidParameterValue")
    if (quirk === "throttled") throw awsError("RequestThrottled", 403)
    if (quirk === "unavailable") throw awsError("ServiceUnavailable", 503)
    const visibility = input.VisibilityTimeout ?? script.visibilitySeconds
    const wanted = quirk === "empty" ? 0 : quirk === "short" ? Math.ceil(limit / 2) : limit
    const batch: Array<Message> = []
    for (const message of messages) {
      if (batch.length >= wanted) break
      if (message.gone !== undefined || message.sentAt > now || message.visibleAt > now) continue
      if (message.receives >= script.maxReceiveCount) {
        message.gone = "parked"
        log.push({ _tag: "Parked", messageId: message.messageId, receiveCount: message.receives })
      } else batch.push(deliver(message, visibility))
    }
    const inFlight = messages.find((message) => message.gone === undefined && message.receives > 0 && message.visibleAt > now)
    if (quirk === "duplicate" && inFlight !== undefined && batch.length < limit) batch.push(deliver(inFlight, visibility))
    return { Messages: batch }
  }

  const deleteBatch = (input: DeleteMessageBatchCommand["input"]) => {
    const quirk = script.deletes[deleteCalls++] ?? "ok"
    const entries = input.Entries ?? []
    if (entries.length === 0) throw awsError("EmptyBatchRequest")
    if (entries.length > 10) throw awsError("TooManyEntriesInBatchRequest")
    if (new Set(entries.map((entry) => entry.Id)).size !== entries.length) throw awsError("BatchEntryIdsNotDistinct")
    if (quirk === "throttled") throw awsError("RequestThrottled", 403)
    const Successful: Array<{ Id: string }> = []
    const Failed: Array<{ Id: string; Code: string; SenderFault: boolean }> = []
    entries.forEach((entry, index) => {
      const message = byHandle.get(entry.ReceiptHandle ?? "")
      const code =
        message === undefined || message.gone === "parked"
          ? "ReceiptHandleIsInvalid"
          : quirk === "partial" && index % 2 === 1
            ? "InternalError"
            : undefined
      const senderFault = code !== undefined && code !== "InternalError"
      log.push({ _tag: "Deleted", receiptHandle: entry.ReceiptHandle ?? "", failed: code !== undefined, senderFault })
      if (code !== undefined) Failed.push({ Id: entry.Id ?? "", Code: code, SenderFault: senderFault })
      else {
        message!.gone = "deleted"
        Successful.push({ Id: entry.Id ?? "" })
      }
    })
    return { Successful, Failed }
  }

  /** As SQS: only the latest receipt handle of a message in flight changes its visibility. */
  const changeVisibility = (input: ChangeMessageVisibilityBatchCommand["input"]) => {
    const entries = input.Entries ?? []
    if (entries.length === 0) throw awsError("EmptyBatchRequest")
    if (entries.length > 10) throw awsError("TooManyEntriesInBatchRequest")
    if (new Set(entries.map((entry) => entry.Id)).size !== entries.length) throw awsError("BatchEntryIdsNotDistinct")
    const Successful: Array<{ Id: string }> = []
    const Failed: Array<{ Id: string; Code: string; SenderFault: boolean }> = []
    for (const entry of entries) {
      const handle = entry.ReceiptHandle ?? ""
      const message = byHandle.get(handle)
      const code =
        message === undefined || message.gone !== undefined || handle !== `${message.messageId}#${message.receives}`
          ? "ReceiptHandleIsInvalid"
          : message.visibleAt <= now
            ? "MessageNotInflight"
            : undefined
      if (code !== undefined) Failed.push({ Id: entry.Id ?? "", Code: code, SenderFault: true })
      else {
        const seconds = entry.VisibilityTimeout ?? 0
        message!.visibleAt = now + seconds
        log.push({ _tag: "Released", receiptHandle: handle, seconds })
        Successful.push({ Id: entry.Id ?? "" })
      }
    }
    return { Successful, Failed }
  }

  const send = async (command: unknown): Promise<unknown> => {
    if (command instanceof ReceiveMessageCommand) {
      const answer = receive(command.input)
      const seconds = script.receiveSeconds ?? 0
      if (seconds > 0) await new Promise<void>((wake) => sleepers.push({ until: now + seconds, wake }))
      return answer
    }
    if (command instanceof DeleteMessageBatchCommand) return deleteBatch(command.input)
    if (command instanceof ChangeMessageVisibilityBatchCommand) return changeVisibility(command.input)
    throw new Error("unexpected command")
  }

  const handler: SqsHandler = fromLambda(async (event) => {
    const records = event.Records.map((record) => ({
      messageId: record.messageId,
      receiptHandle: record.receiptHandle,
      receiveCount: Number(record.attributes.ApproximateReceiveCount)
    }))
    log.push({ _tag: "Invoked", records, at: at() })
    const { answer, seconds } = script.behaviours[invocations++] ?? quickSuccess
    running++
    try {
      if (seconds > 0) await new Promise<void>((wake) => sleepers.push({ until: now + seconds, wake }))
    } finally {
      running--
    }
    try {
      const response = respond(
        answer,
        records.map((record) => record.messageId)
      )
      log.push({ _tag: "Returned", response, at: at() })
      return response
    } catch (error) {
      log.push({ _tag: "Threw", at: at() })
      throw error
    }
  })

  return {
    sqs: { send } as unknown as SQSClient,
    handler,
    log: log as ReadonlyArray<Entry>,
    restarted: () => void log.push({ _tag: "Restarted", at: at() }),
    /** Moves the world's clock to `seconds`, waking the handlers whose time has come. */
    tick: (seconds: number) => {
      now = seconds
      for (const sleeper of sleepers.filter((s) => s.until <= now)) {
        sleepers.splice(sleepers.indexOf(sleeper), 1)
        sleeper.wake()
      }
    },
    /** True while some invocation is running. */
    busy: () => running > 0,
    invocations: () => invocations,
    /** Messages received and neither deleted nor visible again yet. */
    inFlight: () => messages.filter((message) => message.gone === undefined && message.receives > 0 && message.visibleAt > now).length,
    /** Every message was sent, and is deleted or in the dead-letter queue. */
    drained: () => messages.every((message) => message.gone !== undefined)
  }
}

export type SqsWorld = ReturnType<typeof makeSqsWorld>
