/**
 * Section 3, end-to-end records per second through the local pipeline on the emulator: the same
 * records (all twelve tables, in the reference design's CDC event shape, which both sides read)
 * are written once to the provisioned stream, then the same local event source mapping
 * (`@cdc/cli/local/KinesisEventSource`, the deployed batch size and window) drains the stream
 * once into our processor handler and once, from the start again, into the reference design's
 * per-record handler. Time from the first poll to the last position acknowledged.
 *
 * The rate that counts is records DELIVERED (sent to EventBridge) per second. The reference
 * handler as written compares sequence numbers as strings, so on the emulator (whose sequence
 * numbers vary in length) it skips most records as "duplicates" and finishes early having
 * published a fraction of them: a flow that delivers little would make any comparison of speed
 * pass. The baseline is therefore the reference flow with that comparison fixed (see
 * ../reference/handler), which delivers every record; the target fails if it does not. Records
 * drained per second is reported too, with the number each side lost.
 */
import { mkdtempSync } from "node:fs"
import { tmpdir } from "node:os"
import path from "node:path"
import { PurgeQueueCommand } from "@aws-sdk/client-sqs"
import { compareSequenceNumbers } from "@cdc/cli/local/PositionStore"
import { putAll } from "@cdc/cli/local/StreamWriter"
import { makeRecordPath } from "@cdc/domain/RecordPath"
import { developmentRedactionKeys } from "@cdc/domain/RedactionKeys"
import { sampleChanges } from "@cdc/testkit/Changes"
import { toCdcEvent } from "@cdc/testkit/InputShapes"
import * as Effect from "effect/Effect"
import type { Emulated } from "../lib/Emulated"
import { ratioText, round } from "../lib/measure"
import { drainWith } from "../lib/Poller"
import { acceptedEvents, deliveryViolations, intercept } from "../lib/SdkBoundary"
import { makeReferenceHandler } from "../reference/handler"
import type { SectionOptions, SectionResult } from "./types"

