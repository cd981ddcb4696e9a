/**
 * One window of a shard's fresh records through the whole sequence of the batch program:
 * record path → dead-letter the poison first → publish in PutEvents requests, dead-lettering each
 * request's entries refused for good before the next request. What the window held (entries,
 * coordinates, outcomes) is released when it returns; only counts and the handled prefix travel
 * on, so the program's memory is bounded by the window and not by the batch.
 *
 * Within the window the rules are the batch program's (see ./BatchProcessor): a poison record the
 * DLQ could not take is a barrier (nothing from it on is published); publishing stops after the
 * first request that still has unfinished entries or a refused entry the DLQ could not take. The
 * caller stops the shard at the first window that leaves a record unhandled.
 *
 * @example
 * ```ts
 * const report = yield* processWindow(shard, records.slice(0, recordWindow), Date.now())
 * report.firstUnhandled // undefined when every record of the window was published, filtered or dead-lettered
 * ```
 */
import type { KinesisStreamRecord } from "aws-lambda"
import * as Effect from "effect/Effect"
import * as Stream from "effect/Stream"
import { endingByOr } from "./BatchTime"
import type { ShardRef } from "./CheckpointStore"
import { chunkEntries } from "./Chunker"
import { PublishBreaker } from "./CircuitBreaker"
import type { DeadLetterMessage } from "./DeadLetter"
import { deadLetter, publishDeadLetters } from "./DeadLetters"
import { EventBus } from "./EventBus"
import { type ItemOutcome, sendPartial } from "./PartialBatch"
import { PublishRejectedError } from "./PipelineErrors"
import { RecordPath } from "./RecordPath"
import { type DriftSighting, type ShardItem, shardItems } from "./ShardItems"

/**
 * Records per window. Large enough that the chunker fills PutEvents requests (a window boundary
 * closes at most one partial request: 1,000 records still take 100 requests) and the DLQ's
 * SendMessageBatch calls; small enough that what a window holds (≈ 1–2 KB of entry and outcome
 * per record) stays a few MB however large the batch (Lambda hands over up to 10,000 records).
 */
export const recordWindow = 1_000

export interface WindowReport {
  readonly size: number
  readonly published: number
  readonly filtered: ReadonlyMap<string, number>
  readonly deadLettered: ReadonlyMap<string, number>
  readonly drift: ReadonlyArray<DriftSighting>
  /** The last record of the window's handled prefix, if any. */
  readonly lastHandled: string | undefined
  /** The earliest record of the window left unhandled; the shard stops here. */
  readonly firstUnhandled: string | undefined
  /** Records from `firstUnhandled` to the end of the window. */
  readonly leftForRetry: number
  /** Whether the window stopped because the batch's time ran out (see `stopAt`). */
  readonly outOfTime: boolean
}

type Publishable = ShardItem & { _tag: "Publish" }

const increment = (counts: Map<string, number>, key: string) => counts.set(key, (counts.get(key) ?? 0) + 1)

const publishChunk = (chunk: ReadonlyArray<Publishable>) =>
  Effect.gen(function* () {
    const bus = yield* EventBus
    const breaker = yield* PublishBreaker
    const outcomes = yield* sendPartial(
      "eventbridge-publish",
      chunk.map((item) => item.entry),
      (entries) => bus.putEvents(entries),
      breaker.protect
    )
    return { chunk, outcomes }
  })

/** The dead letter of an entry the bus refused for good, with its (redacted) entry. */
const rejectedLetter = (item: Publishable, outcome: ItemOutcome & { _tag: "Rejected" }, at: string): DeadLetterMessage =>
  deadLetter({
    error: new PublishRejectedError({ awsCode: outcome.code }),
    coordinates: item.coordinates,
    at,
    attempts: outcome.attempts,
    eventId: item.eventId,
    event: item.entry
  })

/**
 * Runs one window of fresh records (in sequence order) through the batch program's sequence.
 * No DLQ send or PutEvents request is started at or after `stopAt` (epoch millis), and one still
 * running then is interrupted: its records stay unhandled, as after a failed call (what it sent
 * is sent again on the retry, under the same ids).
 */
