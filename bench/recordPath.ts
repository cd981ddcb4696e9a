/**
 * Benchmark of the pure record path (not a timed test): records per second of
 * `RecordPath.fromPayload` on NDJSON text and of `RecordPath.fromKinesis` on Lambda records,
 * each next to its floor, `JSON.parse` + `JSON.stringify` of the same records (for Kinesis, the
 * floor also decodes the base64 data). The same generated records of all twelve tables are used
 * for both sides, and the ratio path/floor is printed (target: within 2x).
 *
 * Usage: `node --import tsx bench/recordPath.ts [--quick] [--json FILE]`
 */
import { writeFileSync } from "node:fs"
import { makeRecordPath } from "@cdc/domain/RecordPath"
import { developmentRedactionKeys } from "@cdc/domain/RedactionKeys"
import { inputShapes, sampleChanges, toCdcEvent, toDmsRecord, toKinesisRecord } from "@cdc/testkit/Changes"

const args = process.argv.slice(2)
const quick = args.includes("--quick")
const jsonIndex = args.indexOf("--json")
const jsonFile = jsonIndex >= 0 ? args[jsonIndex + 1] : undefined

const count = quick ? 2_400 : 12_000
const rounds = quick ? 8 : 25
const changes = sampleChanges(count, 2024)
const lines = changes.map((change, index) => JSON.stringify(index % 2 === 0 ? toDmsRecord(change) : toCdcEvent(change)))
const records = changes.map((change, index) => toKinesisRecord(toDmsRecord(change), { index }))

const path = makeRecordPath({ keys: developmentRedactionKeys, sourcePrefix: "cdc-pipeline", eventBusName: "cdc-bus" })
let sink = 0

const seconds = (run: () => void): number => {
  const start = process.hrtime.bigint()
  run()
  return Number(process.hrtime.bigint() - start) / 1e9
}

/**
 * Best-of-rounds records/s of a floor and a path over `n` records. Rounds alternate between the
 * two so that load from other processes on a shared machine hits both alike.
 */
const compare = (n: number, floor: () => void, path: () => void) => {
  floor()
  path()
  let bestFloor = Number.POSITIVE_INFINITY
  let bestPath = Number.POSITIVE_INFINITY
  for (let round = 0; round < rounds; round++) {
    bestFloor = Math.min(bestFloor, seconds(floor))
    bestPath = Math.min(bestPath, seconds(path))
  }
  return { floor: n / bestFloor, path: n / bestPath }
}

const floorText = () => {
  for (const line of lines) sink += JSON.stringify(JSON.parse(line)).length
}
const pathText = () => {
  for (const line of lines) {
    const outcome = path.fromPayload(line, {}, 1_705_314_601_000)
    if (outcome._tag === "Publish") sink += outcome.entry.Detail.length
  }
}
const floorKinesis = () => {
  for (const record of records) {
    sink += JSON.stringify(JSON.parse(Buffer.from(record.kinesis.data, "base64").toString("utf8"))).length
  }
}
const pathKinesis = () => {
  for (const record of records) {
    const outcome = path.fromKinesis(record, 1_705_314_601_000)
    if (outcome._tag === "Publish") sink += outcome.entry.Detail.length
  }
}

const published = lines.filter((line) => path.fromPayload(line, {}, 0)._tag === "Publish").length
if (published !== count) throw new Error(`only ${published} of ${count} generated records were published`)

const results = [
  { name: "ndjson (cdc + dms)", ...compare(count, floorText, pathText) },
  { name: "kinesis (base64 dms)", ...compare(count, floorKinesis, pathKinesis) }
].map((r) => ({ ...r, ratio: r.floor / r.path }))

console.log(`record path benchmark: ${count} records of ${inputShapes.length} shapes, 12 tables, best of ${rounds}`)
for (const r of results) {
  console.log(
    `${r.name.padEnd(22)} floor ${Math.round(r.floor).toLocaleString("en-US").padStart(10)} rec/s   path ${Math.round(r.path).toLocaleString("en-US").padStart(10)} rec/s   ratio ${r.ratio.toFixed(2)}x`
  )
}
if (jsonFile !== undefined) writeFileSync(jsonFile, `${JSON.stringify({ count, rounds, results }, null, 2)}\n`)
if (sink < 0) console.log(sink)
