/**
 * The DLQ worker's program: one SQS batch in, `{ batchItemFailures }` out.
 *
 * Each message is classified ({@link classifyDelivery}), turned into archived failures (records of
 * a discarded Kinesis batch are fetched back from the stream first; those already past its
 * retention are archived as one `records-expired` failure), and archived, write-once.
 * Then one alert per distinct problem of the batch is published, unless the problem was alerted
 * within its window (./AlertWindow: one alert per problem per 15 minutes, the rest counted). A message is reported as failed
 * (and redelivered by SQS) only when a dependency failed after its retries: the stream read, the
 * archive write, or the alert of one of its problems. A malformed message is archived and alerted
 * like any failure and then acknowledged, so it is never retried forever.
 *
 * Logs name messages, keys, codes and counts; never a record value.
 *
 * @example
 * ```ts
 * const { batchItemFailures } = yield* handleDlqBatch(deliveries)
 * ```
 */
import type { Classified } from "@cdc/domain/Classified"
import * as Clock from "effect/Clock"
import * as Effect from "effect/Effect"
import * as Random from "effect/Random"
import * as Result from "effect/Result"
import * as Semaphore from "effect/Semaphore"
import { endingByOr } from "../BatchTime"
import { clipped, maxNameLength } from "../Clipped"
import { retrying } from "../RetryPolicy"
import { type Alert, Alerts, type ArchivedItem, groupAlerts } from "./Alerts"
import { type Admission, AlertWindow } from "./AlertWindow"
import { Archive } from "./Archive"
import type { ArchivedFailure } from "./ArchivedFailure"
import { classifyDelivery, type DlqDelivery, type DlqInput } from "./DlqInput"
import { DlqRecordPath } from "./DlqRecordPath"
import { expiredBatch, fromDeadLetter, fromStreamRecord, malformed, partlyExpiredBatch } from "./Failures"
import { type Problem, problemKey } from "./Problem"
import { RecordFetcher } from "./RecordFetcher"

export interface DlqBatchResponse {
  readonly batchItemFailures: Array<{ readonly itemIdentifier: string }>
}

/** How many messages of a batch are worked on at once. */
const concurrency = 8

/**
 * The stream is read for one discarded batch at a time per invocation (`streamReads`, one
 * permit): its shards' 5 `GetRecords` calls a second are shared with the processor, which the
 * mapping's maximum concurrency (2 invocations) protects only if an invocation reads one range
 * at a time. The archive writes of its messages still overlap.
 */
const failuresOf = Effect.fnUntraced(function* (input: DlqInput, archivedAt: string, now: number, streamReads: Semaphore.Semaphore) {
  switch (input._tag) {
    case "DeadLetter":
      return [fromDeadLetter(input, archivedAt)]
    case "Malformed":
      return [malformed(input, archivedAt)]
    case "StreamFailure": {
      const info = input.record.KinesisBatchInfo
      const fetcher = yield* RecordFetcher
      const records = yield* streamReads.withPermit(
        fetcher.fetchRange({
          streamArn: info.streamArn,
          shardId: info.shardId,
          startSequenceNumber: info.startSequenceNumber,
          endSequenceNumber: info.endSequenceNumber
        })
      )
      if (records.length === 0) return [expiredBatch(input, archivedAt)]
      const path = yield* DlqRecordPath
      const failures = records.map((record) => fromStreamRecord(input, record, path.outcomeOf(record, now), archivedAt))
      if (records.length >= info.batchSize) return failures
      // the missing records are lost for good: archived (and so alerted) as one failure, not only logged
      yield* Effect.logWarning("discarded batch partly expired").pipe(
        Effect.annotateLogs({ shardId: info.shardId, batchSize: info.batchSize, found: records.length })
      )
      return [...failures, partlyExpiredBatch(input, records.length, archivedAt)]
    }
  }
})

/**
 * Archive writes in flight per message. A discarded batch is up to 500 records, one object each:
 * written one after another at S3's tens of milliseconds per PUT, one message could outlast the
 * worker's timeout, and the whole SQS batch would come back again and again until parked.
 */
const archiveConcurrency = 16

/**
 * Every failure of a message archived, each put on its own: the objects written, and the first
 * put that failed after its retries, if any. Those written are alerted in this run even when
 * another put failed (and the message is redelivered): by its next delivery, their records may
 * be past the stream's retention, and a poison record archived but never alerted would go
 * unnoticed.
 */