export const processWindow = (
  shard: ShardRef,
  records: ReadonlyArray<KinesisStreamRecord>,
  now: number,
  stopAt: number = Number.POSITIVE_INFINITY
) =>
  Effect.gen(function* () {
    const path = yield* RecordPath
    const at = new Date(now).toISOString()
    const { items, drift } = shardItems(path, shard, records, now)
    const handled = items.map((item) => item._tag === "Filtered")
    const filtered = new Map<string, number>()
    const deadLettered = new Map<string, number>()
    for (const item of items) if (item._tag === "Filtered") increment(filtered, item.reason)

    let outOfTime = false
    /** `effect` if it ends by `stopAt`; else `onLate`, and the window is out of time. */
    const inTime = <A, E, R>(effect: Effect.Effect<A, E, R>, onLate: () => A) =>
      endingByOr(stopAt, effect, () =>
        Effect.sync(() => {
          outOfTime = true
          return onLate()
        })
      )

    const park = (dead: ReadonlyArray<{ item: ShardItem; message: DeadLetterMessage }>) =>
      Effect.map(
        dead.length === 0
          ? Effect.succeed([])
          : inTime(
              publishDeadLetters(
                dead.map((d) => d.message),
                { untilFirstFailure: true }
              ),
              (): ReadonlyArray<{ readonly _tag: string }> => []
            ),
        (outcomes) =>
          dead.filter(({ item, message }, i) => {
            const done = outcomes[i]?._tag === "Done"
            if (done) {
              handled[item.index] = true
              increment(deadLettered, message.reason)
            }
            return !done
          })
      )

    // Poison first: a record the DLQ could not take is where the window (and the shard) stops.
    const dead = items.flatMap((item) =>
      item._tag === "Dead"
        ? [{ item, message: deadLetter({ error: item.error, coordinates: item.coordinates, at, eventId: item.eventId }) }]
        : []
    )
    const notParked = yield* park(dead)
    const barrier = notParked[0]?.item.index ?? items.length

    // Publish in order, stopping after the first request with unfinished entries. Entries the bus
    // refused for good are dead-lettered before the next request goes out: one the DLQ could not
    // take stays unhandled, so Lambda retries from it, and a later change of its entity must not
    // have been published by then.
    const publishable = items.filter((item): item is Publishable => item._tag === "Publish" && item.index < barrier)
    const chunks = chunkEntries(publishable, { key: (item) => item.orderingKey, entry: (item) => item.entry })
    let published = 0
    const publishAndPark = (chunk: ReadonlyArray<Publishable>) =>
      Effect.gen(function* () {
        const outcomes = yield* inTime(
          Effect.map(publishChunk(chunk), (sent) => sent.outcomes),
          (): ReadonlyArray<ItemOutcome> => []
        )
        if (outcomes.length === 0) return true // out of time: the chunk is unhandled, publishing stops
        const rejected: Array<{ item: ShardItem; message: DeadLetterMessage }> = []
        chunk.forEach((item, i) => {
          const outcome = outcomes[i]
          if (outcome?._tag === "Done") {
            handled[item.index] = true
            published++
          } else if (outcome?._tag === "Rejected") rejected.push({ item, message: rejectedLetter(item, outcome, at) })
        })
        const notParked = yield* park(rejected)
        return outcomes.some((o) => o._tag === "Unfinished") || notParked.length > 0
      })
    yield* Stream.fromIterable(chunks).pipe(
      Stream.mapEffect(publishAndPark),
      Stream.takeUntil((stopped) => stopped),
      Stream.runDrain
    )

    const firstUnhandled = handled.indexOf(false)
    const prefix = firstUnhandled === -1 ? items.length : firstUnhandled
    const report: WindowReport = {
      size: items.length,
      published,
      filtered,
      deadLettered,
      drift,
      lastHandled: items[prefix - 1]?.sequenceNumber,
      firstUnhandled: items[firstUnhandled]?.sequenceNumber,
      leftForRetry: items.length - prefix,
      outOfTime
    }
    return report
  })
