/**
 * What section 1 times, shared by its child (./child) and `npm run bench:compare`
 * (../compare/child), so that the two measure the same thing: the records (all twelve tables,
 * in the reference CDC event shape, as Lambda's Kinesis records), the processing time they are
 * given, and one pass of the floor or of a record path over them.
 *
 * @example
 * ```ts
 * const { changes, records } = workload(2_400)
 * const pass = recordPathPass(makeRecordPath(options), records)
 * pass() // one pass; its result feeds a sink, so the engine cannot drop the work
 * ```
 */
import type { RecordPath } from "@cdc/domain/RecordPath"
import { sampleChanges } from "@cdc/testkit/Changes"
import { toCdcEvent, toKinesisRecord } from "@cdc/testkit/InputShapes"
import type { KinesisStreamRecord } from "aws-lambda"

/** The processing time every record is given (a batch's, read once). */
export const processedAtMillis = 1_705_314_601_000

/** `count` generated changes (seed 2024) and the Kinesis records of them. */
export const workload = (count: number) => {
  const changes = sampleChanges(count, 2024)
  const records = changes.map((change, index) => toKinesisRecord(toCdcEvent(change), { index }))
  return { changes, records }
}

/** One pass of the floor: base64 decode, `JSON.parse` and `JSON.stringify` of each record; the characters printed. */
export const floorPass = (records: ReadonlyArray<KinesisStreamRecord>) => (): number => {
  let sink = 0
  for (const record of records) sink += JSON.stringify(JSON.parse(Buffer.from(record.kinesis.data, "base64").toString("utf8"))).length
  return sink
}

/** One pass of a record path over the records; the characters of the entries published. */
export const recordPathPass = (path: Pick<RecordPath, "fromKinesis">, records: ReadonlyArray<KinesisStreamRecord>) => (): number => {
  let sink = 0
  for (const record of records) {
    const outcome = path.fromKinesis(record, processedAtMillis)
    if (outcome._tag === "Publish") sink += outcome.entry.Detail.length
  }
  return sink
}
