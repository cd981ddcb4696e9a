import { changeArbitrary } from "@cdc/testkit/Changes"
import { dmsControlRecord, toCdcEvent, toDmsRecord } from "@cdc/testkit/InputShapes"
import * as Schema from "effect/Schema"
import fc from "fast-check"
import { describe, expect, it } from "vitest"
import { CdcEvent, DmsRecord } from "../src/Input"
import { acceptedOr, acceptsCdcEvent, acceptsDmsRecord } from "../src/InputGuards"

type Fields = Record<string, unknown>

const isCdcEvent = Schema.is(CdcEvent)
const isDmsRecord = Schema.is(DmsRecord)
const guards = { cdc: acceptedOr(acceptsCdcEvent, isCdcEvent), dms: acceptedOr(acceptsDmsRecord, isDmsRecord) }

/** The record's fields on an array, which no struct Schema accepts (and the metadata's too, for a DMS record). */
const asArray = (record: Fields, nested?: string): Fields => {
  const copy: Fields = Object.assign([], record)
  if (nested !== undefined) copy[nested] = Object.assign([], record[nested] as Fields)
  return copy
}

/** Values a field may be given: the kinds the Schemas tell apart, `undefined` included. */
const anyValue = fc.oneof(
  fc.constantFrom(undefined, null, "", "INSERT", "update", "data", "control", 0, -1.5, Number.NaN, true, [], {}, [1], () => 1),
  fc.anything()
)

/** An object with one field set, deleted, or added (at `path`, one level into `nested` when given). */
const mutated = (record: Fields, nested?: string) =>
  fc
    .tuple(fc.constantFrom(...Object.keys(nested === undefined ? record : (record[nested] as Fields)), "extra"), anyValue, fc.boolean())
    .map(([key, value, remove]) => {
      const copy: Fields = { ...record }
      const target: Fields = nested === undefined ? copy : { ...(record[nested] as Fields) }
      if (nested !== undefined) copy[nested] = target
      if (remove) delete target[key]
      else target[key] = value
      return copy
    })

const cdcEvents = changeArbitrary().map((change) => toCdcEvent(change) as unknown as Fields)
const dmsRecords = fc
  .oneof(
    changeArbitrary().map((change) => toDmsRecord(change)),
    changeArbitrary().map((change) => toDmsRecord(change, { load: true, beforeImage: false })),
    fc
      .constantFrom("users", "orders")
      .map((table) => dmsControlRecord({ table, operation: "add-column", columns: ["nickname"], changeTimeMillis: 0 }))
  )
  .map((record) => record as unknown as Fields)

describe("the hand-written envelope accepts", () => {
  it("accept the well-formed records of every table and operation", () => {
    fc.assert(
      fc.property(cdcEvents, dmsRecords, (event, record) => {
        expect(acceptsCdcEvent(event)).toBe(true)
        expect(acceptsDmsRecord(record)).toBe(true)
      }),
      { numRuns: 300 }
    )
  })

  it("accept a CDC event only where the CdcEvent Schema does", () => {
    const inputs = fc.oneof(
      cdcEvents.chain((event) => mutated(event)),
      cdcEvents.chain((event) => mutated(event).chain((once) => mutated(once))),
      fc.dictionary(fc.constantFrom("tableName", "operation", "beforeImage", "afterImage", "timestamp", "sequenceNumber"), anyValue)
    )
    fc.assert(
      fc.property(inputs, (input) => {
        if (acceptsCdcEvent(input)) expect(isCdcEvent(input)).toBe(true)
        expect(guards.cdc(asArray(input))).toBe(false)
      }),
      { numRuns: 3000 }
    )
  })

  it("accept a DMS record only where the DmsRecord Schema does", () => {
    const inputs = fc.oneof(
      dmsRecords.chain((record) => mutated(record)),
      dmsRecords.chain((record) => mutated(record, "metadata")),
      dmsRecords.chain((record) => mutated(record, "metadata").chain((once) => mutated(once))),
      fc.record({
        metadata: fc.oneof(
          anyValue,
          fc.dictionary(
            fc.constantFrom(
              "timestamp",
              "record-type",
              "operation",
              "table-name",
              "schema-name",
              "transaction-id",
              "transaction-record-id"
            ),
            anyValue
          )
        ),
        data: anyValue
      })
    )
    fc.assert(
      fc.property(inputs, (input) => {
        if (acceptsDmsRecord(input)) expect(isDmsRecord(input)).toBe(true)
        expect(guards.dms(asArray(input))).toBe(false)
        if (typeof input.metadata === "object" && input.metadata !== null) {
          expect(acceptsDmsRecord(asArray(input, "metadata"))).toBe(false)
          expect(guards.dms({ ...input, metadata: Object.assign([], input.metadata) })).toBe(false)
        }
      }),
      { numRuns: 3000 }
    )
  })

  it("leave a key present with the value undefined to the Schema", () => {
    const event = { tableName: "users", operation: "DELETE", beforeImage: { id: 1 }, timestamp: 0 }
    expect(acceptsCdcEvent({ ...event, sequenceNumber: undefined })).toBe(false)
    expect(isCdcEvent({ ...event, sequenceNumber: undefined })).toBe(false)
    expect(acceptsCdcEvent({ ...event, afterImage: [] })).toBe(isCdcEvent({ ...event, afterImage: [] }))
  })

  it("refuse DMS metadata given as an array, whatever it holds", () => {
    const fields = { timestamp: "2024-01-15 10:30:00", "record-type": "data", operation: "insert", "table-name": "users" }
    const metadata = Object.assign([], fields)
    expect(acceptsDmsRecord({ data: { id: 1 }, metadata })).toBe(false)
    expect(isDmsRecord({ data: { id: 1 }, metadata })).toBe(false)
    expect(acceptsDmsRecord({ data: { id: 1 }, metadata: fields })).toBe(true)
  })
})
