import fc from "fast-check"
import { describe, expect, it } from "vitest"
import { changeArbitrary, sampleChanges } from "../src/Changes"
import { dmsControlRecord, encodeChange, inputShapes, sequenceNumberAt, toCdcEvent, toDmsRecord, toKinesisRecord } from "../src/InputShapes"

describe("InputShapes", () => {
  it("builds the three input shapes", () => {
    const [change] = sampleChanges(1, 9)
    if (change === undefined) throw new Error("no sample")
    const cdc = toCdcEvent(change)
    expect(cdc.tableName).toBe(change.table)
    expect(Date.parse(cdc.timestamp)).toBe(change.changeTimeMillis)
    const dms = toDmsRecord(change, { load: true })
    expect(dms.metadata["table-name"]).toBe(change.table)
    expect(dms.metadata.operation).toBe(change.operation === "INSERT" ? "load" : change.operation.toLowerCase())
    const record = toKinesisRecord(dms, { index: 2, shardId: "shardId-000000000004" })
    expect(JSON.parse(Buffer.from(record.kinesis.data, "base64").toString("utf8"))).toEqual(dms)
    expect(record.eventID).toBe(`shardId-000000000004:${sequenceNumberAt(2)}`)
    for (const shape of inputShapes) expect(encodeChange(change, shape)).toBeTypeOf("object")
  })

  it("DMS UPDATE carries the before-image unless disabled; control records list column names", () => {
    const update = fc.sample(
      changeArbitrary("users").filter((c) => c.operation === "UPDATE"),
      { seed: 1, numRuns: 1 }
    )[0]
    if (update === undefined) throw new Error("no sample")
    expect(toDmsRecord(update)["before-image"]).toEqual(update.before)
    expect(toDmsRecord(update, { beforeImage: false })["before-image"]).toBeUndefined()
    const control = dmsControlRecord({ table: "users", operation: "add-column", columns: ["nickname"], changeTimeMillis: 0 })
    expect(control.metadata["record-type"]).toBe("control")
    expect(JSON.stringify(control)).toContain("nickname")
  })

  it("sequence numbers increase numerically", () => {
    expect(BigInt(sequenceNumberAt(10)) > BigInt(sequenceNumberAt(9))).toBe(true)
  })
})
