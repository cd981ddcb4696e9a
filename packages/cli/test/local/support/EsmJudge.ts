/**
 * Lambda's documented promises for a Kinesis event source mapping, judged from the outside only:
 * the log of an ./EsmWorld run (what the handler received and answered, the PositionStore's
 * acknowledgements, the on-failure records, the restarts), never the poller's own state.
 *
 * How the handler's answer is read (AWS, "Configuring partial batch response with Kinesis Data
 * Streams and Lambda"): no failures, an empty or null list, an empty or null response are a
 * complete success; with several failures, the lowest sequence number is the checkpoint and every
 * record from it is retried; an empty, null or mis-keyed identifier is a complete failure. AWS
 * does not say what an identifier outside the batch means: read, as the local mapping does, as a
 * complete failure (the cases generated agree with either reading where it matters: a
 * zero-padded identifier names the batch's first record).
 *
 * @example
 * ```ts
 * judge(scripts, settings, world.log, { finished: true })  // throws (vitest expect) on a broken promise
 * ```
 */
import type { KinesisStreamBatchResponse } from "aws-lambda"
import { expect } from "vitest"
import type { KinesisSourceSettings } from "../../../src/local/KinesisEventSource"
import type { Entry, ShardScript } from "./EsmWorld"

/** What the judge knows of one shard, from the log so far. */
interface Shard {
  readonly records: ReadonlyArray<string>
  /** Index of the PositionStore's position, -1 for none. */
  stored: number
  /** Per record: delivered to an invocation whose answer acknowledged it, or sent to the on-failure destination. */
  readonly covered: Array<boolean>
  /** Per record: how many invocations received it. */
  readonly deliveries: Array<number>
  /** The indices of the last invocation's batch, whether it is still running, and how many retries it had spent. */
  last: ReadonlyArray<number>
  running: boolean
  spent: number
  /** After a failure, the batches Lambda sends again, in order, before anything newer: a record index and a count each. */
  retries: ReadonlyArray<Retry>
  /** Failed records whose retries ran out, owed to the on-failure destination before the next invocation, and the retries after them. */
  exhausted: { readonly at: number; readonly end: number; readonly later: ReadonlyArray<Retry> } | undefined
}

interface Retry {
  readonly at: number
  readonly count: number
  readonly spent: number
}

/** How many leading records of `batch` the answer acknowledges (Lambda's reading, above). */
const acknowledgedCount = (batch: ReadonlyArray<string>, response: KinesisStreamBatchResponse | undefined): number => {
  const failures = response?.batchItemFailures ?? []
  if (failures.length === 0) return batch.length
  const positions = failures.map((failure) => (typeof failure?.itemIdentifier === "string" ? batch.indexOf(failure.itemIdentifier) : -1))
  return positions.includes(-1) ? 0 : Math.min(...positions)
}

/** One log entry as a line, for failure messages. */
const describeEntry = (entry: Entry): string => {
  switch (entry._tag) {
    case "Invoked":
      return `${entry.shardId} invoked [${entry.sequenceNumbers.join(" ")}] (stored ${entry.stored})`
    case "Returned":
      return `${entry.shardId} returned ${JSON.stringify(entry.response)}`
    case "Threw":
      return `${entry.shardId} threw`
    case "Acknowledged":
      return `${entry.shardId} acknowledged ${entry.sequenceNumber}`
    case "SentToOnFailure":
      return `${entry.info.shardId} on-failure ${entry.info.startSequenceNumber}..${entry.info.endSequenceNumber} (${entry.info.batchSize})`
    case "Restarted":
      return `restarted with ${JSON.stringify(entry.stored)}`
  }
}

export interface Ending {
  /** Every shard's position reached its last record within the time allowed. */
  readonly finished: boolean
  /** Why the event source stopped by itself, if it did. */
  readonly stopped?: string
}