const archiveAll = Effect.fnUntraced(function* (failures: ReadonlyArray<ArchivedFailure>) {
  const archive = yield* Archive
  const puts = yield* Effect.forEach(
    failures,
    (failure) =>
      Effect.result(
        Effect.map(
          retrying("dlq-send", archive.put(failure)),
          (put): ArchivedItem => ({ failure, put, location: archive.location(put.key) })
        )
      ),
    { concurrency: archiveConcurrency }
  )
  const items = puts.flatMap((put) => (Result.isSuccess(put) ? [put.success] : []))
  const refused = puts.find(Result.isFailure)
  return { items, failure: refused === undefined ? undefined : refused.failure }
})

/** One message: classified, expanded, archived. Fails only when its stream read failed. */
const processDelivery = Effect.fnUntraced(function* (delivery: DlqDelivery, streamReads: Semaphore.Semaphore) {
  const now = yield* Clock.currentTimeMillis
  const archivedAt = new Date(now).toISOString()
  const input = classifyDelivery(delivery, (yield* DlqRecordPath).fingerprint)
  const { items, failure } = yield* archiveAll(yield* failuresOf(input, archivedAt, now, streamReads))
  return { kind: input._tag, items, failure }
})

/**
 * How long before its end (`endsAt`) a batch stops archiving (messages still running are
 * interrupted and redelivered) and then publishing alerts: a Lambda timeout would send every
 * message of the batch back, the archived ones too, and after five receives park them all.
 */
export const dlqBatchLimits = { messagesBeforeEndMillis: 15_000, alertsBeforeEndMillis: 5_000, confirmsBeforeEndMillis: 2_000 } as const

/** Out of the batch's time: classified as a transient failure, for the logs. */
const outOfTime: Classified & { readonly _tag: string; readonly message: string } = {
  _tag: "OutOfTime",
  category: "transient",
  code: "out-of-time",
  retryable: true,
  message: "the batch's time ran out"
}

/**
 * Publishes `alert` unless its problem's window keeps it quiet (see ./AlertWindow): the
 * admission it was published under, `"quiet"`, or `"unwindowed"` (published without a window).
 * A window that cannot be read or claimed sends the alert anyway: a duplicate page is better than
 * a missed one. The claim's token is drawn once, so a retried claim whose first write landed
 * finds itself. An alert SNS refused releases its claim at once, so its redelivery alerts; if the
 * release fails too, or the batch's end interrupts the publish, the claim lapses by itself.
 */
const alertWithin = Effect.fnUntraced(function* (alertWindow: AlertWindow["Service"], alerts: Alerts["Service"], alert: Alert) {
  const problem: Problem = { table: alert.table, category: alert.category, code: alert.code, columns: alert.columns }
  const claimId = `${(yield* Random.nextIntBetween(0, 2 ** 31)).toString(36)}${(yield* Random.nextIntBetween(0, 2 ** 31)).toString(36)}`
  const admission = yield* retrying("dynamodb-write", alertWindow.admit(problem, alert.newlyArchived, claimId)).pipe(
    Effect.catch((failure) =>
      Effect.logWarning("alert window unavailable; the alert is sent without it").pipe(
        Effect.annotateLogs(windowAnnotations(alert, failure)),
        Effect.as(undefined)
      )
    )
  )
  if (admission?._tag === "Quiet") return "quiet" as const
  yield* retrying(
    "dlq-send",
    alerts.publish({
      ...alert,
      quieted: admission?.quieted,
      quietUntil: admission !== undefined && admission.windowEndsAt > admission.windowStartedAt ? admission.windowEndsAt : undefined
    })
  ).pipe(
    Effect.tapError(() =>
      admission === undefined ? Effect.void : Effect.ignore(retrying("dynamodb-write", alertWindow.release(problem, admission)))
    )
  )
  return admission ?? ("unwindowed" as const)
})

/**
 * After its alert was published, the window is confirmed, by `at` (a confirm the batch's end cuts
 * off is a failed one). Its failure is logged, never the alert's: the alert went out. The claim
 * then lapses, and the problem's next alert is one more than needed, with the same counts.
 */
const confirmBy = (at: number, alertWindow: AlertWindow["Service"], alert: Alert, admission: Admission & { readonly _tag: "Alert" }) =>
  Effect.flatMap(resultBy(at, retrying("dynamodb-write", alertWindow.confirm(alert, admission))), (confirmed) =>
    Result.isSuccess(confirmed)
      ? Effect.void
      : Effect.logWarning("alert window not confirmed; the problem's next alert will be sent too").pipe(
          Effect.annotateLogs(windowAnnotations(alert, confirmed.failure))
        )
  )

