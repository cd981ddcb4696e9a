/**
 * Lambda's documented promises for an SQS event source mapping with `ReportBatchItemFailures`,
 * judged from the outside only: the log of an ./SqsWorld run (what the handler received and
 * answered, each `DeleteMessageBatch` entry, what the redrive policy moved to the dead-letter
 * queue, the restarts), never the poller's own state.
 *
 * How the handler's answer is read (AWS, "Handling errors for an SQS event source in Lambda",
 * partial batch responses): no failures, an empty or null list, an empty or null response are a
 * complete success; otherwise the messages named in `batchItemFailures` are failed and the others
 * succeeded, except that an empty or null `itemIdentifier`, an item with a bad key name, or an
 * identifier that is no message ID of the batch makes the whole batch a failure. A handler that
 * throws fails the whole batch. Lambda deletes the messages that succeeded and leaves the failed
 * ones to become visible again after the visibility timeout; the queue's redrive policy moves a
 * message to the dead-letter queue once it was received `maxReceiveCount` times. With a batching
 * window, Lambda gathers messages "until the batching window reaches its maximum value, the batch
 * size is met, or the payload reaches 6 MB", and "the next batching window begins as soon as the
 * previous function invocation completes" (Lambda developer guide, "How Lambda processes records
 * from stream and queue-based event sources", batching behavior); the batch size may then exceed 10.
 *
 * @example
 * ```ts
 * judge({ batchSize: 10 }, world.log, { drained: true })  // throws (vitest expect) on a broken promise
 * ```
 */
import type { SQSBatchResponse } from "aws-lambda"
import { expect } from "vitest"
import { pollerRetries } from "../../../src/local/LocalAws"
import type { Delivered, Entry } from "./SqsWorld"

/** The ids of `batch` that Lambda reads the answer as having failed (the reading above). */
export const failedIds = (batch: ReadonlyArray<string>, response: SQSBatchResponse | undefined): ReadonlySet<string> => {
  const failures = response?.batchItemFailures ?? []
  const named = failures.map((failure) => failure?.itemIdentifier)
  return named.every((id) => typeof id === "string" && batch.includes(id)) ? new Set(named) : new Set(batch)
}

/** One log entry as a line, for failure messages. */
const describeEntry = (entry: Entry): string => {
  switch (entry._tag) {
    case "Invoked":
      return `${entry.at} ms: invoked [${entry.records.map((r) => `${r.messageId} (${r.receiptHandle})`).join(" ")}]`
    case "Returned":
      return `${entry.at} ms: returned ${JSON.stringify(entry.response)}`
    case "Threw":
      return `${entry.at} ms: threw`
    case "Deleted":
      return `${entry.failed ? `failed to delete (${entry.senderFault ? "sender" : "SQS"} fault)` : "deleted"} ${entry.receiptHandle}`
    case "Parked":
      return `dead-lettered ${entry.messageId} after ${entry.receiveCount} receives`
    case "Restarted":
      return `${entry.at} ms: restarted`
    case "Released":
      return `made ${entry.receiptHandle} visible after ${entry.seconds} s`
  }
}

export interface Ending {
  /** Every message was deleted or dead-lettered within the time allowed. */
  readonly drained: boolean
  /** Why the event source stopped by itself, if it did. */
  readonly stopped?: string
}

/** Throws (vitest `expect`) at the first broken promise, with the log so far. */
export const judge = (
  settings: { readonly batchSize: number; readonly batchingWindowMillis: number; readonly maxReceiveCount: number },
  log: ReadonlyArray<Entry>,
  ending: Ending
) => {
  // Without a batching window Lambda takes at most 10 messages (one receive), with one up to the batch size.
  const batchSize = settings.batchingWindowMillis > 0 ? settings.batchSize : Math.min(10, settings.batchSize)
  /** When the last invocation ended, or the poller started: the batching window begins then. */
  let since = 0
  let seen = 0
  const check = (condition: boolean, what: string) => {
    if (!condition) expect.fail(`${what}\n--- log ---\n${log.slice(0, seen).map(describeEntry).join("\n")}`)
  }
  /** The running or last invocation's batch, and the receipt handles its answer lets Lambda delete. */
  let batch: ReadonlyArray<Delivered> = []
  let running = false
  let deletable = new Set<string>()
  /** The receipt handles of `deletable` that a `DeleteMessageBatch` asked to delete: how often, and whether SQS failed the last try on its side. */
  let attempted = new Map<string, { readonly tries: number; readonly sqsFault: boolean }>()
  /** Before the next invocation, the poller deleted all that its last one reported successful. */
  const deletedAll = () => {
    check(
      [...deletable].every((handle) => attempted.has(handle)),
      "every message reported successful is deleted before the next batch"
    )
    check(
      [...attempted.values()].every(({ tries, sqsFault }) => !sqsFault || tries > pollerRetries),
      `a delete SQS failed on its side is tried again, up to ${pollerRetries} times (only a sender fault, a bad receipt handle, is final)`
    )
  }

  for (const entry of log) {
    seen++
    switch (entry._tag) {
      case "Invoked":
        check(entry.records.length > 0, "an invocation has messages")
        check(entry.records.length <= batchSize, `a batch of at most ${batchSize} messages`)
        check(
          entry.records.length === batchSize || entry.at - since >= settings.batchingWindowMillis,
          `a batch short of ${batchSize} messages waits for the batching window (${settings.batchingWindowMillis} ms) to pass since the last invocation ended`
        )
        check(!running, "the poller invokes one batch at a time")
        deletedAll()
        batch = entry.records
        running = true
        deletable = new Set()
        attempted = new Map()
        break
      case "Returned":
      case "Threw": {
        const failed =
          entry._tag === "Threw"
            ? new Set(batch.map((record) => record.messageId))
            : failedIds(
                batch.map((record) => record.messageId),
                entry.response
              )
        const succeeded = batch.filter((record) => !failed.has(record.messageId))
        deletable = new Set(succeeded.map((record) => record.receiptHandle))
        running = false
        since = entry.at
        break
      }
      case "Deleted":
        check(!running, "messages are deleted only once the invocation answered")
        check(
          deletable.has(entry.receiptHandle),
          `deletes only a message its last invocation received and reported successful (${entry.receiptHandle})`
        )
        attempted.set(entry.receiptHandle, {
          tries: (attempted.get(entry.receiptHandle)?.tries ?? 0) + 1,
          sqsFault: entry.failed && !entry.senderFault
        })
        break
      case "Parked":
        check(entry.receiveCount >= settings.maxReceiveCount, "the redrive policy dead-letters only after maxReceiveCount receives")
        break
      case "Released":
        // what a stopping poller held comes back at once (the local runner's, not Lambda's, doing)
        check(entry.seconds === 0, "a stopping poller makes the messages it holds visible at once")
        break
      case "Restarted":
        // A stopped poller's deletes, retries included, stop with it: its messages come back.
        running = false
        deletable = new Set()
        attempted = new Map()
        since = entry.at
        break
    }
  }
  check(ending.stopped === undefined, `the event source keeps running (it stopped: ${ending.stopped})`)
  check(ending.drained, "every message is deleted after a successful invocation or dead-lettered: nothing is left behind")
}