/** Throws (vitest `expect`) at the first broken promise, with the log so far. */
export const judge = (scripts: ReadonlyArray<ShardScript>, settings: KinesisSourceSettings, log: ReadonlyArray<Entry>, ending: Ending) => {
  const shards = new Map<string, Shard>(
    scripts.map(({ shardId, sequenceNumbers: records }) => [
      shardId,
      {
        records,
        stored: -1,
        covered: records.map(() => false),
        deliveries: records.map(() => 0),
        last: [],
        running: false,
        spent: 0,
        retries: [],
        exhausted: undefined
      }
    ])
  )
  let seen = 0
  const check = (condition: boolean, what: string) => {
    if (!condition) expect.fail(`${what}\n--- log ---\n${log.slice(0, seen).map(describeEntry).join("\n")}`)
  }
  const shardOf = (shardId: string): Shard => {
    const shard = shards.get(shardId)
    check(shard !== undefined, `unknown shard ${shardId}`)
    return shard!
  }

  for (const entry of log) {
    seen++
    switch (entry._tag) {
      case "Invoked": {
        check(entry.sequenceNumbers.length > 0, "an invocation has records")
        const shard = shardOf(entry.shardId)
        const batch = entry.sequenceNumbers.map((s) => shard.records.indexOf(s))
        const first = batch[0] ?? -1
        check(batch.length <= settings.batchSize, `a batch of at most ${settings.batchSize} records`)
        check(
          batch.every((index, i) => index === first + i && index >= 0),
          "a batch is consecutive records of the shard, in sequence order"
        )
        check(!shard.running, "no two invocations of one shard overlap")
        check(shard.records.indexOf(entry.stored ?? "") === shard.stored, `the PositionStore holds what was acknowledged last`)
        check(first === shard.stored + 1, "an invocation starts right after the acknowledged position: nothing skipped, nothing replayed")
        check(shard.exhausted === undefined, "records whose retries ran out go to the on-failure destination before the next invocation")
        const retry = shard.retries[0]
        if (retry !== undefined) {
          check(first === retry.at, "after a failure, the next invocation starts at the first record retried")
          check(
            batch.length === retry.count,
            "a retry is the batch retried exactly (the failed records, or one half of a bisected batch): nothing more, nothing newer"
          )
        }
        shard.spent = retry?.spent ?? 0
        for (const index of batch) shard.deliveries[index]!++
        shard.last = batch
        shard.running = true
        break
      }
      case "Returned":
      case "Threw": {
        const shard = shardOf(entry.shardId)
        const acknowledged =
          entry._tag === "Threw"
            ? 0
            : acknowledgedCount(
                shard.last.map((index) => shard.records[index]!),
                entry.response
              )
        for (const index of shard.last.slice(0, acknowledged)) shard.covered[index] = true
        // The running batch was the first retry, if any were waiting (checked when invoked).
        const later = shard.retries.slice(1)
        if (acknowledged === shard.last.length) shard.retries = later
        else {
          const at = shard.last[acknowledged]!
          const failed = shard.last.length - acknowledged
          if (entry._tag === "Threw" && settings.bisectOnError && failed > 1) {
            // "Splitting batches doesn't consume the retry quota."
            const half = Math.ceil(failed / 2)
            shard.retries = [{ at, count: half, spent: shard.spent }, { at: at + half, count: failed - half, spent: shard.spent }, ...later]
          } else if (settings.maximumRetryAttempts >= 0 && shard.spent >= settings.maximumRetryAttempts) {
            shard.exhausted = { at, end: shard.last.at(-1)!, later }
            shard.retries = []
          } else shard.retries = [{ at, count: failed, spent: shard.spent + 1 }, ...later]
        }
        shard.running = false
        break
      }
      case "Acknowledged": {
        const shard = shardOf(entry.shardId)
        const index = shard.records.indexOf(entry.sequenceNumber)
        check(index >= 0, `acknowledges a record of the shard (${entry.sequenceNumber})`)
        check(index >= shard.stored, "the PositionStore never moves backwards")
        check(
          shard.covered.slice(0, index + 1).every(Boolean),
          `acknowledges ${entry.sequenceNumber} only when every record up to it was processed or sent to the on-failure destination`
        )
        shard.stored = index
        break
      }
      case "SentToOnFailure": {
        const { info } = entry
        const shard = shardOf(info.shardId)
        const start = shard.records.indexOf(info.startSequenceNumber)
        const end = shard.records.indexOf(info.endSequenceNumber)
        check(settings.maximumRetryAttempts >= 0, "nothing goes to the on-failure destination while retries are unlimited")
        check(
          start === shard.exhausted?.at && end === shard.exhausted.end,
          `the on-failure record is the rest of a failed batch, sent once its ${settings.maximumRetryAttempts} retries were spent (splits spend none)`
        )
        check(info.batchSize === end - start + 1, "the on-failure record counts its records")
        check(
          shard.deliveries.slice(start, end + 1).every((n) => n > settings.maximumRetryAttempts),
          `records go to the on-failure destination only after ${settings.maximumRetryAttempts} retries`
        )
        for (let index = start; index <= end; index++) shard.covered[index] = true
        shard.retries = shard.exhausted!.later
        shard.exhausted = undefined
        break
      }
      case "Restarted": {
        for (const [shardId, shard] of shards) {
          const stored = shard.records.indexOf(entry.stored[shardId] ?? "")
          check(stored >= shard.stored, "a restart resumes from the PositionStore, which never moves backwards")
          shard.stored = stored
          shard.retries = []
          shard.exhausted = undefined
          shard.running = false
        }
        break
      }
    }
  }
  check(ending.stopped === undefined, `the event source keeps running (it stopped: ${ending.stopped})`)
  check(ending.finished, "every shard is read to its end")
  for (const [shardId, shard] of shards) {
    check(shard.covered.every(Boolean), `${shardId}: every record was processed or sent to the on-failure destination`)
    check(shard.stored === shard.records.length - 1, `${shardId}: the PositionStore holds the shard's last record`)
  }
}