export const run = async ({ quick, log }: SectionOptions, emulated: Emulated): Promise<SectionResult> => {
  const { provisioned, topology, clients } = emulated
  const count = quick ? 300 : 3_000
  const changes = sampleChanges(count, 11)
  const records = changes.map((change, index) => ({
    partitionKey: `${change.table}-${index % 97}`,
    data: JSON.stringify(toCdcEvent(change))
  }))
  const placed = await Effect.runPromise(putAll(clients.kinesis, { streamName: provisioned.stream.name }, records))
  const targets = new Map<string, string>()
  for (const at of placed) {
    const current = targets.get(at.shardId)
    if (current === undefined || compareSequenceNumbers(at.sequenceNumber, current) > 0) targets.set(at.shardId, at.sequenceNumber)
  }
  log(`end to end: ${count} records on ${targets.size} shards`)
  const directory = mkdtempSync(path.join(tmpdir(), "cdc-bench-"))
  const timeout = quick ? 180_000 : 600_000

  // Entries that reached EventBridge, per side: the reference design compares sequence numbers
  // as strings, so it may skip records as "duplicates" that it never published.
  let entries = 0
  const stopCounting = intercept((call, next) => {
    if (call.operation === "PutEvents" && !call.exempt) entries += (call.input.Entries as ReadonlyArray<unknown> | undefined)?.length ?? 0
    return next()
  })
  const { handler } = await import("@cdc/functions/processor")
  // The emulator's PutEvents slows down with the messages its rules have queued and nobody reads
  // (≈ 26 ms an entry on empty queues, ≈ 120 ms after 1,500 events): each side starts on empty
  // queues, or the side run second (and this section after section 2) pays for the backlog.
  const purgeQueues = async () => {
    const { tap, deliveryDlq, dlq, parkingQueue, consumerQueues } = provisioned
    for (const queue of [tap, deliveryDlq, dlq, parkingQueue, ...consumerQueues])
      for (let attempt = 0; ; attempt++)
        try {
          await clients.sqs.send(new PurgeQueueCommand({ QueueUrl: queue.url }))
          break
        } catch (error) {
          // one purge per queue a minute: the second side waits for it
          if (!(error instanceof Error && error.name === "PurgeQueueInProgress") || attempt >= 15) throw error
          await new Promise((resolve) => setTimeout(resolve, 5_000))
        }
  }
  await purgeQueues()
  const accepted = acceptedEvents()
  const ours = await drainWith(emulated, handler, targets, path.join(directory, "ours.json"), timeout)
  accepted.stop()
  const oursEntries = entries
  entries = 0
  // each record's event, by the id its stream position gives it, must have reached the bus
  const recordPath = makeRecordPath({ keys: developmentRedactionKeys, sourcePrefix: topology.sourcePrefix, eventBusName: "bench" })
  const expected = new Set(
    placed.flatMap((at, index) => {
      const outcome = recordPath.fromPayload(records[index]!.data, { shardId: at.shardId, sequenceNumber: at.sequenceNumber }, 0)
      return outcome._tag === "Publish" ? [outcome.eventId] : []
    })
  )
  log(`  ours: ${round(ours.seconds)} s, ${oursEntries} entries sent`)
  const reference = makeReferenceHandler({
    eventBusName: provisioned.bus.name,
    stateTable: provisioned.stateTable.name,
    sourcePrefix: topology.sourcePrefix,
    sequenceComparison: "fixed"
  })
  await purgeQueues()
  const acceptedFromReference = acceptedEvents()
  const baseline = await drainWith(emulated, reference, targets, path.join(directory, "reference.json"), timeout)
  acceptedFromReference.stop()
  const referenceEntries = entries
  // entries the bus accepted (the reference design's ids are random per send, so a re-sent
  // record counts twice here too; a refused entry does not)
  const referenceDelivered = acceptedFromReference.ids().size
  stopCounting()
  log(`  reference: ${round(baseline.seconds)} s, ${referenceEntries} entries sent`)

  const violations: Array<string> = []
  if (!ours.drained) violations.push(`our pipeline did not drain ${count} records within ${timeout / 1000} s`)
  violations.push(...deliveryViolations("our pipeline", expected, accepted.ids()))
  if (ours.exhausted.length > 0) violations.push(`our pipeline gave up on ${ours.exhausted.length} batch(es)`)
  // distinct events the bus accepted (a retried entry is sent twice, delivered once)
  const oursDelivered = accepted.ids().size
  const oursRate = oursDelivered / ours.seconds
  // the baseline must have delivered every record, or a faster rate says nothing
  const fairBaseline = baseline.drained && referenceDelivered >= count
  const referenceRate = baseline.drained ? referenceDelivered / baseline.seconds : 0
  const drainedRate = { ours: count / ours.seconds, reference: baseline.drained ? count / baseline.seconds : 0 }
  const section = "3. end to end"
  return {
    section,
    figures: {
      records: count,
      shards: targets.size,
      seconds: { ours: round(ours.seconds), reference: round(baseline.seconds) },
      deliveredPerSecond: { ours: Math.round(oursRate), reference: Math.round(referenceRate) },
      drainedPerSecond: { ours: Math.round(drainedRate.ours), reference: Math.round(drainedRate.reference) },
      lost: { ours: Math.max(0, count - oursDelivered), reference: Math.max(0, count - referenceDelivered) },
      referenceDrained: baseline.drained,
      entriesSentToEventBridge: { ours: oursEntries, reference: referenceEntries },
      delivered: { ours: oursDelivered, reference: referenceDelivered },
      referenceSequenceComparison: "fixed",
      speedup: round(oursRate / Math.max(referenceRate, 1e-9))
    },
    checks: [
      {
        section,
        name: "records delivered/s vs reference per-record flow",
        value: `${Math.round(oursRate)} vs ${Math.round(referenceRate)} rec/s (${ratioText(oursRate / Math.max(referenceRate, 1e-9), 1)}x; delivered ${oursDelivered} vs ${referenceDelivered} of ${count}; drained ${Math.round(drainedRate.ours)} vs ${Math.round(drainedRate.reference)} rec/s)`,
        target: "faster than reference (which delivers all)",
        pass: fairBaseline && oursRate > referenceRate
      }
    ],
    violations
  }
}
