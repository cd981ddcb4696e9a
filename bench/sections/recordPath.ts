/**
 * Section 1, the pure record path: records per second of our `RecordPath.fromKinesis` next to the
 * floor (base64 decode + `JSON.parse` + `JSON.stringify` of the same records) and to the reference
 * design's engine (./../reference/engine) on the same records, all in the reference design's CDC
 * event shape (the only shape the reference engine reads), twelve tables, one process.
 *
 * Targets: at most 2.0x the floor's time per record; not slower than the reference design.
 */
import { makeRecordPath } from "@cdc/domain/RecordPath"
import { developmentRedactionKeys } from "@cdc/domain/RedactionKeys"
import { sampleChanges, sensitiveValues, toCdcEvent, toKinesisRecord } from "@cdc/testkit/Changes"
import { bestRate, round } from "../lib/measure"
import { ReferenceEngine } from "../reference/engine"
import { referenceConfigs } from "../reference/tables"
import type { SectionOptions, SectionResult } from "./types"

export const run = async ({ quick, log }: SectionOptions): Promise<SectionResult> => {
  const count = quick ? 2_400 : 12_000
  const rounds = quick ? 5 : 15
  const changes = sampleChanges(count, 2024)
  const records = changes.map((change, index) => toKinesisRecord(toCdcEvent(change), { index }))
  const path = makeRecordPath({ keys: developmentRedactionKeys, sourcePrefix: "cdc-pipeline", eventBusName: "cdc-bus" })
  const engine = new ReferenceEngine(referenceConfigs())
  const now = 1_705_314_601_000

  // Correctness first: every record publishes and no protected value survives.
  const violations: Array<string> = []
  records.forEach((record, index) => {
    const outcome = path.fromKinesis(record, now)
    if (outcome._tag !== "Publish") violations.push(`record ${index} (${changes[index]!.table}) was ${outcome._tag}, expected Publish`)
    else {
      const change = changes[index]!
      const leaked = [...sensitiveValues(change.table, change.after ?? {}), ...sensitiveValues(change.table, change.before ?? {})].find(
        (value) => outcome.entry.Detail.includes(value)
      )
      if (leaked !== undefined) violations.push(`record ${index} (${change.table}) published a protected value`)
    }
  })

  let sink = 0
  log(`record path: ${count} records, best of ${rounds}`)
  const floor = bestRate(count, rounds, () => {
    for (const record of records) sink += JSON.stringify(JSON.parse(Buffer.from(record.kinesis.data, "base64").toString("utf8"))).length
  })
  const ours = bestRate(count, rounds, () => {
    for (const record of records) {
      const outcome = path.fromKinesis(record, now)
      if (outcome._tag === "Publish") sink += outcome.entry.Detail.length
    }
  })
  const reference = bestRate(count, rounds, () => {
    for (const record of records) sink += engine.process(record.kinesis.data).length
  })
  if (sink < 0) log(String(sink))

  const vsFloor = floor / ours
  const vsReference = ours / reference
  return {
    section: "1. record path",
    figures: {
      records: count,
      rounds,
      recordsPerSecond: { floor: Math.round(floor), ours: Math.round(ours), reference: Math.round(reference) },
      timeVsFloor: round(vsFloor),
      speedVsReference: round(vsReference)
    },
    checks: [
      {
        section: "1. record path",
        name: "time per record vs floor (JSON.parse+stringify)",
        value: `${round(vsFloor)}x (${Math.round(ours).toLocaleString("en-US")} vs ${Math.round(floor).toLocaleString("en-US")} rec/s)`,
        target: "≤ 2.0x",
        pass: vsFloor <= 2
      },
      {
        section: "1. record path",
        name: "speed vs reference engine",
        value: `${round(vsReference)}x (reference ${Math.round(reference).toLocaleString("en-US")} rec/s)`,
        target: "≥ 1.0x",
        pass: vsReference >= 1
      }
    ],
    violations: violations.slice(0, 10)
  }
}
