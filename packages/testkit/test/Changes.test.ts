import { tableNames, tables } from "@cdc/domain/Tables"
import fc from "fast-check"
import { describe, expect, it } from "vitest"
import {
  changeArbitrary,
  dmsControlRecord,
  encodeChange,
  inputShapes,
  publishedChangeArbitrary,
  rowArbitrary,
  sampleChanges,
  sampleRows,
  sensitiveValues,
  sequenceNumberAt,
  toCdcEvent,
  toDmsRecord,
  toKinesisRecord
} from "../src/Changes"

describe("Changes", () => {
  it("samples are deterministic for a seed and differ across seeds", () => {
    expect(sampleRows("users", 5, 7)).toEqual(sampleRows("users", 5, 7))
    expect(sampleRows("users", 5, 7)).not.toEqual(sampleRows("users", 5, 8))
    expect(sampleChanges(50, 3)).toEqual(sampleChanges(50, 3))
  })

  it("sampleChanges covers every table and every published operation", () => {
    const changes = sampleChanges(240, 1)
    expect(changes).toHaveLength(240)
    const kinds = new Set(changes.map((c) => `${c.table}:${c.operation}`))
    for (const [table, definition] of tables) {
      for (const operation of definition.operations) expect(kinds).toContain(`${table}:${operation}`)
    }
  })

  it("rows hold every declared column of their table", () => {
    for (const table of tableNames) {
      const [row] = sampleRows(table, 1)
      expect(Object.keys(row ?? {}).sort()).toEqual(
        tables
          .get(table)
          ?.columns.map((c) => c.name)
          .sort()
      )
    }
  })

  it("UPDATE changes at least one non-key column and keeps the key", () => {
    fc.assert(
      fc.property(changeArbitrary(), (change) => {
        if (change.operation !== "UPDATE") return
        const key = tables.get(change.table)?.keyColumn as string
        expect(change.after?.[key]).toEqual(change.before?.[key])
      })
    )
  })

  it("published changes only use the table's published operations", () => {
    fc.assert(
      fc.property(publishedChangeArbitrary(), (change) => {
        expect(tables.get(change.table)?.operations).toContain(change.operation)
      })
    )
  })

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

  it("sensitiveValues lists the clear protected values of a row", () => {
    fc.assert(
      fc.property(rowArbitrary("users"), (row) => {
        const values = sensitiveValues("users", row)
        expect(values).toContain(row.email)
        expect(values).toContain(row.phone)
        expect(values).toContain(row.ssn)
        expect(values).not.toContain(row.first_name)
      })
    )
    const config = sampleRows("configurations", 1)[0] as Record<string, unknown>
    expect(sensitiveValues("configurations", { ...config, is_secret: 1 })).toContain(config.value)
    expect(sensitiveValues("configurations", { ...config, is_secret: false })).not.toContain(config.value)
  })
})
