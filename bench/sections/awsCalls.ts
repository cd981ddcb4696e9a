/**
 * Section 2, AWS calls per 1,000 records on the emulator, counted at the SDK boundary
 * (../lib/SdkBoundary: every attempt the SDK sends): our processor handler (the module Lambda
 * runs, `@cdc/functions/processor`) next to the reference design's per-record flow
 * (../reference/handler), on the same 1,000 records of all twelve tables, delivered the way the
 * event source mapping would: one batch per shard, at the deployed batch size.
 *
 * Targets: ≤ 101 `PutEvents` per 1,000 records and ≤ 2 checkpoint writes per shard per batch,
 * vs ~1,000 and ~2,000 for the reference design.
 */
import { makeRecordPath } from "@cdc/domain/RecordPath"
import { developmentRedactionKeys } from "@cdc/domain/RedactionKeys"
import { sampleChanges } from "@cdc/testkit/Changes"
import { toCdcEvent, toKinesisRecord } from "@cdc/testkit/InputShapes"
import type { KinesisStreamEvent } from "aws-lambda"
import type { Emulated } from "../lib/Emulated"
import { ratioText } from "../lib/measure"
import { acceptedEvents, countCalls, deliveryViolations } from "../lib/SdkBoundary"
import { makeReferenceHandler } from "../reference/handler"
import type { SectionOptions, SectionResult } from "./types"

const shards = 2
const total = 1_000

/** 1,000 records on two shards, as Lambda batches of at most `batchSize` records per shard. */
export const batchesOf = (batchSize: number, streamArn: string, shardPrefix = "shardId-calls-bench"): ReadonlyArray<KinesisStreamEvent> => {
  const changes = sampleChanges(total, 7)
  const perShard = Array.from({ length: shards }, (_, shard) =>
    changes
      .filter((_, index) => index % shards === shard)
      .map((change, index) =>
        toKinesisRecord(toCdcEvent(change), { index, shardId: `${shardPrefix}-${shard}`, streamArn, partitionKey: change.table })
      )
  )
  return perShard.flatMap((records) =>
    Array.from({ length: Math.ceil(records.length / batchSize) }, (_, b) => ({
      Records: records.slice(b * batchSize, (b + 1) * batchSize)
    }))
  )
}

const sumOf = (counts: Readonly<Record<string, number>>, match: RegExp) =>
  Object.entries(counts).reduce((sum, [key, n]) => (match.test(key) ? sum + n : sum), 0)

const tally = (counts: Readonly<Record<string, number>>) => ({
  putEvents: sumOf(counts, /^EventBridge\.PutEvents$/),
  dynamoReads: sumOf(counts, /^DynamoDB\.(GetItem|BatchGetItem|Query)$/),
  dynamoWrites: sumOf(counts, /^DynamoDB\.(PutItem|UpdateItem|BatchWriteItem)$/),
  sqs: sumOf(counts, /^SQS\./),
  total: sumOf(counts, /./)
})

export const run = async ({ log }: SectionOptions, emulated: Emulated): Promise<SectionResult> => {
  const { topology, provisioned } = emulated
  const batchSize = topology.functions.processor.source.batchSize
  // Coordinates of their own (stream and shard ids: the reference keys its checkpoint by shard
  // id only), so these checkpoints never meet the end-to-end run's, nor an earlier run's on an
  // emulator that outlives the run (AWS_ENDPOINT_URL): both flows would skip every record as a
  // duplicate of the checkpoints that run left.
  const run = `${Date.now().toString(36)}${Math.random().toString(36).slice(2, 6)}`
  const streamArn = `${provisioned.stream.arn}-calls-benchmark-${run}`
  const events = batchesOf(batchSize, streamArn, `shardId-calls-bench-${run}`)
  const { handler } = await import("@cdc/functions/processor")
  const violations: Array<string> = []
  log(`aws calls: ${total} records, ${shards} shards, ${events.length} batches of ≤ ${batchSize}`)

  const counter = countCalls((call) => !call.exempt)
  const accepted = acceptedEvents()
  for (const event of events) {
    const response = await handler(event, { awsRequestId: "bench", functionName: "bench" } as never)
    if (response.batchItemFailures.length > 0) violations.push(`our processor reported ${response.batchItemFailures.length} failures`)
  }
  accepted.stop()
  // the events the record path makes of these records: each must have reached the bus, once
  const path = makeRecordPath({ keys: developmentRedactionKeys, sourcePrefix: topology.sourcePrefix, eventBusName: provisioned.bus.name })
  const expected = new Set(
    events
      .flatMap((event) => event.Records.map((record) => path.fromKinesis(record, 0)))
      .flatMap((o) => (o._tag === "Publish" ? [o.eventId] : []))
  )
  // every generated record is valid and published: a path that filtered some would shrink both
  // the expected set and the PutEvents count, and pass
  if (expected.size !== total) violations.push(`the record path would publish ${expected.size} of ${total} records, not all`)
  violations.push(...deliveryViolations("our processor", expected, accepted.ids()))
  const ours = tally(counter.counts())

  counter.reset()
  const reference = makeReferenceHandler({
    eventBusName: provisioned.bus.name,
    stateTable: provisioned.stateTable.name,
    sourcePrefix: topology.sourcePrefix
  })
  for (const event of events) {
    const response = await reference(event)
    if (response.batchItemFailures.length > 0) violations.push(`the reference flow reported ${response.batchItemFailures.length} failures`)
  }
  const referenceCounts = tally(counter.counts())
  counter.stop()

  const writesPerShardBatch = ours.dynamoWrites / events.length
  const section = "2. AWS calls / 1,000 records"
  return {
    section,
    figures: { records: total, shards, batches: events.length, batchSize, ours, reference: referenceCounts },
    checks: [
      {
        section,
        name: "PutEvents calls",
        value: `${ours.putEvents} (reference ${referenceCounts.putEvents})`,
        target: "≤ 101",
        pass: ours.putEvents <= 101
      },
      {
        section,
        name: "checkpoint writes per shard per batch",
        value: `${ratioText(writesPerShardBatch, 2)} (reference ${referenceCounts.dynamoWrites} writes, ${referenceCounts.dynamoReads} reads in all)`,
        target: "≤ 2",
        pass: writesPerShardBatch <= 2
      },
      {
        section,
        name: "all AWS calls",
        value: `${ours.total} (reference ${referenceCounts.total})`,
        target: "fewer than reference (which publishes all)",
        // a reference that skipped records (as duplicates of an earlier run's checkpoints, say)
        // makes fewer calls than its per-record flow: no baseline
        pass: referenceCounts.putEvents >= total && ours.total < referenceCounts.total
      }
    ],
    violations
  }
}
