/**
 * Section 1's measurement, run as a bundled child of `npm run bench` (see ../sections/recordPath):
 * records per second of `RecordPath.fromKinesis`, of the floor (base64 decode + `JSON.parse` +
 * `JSON.stringify` of the same records) and of the reference design's engine, over the same
 * records of all twelve tables in the reference CDC event shape (the only shape the reference
 * engine reads). Rounds alternate between the three so that load from other processes on a shared
 * machine hits all alike. Prints one JSON object on stdout: medians over the rounds.
 *
 * Usage: `node child.mjs [--quick]`
 */
import { makeRecordPath } from "@cdc/domain/RecordPath"
import { developmentRedactionKeys } from "@cdc/domain/RedactionKeys"
import { sensitiveValues } from "@cdc/testkit/SensitiveValues"
import { median } from "../lib/measure"
import { ReferenceEngine } from "../reference/engine"
import { referenceConfigs } from "../reference/tables"
import { floorPass, processedAtMillis as now, recordPathPass, workload } from "./workload"

const quick = process.argv.includes("--quick")
const count = quick ? 2_400 : 12_000
const rounds = quick ? 30 : 80
const { changes, records } = workload(count)
const path = makeRecordPath({ keys: developmentRedactionKeys, sourcePrefix: "cdc-pipeline", eventBusName: "cdc-bus" })
const engine = new ReferenceEngine(referenceConfigs())

// Correctness first: every record publishes and no protected value survives.
const violations: Array<string> = []
records.forEach((record, index) => {
  const change = changes[index]!
  const outcome = path.fromKinesis(record, now)
  if (outcome._tag !== "Publish") violations.push(`record ${index} (${change.table}) was ${outcome._tag}, expected Publish`)
  else if (
    [...sensitiveValues(change.table, change.after ?? {}), ...sensitiveValues(change.table, change.before ?? {})].some((v) =>
      // the plain value, and as it would be written inside a JSON string (quotes, backslashes)
      [v, JSON.stringify(v).slice(1, -1)].some((form) => outcome.entry.Detail.includes(form))
    )
  )
    violations.push(`record ${index} (${change.table}) published a protected value`)
})

let sink = 0
const passes = { floor: floorPass(records), ours: recordPathPass(path, records) }
const runs = {
  floor: () => {
    sink += passes.floor()
  },
  ours: () => {
    sink += passes.ours()
  },
  reference: () => {
    for (const record of records) sink += engine.process(record.kinesis.data).length
  }
}
// Each round times the three back to back; a round's ratios compare runs a few milliseconds apart,
// so load from other processes (these machines are shared) mostly cancels out. The figures are
// the medians over the rounds: a single lucky or unlucky round moves neither.
const seconds = { floor: [] as Array<number>, ours: [] as Array<number>, reference: [] as Array<number> }
const timeVsFloor: Array<number> = []
const speedVsReference: Array<number> = []
for (const run of Object.values(runs)) run() // warm-up
for (let round = 0; round < rounds; round++) {
  const took = { floor: 0, ours: 0, reference: 0 }
  for (const [name, run] of Object.entries(runs) as Array<[keyof typeof runs, () => void]>) {
    const start = process.hrtime.bigint()
    run()
    took[name] = Number(process.hrtime.bigint() - start) / 1e9
    seconds[name].push(took[name])
  }
  timeVsFloor.push(took.ours / took.floor)
  speedVsReference.push(took.reference / took.ours)
}
const perSecond = (samples: ReadonlyArray<number>) => Math.round(count / median(samples))
process.stdout.write(
  `${JSON.stringify({
    records: count,
    rounds,
    recordsPerSecond: { floor: perSecond(seconds.floor), ours: perSecond(seconds.ours), reference: perSecond(seconds.reference) },
    timeVsFloor: median(timeVsFloor),
    speedVsReference: median(speedVsReference),
    violations: violations.slice(0, 10),
    sink: sink > 0
  })}\n`
)