/** A record decides an unknown table's name: bounded in the logs as in the alerts. */
const windowAnnotations = (alert: Alert, failure: Classified) => ({
  ...errorAnnotations(undefined, failure),
  table: clipped(alert.table, maxNameLength),
  problem: clipped(alert.code, maxNameLength)
})

/** `effect`'s result, with running out of time before `at` as a failure. */
const resultBy = <A, E extends Classified, R>(at: number, effect: Effect.Effect<A, E, R>) =>
  Effect.result(endingByOr(at, effect, () => Effect.fail(outOfTime)))

/**
 * Handles one SQS batch of the DLQ, returning by `options.endsAt` (epoch millis, as the Clock
 * reads them; the Lambda context's remaining time) when given.
 *
 * @example
 * ```ts
 * handleDlqBatch([{ messageId: "m-1", body: "{}" }]) // archives a malformed message, alerts, acknowledges it
 * ```
 */
export const handleDlqBatch = Effect.fn("dlq.batch")(function* (
  deliveries: ReadonlyArray<DlqDelivery>,
  options: { readonly endsAt?: number | undefined } = {}
) {
  const end = options.endsAt ?? Number.POSITIVE_INFINITY
  const failed = new Set<string>()
  const streamReads = yield* Semaphore.make(1)
  const notArchived = (delivery: DlqDelivery, failure: Classified) =>
    Effect.logWarning("DLQ message not archived; SQS will redeliver it").pipe(
      Effect.annotateLogs(errorAnnotations(delivery.messageId, failure))
    )
  const outcomes = yield* Effect.forEach(
    deliveries,
    (delivery) =>
      resultBy(end - dlqBatchLimits.messagesBeforeEndMillis, processDelivery(delivery, streamReads)).pipe(
        Effect.tap((result) => (Result.isFailure(result) ? notArchived(delivery, result.failure) : Effect.void))
      ),
    { concurrency }
  )
  const archived: Array<ArchivedItem> = []
  const kinds: Record<string, number> = {}
  for (const [index, outcome] of outcomes.entries()) {
    const delivery = deliveries[index] as DlqDelivery
    if (Result.isFailure(outcome)) {
      failed.add(delivery.messageId)
      continue
    }
    kinds[outcome.success.kind] = (kinds[outcome.success.kind] ?? 0) + 1
    // what was written is alerted now, even if another of its objects was not (see archiveAll)
    archived.push(...outcome.success.items)
    if (outcome.success.failure !== undefined) {
      failed.add(delivery.messageId)
      yield* notArchived(delivery, outcome.success.failure)
    }
  }

  const alerts = yield* Alerts
  const alertWindow = yield* AlertWindow
  let alertsPublished = 0
  let alertsQuieted = 0
  for (const alert of groupAlerts(archived)) {
    const sent = yield* resultBy(end - dlqBatchLimits.alertsBeforeEndMillis, alertWithin(alertWindow, alerts, alert))
    if (Result.isSuccess(sent)) {
      if (sent.success === "quiet") alertsQuieted++
      else {
        alertsPublished++
        if (sent.success !== "unwindowed") yield* confirmBy(end - dlqBatchLimits.confirmsBeforeEndMillis, alertWindow, alert, sent.success)
      }
      continue
    }
    const problem = problemKey(alert)
    for (const item of archived) if (problemKey(item.failure) === problem) failed.add(item.failure.delivery.messageId)
    yield* Effect.logWarning("alert not published; its messages will be redelivered").pipe(
      Effect.annotateLogs(windowAnnotations(alert, sent.failure))
    )
  }

  const created = archived.filter((item) => item.put.created).length
  yield* Effect.logInfo("dlq batch").pipe(
    Effect.annotateLogs({
      messages: deliveries.length,
      // the DLQ messages by what they were: DeadLetter, StreamFailure (an on-failure record), Malformed
      kinds,
      archived: created,
      duplicates: archived.length - created,
      alerts: alertsPublished,
      alertsQuieted,
      failedMessages: failed.size
    })
  )
  const response: DlqBatchResponse = { batchItemFailures: [...failed].map((itemIdentifier) => ({ itemIdentifier })) }
  return response
})

const errorAnnotations = (messageId: string | undefined, error: Classified) => ({
  ...(messageId === undefined ? {} : { messageId }),
  errorTag: error._tag,
  category: error.category,
  code: error.code,
  error: error.message
})
