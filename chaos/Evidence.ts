/**
 * What the chaos run collects from outside the pipeline, with the harness's own (fault-free)
 * clients: every message of the consumer queues (their events in arrival order), the
 * DLQ messages as they arrive (before the DLQ worker takes them), the parking queue, and the
 * failure archive on S3 that the DLQ worker wrote.
 *
 * @example
 * ```ts
 * const recorder = makeRecorder(sourcePrefix)
 * yield* runSqsEventSource({ sqs, queue, batchSize: 10, handler: recorder.consumer("tap") })
 * ```
 */
import { GetObjectCommand, ListObjectsV2Command } from "@aws-sdk/client-s3"
import { SubscribeCommand } from "@aws-sdk/client-sns"
import { CreateQueueCommand, DeleteMessageBatchCommand, GetQueueAttributesCommand, ReceiveMessageCommand } from "@aws-sdk/client-sqs"
import { parseEnvelope } from "@cdc/cli/local/Consumers"
import { classifyDeadLetter } from "@cdc/cli/local/Ledger"
import { compareSequenceNumbers } from "@cdc/cli/local/PositionStore"
import type { SqsHandler } from "@cdc/cli/local/SqsEventSource"
import * as Effect from "effect/Effect"
import type { Emulated } from "../bench/lib/Emulated"
import { type DeadLetterEvidence, type Delivery, eventContent } from "./Verify"

export interface Recorder {
  /** A consumer that keeps every body it receives under `where`, and each event as a delivery on that queue. */
  readonly consumer: (where: string) => SqsHandler
  /** Keeps a dead-letter body from the DLQ (the event source's `observe` hook) or the parking queue. */
  readonly deadLetterMessage: (where: "dlq" | "parking") => (body: string) => void
  readonly deliveries: ReadonlyArray<Delivery>
  readonly deadLetters: Array<DeadLetterEvidence>
  readonly bodies: Map<string, Array<string>>
}

/** The {@link eventContent} of an EventBridge envelope as a rule delivers it to a queue. */
const contentOfBody = (body: string): string => {
  const envelope = JSON.parse(body) as { source: string; "detail-type": string; time: string; detail: unknown }
  return eventContent({ source: envelope.source, detailType: envelope["detail-type"], time: envelope.time, detail: envelope.detail })
}

export const makeRecorder = (sourcePrefix: string): Recorder => {
  const deliveries: Array<Delivery> = []
  const deadLetters: Array<DeadLetterEvidence> = []
  const bodies = new Map<string, Array<string>>()
  const keep = (where: string, body: string) => {
    const list = bodies.get(where) ?? []
    list.push(body)
    bodies.set(where, list)
  }
  const asDeadLetter = (body: string, where: DeadLetterEvidence["where"]) => {
    const { reason, record, range, covers } = classifyDeadLetter(body)
    if (covers) deadLetters.push({ reason, record, where, ...(range ? { range } : {}) })
  }
  return {
    consumer: (where) => (event) =>
      Effect.sync(() => {
        for (const record of event.Records) {
          keep(where, record.body)
          const envelope = parseEnvelope(record.body, sourcePrefix)
          if (envelope === undefined) continue
          const detail = envelope.detail as { entityId?: unknown }
          deliveries.push({
            sequenceNumber: envelope.sequenceNumber,
            eventId: envelope.eventId,
            key: `${envelope.table}#${String(detail.entityId)}`,
            queue: where,
            content: contentOfBody(record.body)
          })
        }
        return { batchItemFailures: [] }
      }),
    deadLetterMessage: (where) => (body) => {
      keep(where, body)
      asDeadLetter(body, where)
    },
    deliveries,
    deadLetters,
    bodies
  }
}

/** Every object of the failure archive: its text, and what it says about the record. */
/** The dead letters an archive's objects account for: each failure's record and code, no schema-drift notice. */
export const archivedDeadLetters = (texts: ReadonlyArray<string>): Array<DeadLetterEvidence> =>
  texts.flatMap((text) => {
    try {
      const failure = JSON.parse(text) as { kind?: string; code?: string; coordinates?: { shardId?: string; sequenceNumber?: string } }
      const { shardId, sequenceNumber } = failure.coordinates ?? {}
      if (failure.kind === "cdc.schema-drift") return []
      const record = shardId !== undefined && sequenceNumber !== undefined ? `${shardId}:${sequenceNumber}` : undefined
      return [{ record, reason: failure.code ?? "unknown", where: "archive" as const }]
    } catch {
      return []
    }
  })

