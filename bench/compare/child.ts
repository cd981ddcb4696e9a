/**
 * The measurement of `npm run bench:compare` (see ./main): the record path of the working tree
 * ("ours") and of an earlier revision ("before", bundled from the copy of its
 * `packages/domain/src` that ./main extracts to `bench/.build/compare/before/`), over the same
 * records as section 1, in one process. Rounds time floor, before and ours in each of their six
 * orders in turn; each round's ratio compares runs milliseconds apart, so the load of
 * other processes, and the differences between processes (their memory layout, their JIT's
 * choices), mostly cancel out. Prints one JSON object.
 */
import { makeRecordPath } from "@cdc/domain/RecordPath"
import { developmentRedactionKeys } from "@cdc/domain/RedactionKeys"
// resolved by ./main's bundling to the earlier revision's copy
import { makeRecordPath as makeRecordPathBefore } from "before/RecordPath"
import { median, permutations } from "../lib/measure"
import { floorPass, processedAtMillis as now, recordPathPass, workload } from "../recordPath/workload"

const rounds = Number(process.argv[2] ?? 60)
const count = 2_400
const { records } = workload(count)
const options = { keys: developmentRedactionKeys, sourcePrefix: "cdc-pipeline", eventBusName: "cdc-bus" }
const before = makeRecordPathBefore(options)
const ours = makeRecordPath(options)

// what a change may not alter unnoticed: every outcome (tag, entry, ids, reasons) the same
let differing = 0
for (const record of records)
  if (JSON.stringify(ours.fromKinesis(record, now)) !== JSON.stringify(before.fromKinesis(record, now))) differing++

let sink = 0
const passes = { floor: floorPass(records), before: recordPathPass(before, records), ours: recordPathPass(ours, records) }
const runs = {
  floor: () => {
    sink += passes.floor()
  },
  before: () => {
    sink += passes.before()
  },
  ours: () => {
    sink += passes.ours()
  }
}
type Run = keyof typeof runs
const names = Object.keys(runs) as Array<Run>
// every order of the three in turn: each takes each place as often
const orders = permutations(names)
for (let i = 0; i < 5; i++) for (const name of names) runs[name]() // warm-up
const ratios = { before: [] as Array<number>, ours: [] as Array<number>, oursVsBefore: [] as Array<number> }
for (let round = 0; round < rounds; round++) {
  const took = { floor: 0, before: 0, ours: 0 }
  for (const name of orders[round % orders.length] as ReadonlyArray<Run>) {
    const start = process.hrtime.bigint()
    runs[name]()
    took[name] = Number(process.hrtime.bigint() - start)
  }
  ratios.before.push(took.before / took.floor)
  ratios.ours.push(took.ours / took.floor)
  ratios.oursVsBefore.push(took.ours / took.before)
}
process.stdout.write(
  `${JSON.stringify({
    records: count,
    rounds,
    differing,
    beforeVsFloor: median(ratios.before),
    oursVsFloor: median(ratios.ours),
    oursVsBefore: median(ratios.oursVsBefore),
    sink: sink > 0
  })}\n`
)
