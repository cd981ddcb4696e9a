/**
 * Every input shape carries the whole change: read back the way the spec describes each format
 * ("Input formats" in shared/spec/tables.md), it gives the table, the operation and both images
 * unchanged. A shape that dropped a column or an image would hand leak tests inputs without the
 * sensitive values they then search the output for.
 */
import fc from "fast-check"
import { describe, expect, it } from "vitest"
import { type Change, changeArbitrary } from "../src/Changes"
import { type CdcEvent, type DmsRecord, encodeChange, inputShapes, toDmsRecord } from "../src/InputShapes"

interface ReadBack {
  readonly table: string
  readonly operation: string
  readonly before?: unknown
  readonly after?: unknown
}

/** Strict base64 (the Lambda event's `data`): decodes and re-encodes to the same text. */
const fromBase64 = (data: string): string => {
  expect(Buffer.from(data, "base64").toString("base64")).toBe(data)
  return Buffer.from(data, "base64").toString("utf8")
}

const readCdc = (event: CdcEvent): ReadBack => ({
  table: event.tableName,
  operation: event.operation,
  before: event.beforeImage,
  after: event.afterImage
})

const readDms = (record: DmsRecord): ReadBack => {
  const operation = record.metadata.operation.toUpperCase()
  return {
    table: record.metadata["table-name"],
    operation,
    before: operation === "DELETE" ? record.data : record["before-image"],
    after: operation === "DELETE" ? undefined : record.data
  }
}

const readBack = (encoded: unknown): ReadBack => {
  const parsed = JSON.parse(JSON.stringify(encoded))
  if ("tableName" in parsed) return readCdc(parsed)
  if ("metadata" in parsed) return readDms(parsed)
  expect(parsed.eventSource).toBe("aws:kinesis")
  return readDms(JSON.parse(fromBase64(parsed.kinesis.data)))
}

/** The change as JSON carries it (what a shape can hold). */
const asJson = (change: Change): ReadBack => JSON.parse(JSON.stringify(change))

describe("input shapes", () => {
  it("are the spec's three: the reference CDC event, DMS Kinesis JSON, and the Lambda Kinesis record", () => {
    const [change] = fc.sample(changeArbitrary("users"), 1)
    const read = inputShapes.map((shape) => {
      const parsed = JSON.parse(JSON.stringify(encodeChange(change as Change, shape)))
      return "tableName" in parsed ? "cdc" : "metadata" in parsed ? "dms" : parsed.eventSource
    })
    expect(read).toEqual(["cdc", "dms", "aws:kinesis"])
  })

  it("every shape carries the table, the operation and both images of every change unchanged", () => {
    fc.assert(
      fc.property(changeArbitrary(), fc.constantFrom(...inputShapes), (change, shape) => {
        const { table, operation, before, after } = asJson(change)
        expect(readBack(encodeChange(change, shape))).toEqual({ table, operation, before, after })
      }),
      { numRuns: 600 }
    )
  })

  it("a DMS full-load INSERT is a `load` record carrying the after image", () => {
    fc.assert(
      fc.property(changeArbitrary(), (change) => {
        const record = toDmsRecord(change, { load: true })
        if (change.operation !== "INSERT") expect(record.metadata.operation).toBe(change.operation.toLowerCase())
        else expect({ operation: record.metadata.operation, data: record.data }).toEqual({ operation: "load", data: change.after })
      })
    )
  })
})