const within = (record: string, range: NonNullable<DeadLetterEvidence["range"]>) => {
  const [shardId, sequenceNumber = ""] = record.split(":")
  return (
    shardId === range.shardId &&
    compareSequenceNumbers(sequenceNumber, range.start) >= 0 &&
    compareSequenceNumbers(sequenceNumber, range.end) <= 0
  )
}

/**
 * The DLQ messages (seen as they arrived, before the DLQ worker took them) that left no failure
 * in the archive and were not parked: a worker that acknowledged a message without archiving it
 * lost it, even though the message itself was seen. A dead letter needs its record's object; an
 * on-failure record (a discarded batch) an object of a record in its range.
 *
 * @example
 * ```ts
 * unarchived([...recorder.deadLetters, ...archive.deadLetters]) // ["shardId-0:7 (invalid-json)"]
 * ```
 */
export const unarchived = (deadLetters: ReadonlyArray<DeadLetterEvidence>): ReadonlyArray<string> => {
  const kept = deadLetters.filter((dead) => dead.where !== "dlq")
  const keptRecords = new Set(kept.flatMap((dead) => (dead.record === undefined ? [] : [dead.record])))
  return deadLetters
    .filter((dead) => dead.where === "dlq")
    .filter((dead) =>
      dead.range !== undefined
        ? !kept.some(
            (other) =>
              (other.record !== undefined && within(other.record, dead.range as NonNullable<typeof dead.range>)) ||
              (other.range?.shardId === dead.range?.shardId && other.range?.start === dead.range?.start)
          )
        : dead.record !== undefined && !keptRecords.has(dead.record)
    )
    .map((dead) =>
      dead.range !== undefined
        ? `${dead.range.shardId}:${dead.range.start}..${dead.range.end} (${dead.reason})`
        : `${dead.record} (${dead.reason})`
    )
}

/**
 * How many of `texts` (DLQ bodies, archive objects) are schema-drift notices: the processor's only
 * word of a drift, which no other check of the run would miss.
 *
 * @example
 * ```ts
 * driftNotices(['{"kind":"cdc.schema-drift","reason":"ddl-add-column"}', "{}"]) // 1
 * ```
 */
export const driftNotices = (texts: ReadonlyArray<string>): number => texts.filter((text) => classifyDeadLetter(text).notice).length

export const readArchive = async (emulated: Emulated) => {
  const { s3 } = emulated.clients
  const bucket = emulated.provisioned.archiveBucket.name
  const objects: Array<{ key: string; text: string }> = []
  let token: string | undefined
  do {
    const page = await s3.send(new ListObjectsV2Command({ Bucket: bucket, ContinuationToken: token }))
    for (const item of page.Contents ?? []) {
      const object = await s3.send(new GetObjectCommand({ Bucket: bucket, Key: item.Key }))
      objects.push({ key: item.Key ?? "", text: (await object.Body?.transformToString()) ?? "" })
    }
    token = page.NextContinuationToken
  } while (token)
  return { objects, deadLetters: archivedDeadLetters(objects.map((o) => o.text)) }
}

/** Empties a queue into the recorder (for the parking queue, which no function consumes). */
export const drainQueue = async (emulated: Emulated, url: string, each: (body: string) => void) => {
  const { sqs } = emulated.clients
  while (true) {
    const page = await sqs.send(new ReceiveMessageCommand({ QueueUrl: url, MaxNumberOfMessages: 10, WaitTimeSeconds: 0 }))
    const messages = page.Messages ?? []
    if (messages.length === 0) return
    for (const message of messages) each(message.Body ?? "")
    await sqs.send(
      new DeleteMessageBatchCommand({
        QueueUrl: url,
        Entries: messages.map((message, index) => ({ Id: String(index), ReceiptHandle: message.ReceiptHandle }))
      })
    )
  }
}

/**
 * A queue subscribed to an SNS topic (raw delivery off: each body is SNS's notification JSON,
 * the alert in its `Message`); returns the queue URL.
 *
 * @example
 * ```ts
 * const url = await subscribeQueue(emulated, provisioned.alertTopic.arn, "cdc-pipeline-chaos-alerts")
 * ```
 */
export const subscribeQueue = async (emulated: Emulated, topicArn: string, name: string): Promise<string> => {
  const { sqs, sns } = emulated.clients
  const url = (await sqs.send(new CreateQueueCommand({ QueueName: name }))).QueueUrl as string
  const attributes = await sqs.send(new GetQueueAttributesCommand({ QueueUrl: url, AttributeNames: ["QueueArn"] }))
  await sns.send(new SubscribeCommand({ TopicArn: topicArn, Protocol: "sqs", Endpoint: attributes.Attributes?.QueueArn }))
  return url
}
