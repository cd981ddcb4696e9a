import { changeOfArbitrary, sampleChanges } from "@cdc/testkit/Changes"
import { dmsControlRecord, toCdcEvent, toDmsRecord, toKinesisRecord } from "@cdc/testkit/InputShapes"
import * as Schema from "effect/Schema"
import fc from "fast-check"
import { describe, expect, it } from "vitest"
import { DecodeError, InvalidValueError, UnknownTableError } from "../src/Errors"
import { EventDetail } from "../src/Event"
import { eventIdPattern } from "../src/EventId"
import { makeRecordPath, type RecordOutcome } from "../src/RecordPath"
import { makeRedactionKeys } from "../src/RedactionKeys"
import { redrivenRecordBytes, redriveOriginOf } from "../src/RedrivenRecord"
import { tables } from "../src/Tables"

const keys = makeRedactionKeys("test-hash-key", "test-tokenize-key")
const path = makeRecordPath({ keys, sourcePrefix: "cdc-pipeline", eventBusName: "cdc-bus" })
const processedAt = Date.UTC(2024, 0, 15, 10, 30, 1, 234)

const published = (outcome: RecordOutcome) => {
  if (outcome._tag !== "Publish") throw new Error(`expected Publish, got ${outcome._tag}: ${JSON.stringify(outcome)}`)
  return { ...outcome, detail: Schema.decodeUnknownSync(EventDetail)(JSON.parse(outcome.entry.Detail)) }
}
const rejected = (outcome: RecordOutcome) => {
  if (outcome._tag !== "Reject") throw new Error(`expected Reject, got ${outcome._tag}`)
  return outcome.error
}

const userUpdate = {
  tableName: "users",
  operation: "UPDATE",
  beforeImage: { id: 123, email: "old@example.com", ssn: "123-45-6789", status: "active", phone: "+1 555-123-4567" },
  afterImage: { id: 123, email: "new@example.com", ssn: "123-45-6789", status: "active", phone: "+1 555-123-4567" },
  timestamp: "2024-01-15T10:30:00.000Z",
  sequenceNumber: "42"
}

describe("RecordPath", () => {
  it("publishes the reference design's example: only changed fields, masked, ssn removed", () => {
    const { entry, detail, entityId, orderingKey, eventId } = published(path.fromPayload(userUpdate, {}, processedAt))
    expect(entry.Source).toBe("cdc-pipeline.users")
    expect(entry.DetailType).toBe("user.updated")
    expect(entry.EventBusName).toBe("cdc-bus")
    expect(entry.Time).toBe("2024-01-15T10:30:00.000Z")
    expect(detail.changes).toEqual({ email: { old: "o**@example.com", new: "n**@example.com" } })
    expect(detail.metadata).toEqual({
      sourceTable: "users",
      sequenceNumber: "42",
      processedAt: "2024-01-15T10:30:01.234Z",
      version: "1.0"
    })
    expect(entityId).toBe("123")
    expect(orderingKey).toBe("users#123")
    expect(eventId).toMatch(eventIdPattern)
    expect(eventId.startsWith(`evt_${Date.UTC(2024, 0, 15, 10, 30)}_`)).toBe(true)
    expect(entry.Detail).not.toContain("123-45-6789")
    expect(entry.Detail).not.toContain("ssn")
  })

  it("gives the same event id on a retry and a different one for another record", () => {
    const a = published(path.fromPayload(userUpdate, {}, processedAt))
    const b = published(path.fromPayload(JSON.stringify(userUpdate), {}, processedAt + 5000))
    expect(b.eventId).toBe(a.eventId)
    const other = published(path.fromPayload({ ...userUpdate, sequenceNumber: "43" }, {}, processedAt))
    expect(other.eventId).not.toBe(a.eventId)
    const record = toKinesisRecord(userUpdate, { index: 7 })
    expect(published(path.fromKinesis(record, 1)).eventId).toBe(published(path.fromKinesis(record, 2)).eventId)
    expect(published(path.fromKinesis(toKinesisRecord(userUpdate, { index: 8 }), 1)).eventId).not.toBe(
      published(path.fromKinesis(record, 1)).eventId
    )
  })

  it("gives different event ids to records of one millisecond without Kinesis coordinates that differ in key or transaction", () => {
    const insert = (id: number, sequenceNumber?: string) => ({
      tableName: "users",
      operation: "INSERT",
      afterImage: { id, status: "active" },
      timestamp: "2024-01-15T10:30:00.000Z",
      ...(sequenceNumber === undefined ? {} : { sequenceNumber })
    })
    const idOf = (record: unknown) => published(path.fromPayload(record, {}, processedAt)).eventId
    expect(idOf(insert(1))).not.toBe(idOf(insert(2)))
    expect(idOf(insert(1, "7"))).not.toBe(idOf(insert(2, "7")))
    expect(idOf(insert(1))).toBe(idOf(insert(1)))
    const dms = (transaction: number) => ({
      data: { id: 1, status: "active" },
      metadata: {
        timestamp: "2024-01-15T10:30:00.000000Z",
        "record-type": "data",
        operation: "update",
        "table-name": "users",
        "transaction-id": transaction
      }
    })
    expect(idOf(dms(41))).not.toBe(idOf(dms(42)))
    expect(idOf(dms(41))).toBe(idOf(dms(41)))
    // a transaction id is part of the identity, but no sequence number: none is published (dry-run)
    expect(published(path.fromPayload(dms(41), {}, processedAt)).detail.metadata).not.toHaveProperty("sequenceNumber")
    expect(published(path.fromPayload(insert(1, "7"), {}, processedAt)).detail.metadata.sequenceNumber).toBe("7")
  })

  it("takes a sequence number given as a JSON number too large to read exactly as absent, never publishing a rounded one", () => {
    const withSequence = (literal: string) =>
      `{"tableName":"users","operation":"INSERT","afterImage":{"id":1},"timestamp":"2024-01-15T10:30:00Z","sequenceNumber":${literal}}`
    const metadataOf = (literal: string) => published(path.fromPayload(withSequence(literal), {}, processedAt)).detail.metadata
    expect(metadataOf("49607933946721000000000123")).not.toHaveProperty("sequenceNumber")
    expect(metadataOf('"49607933946721000000000123"').sequenceNumber).toBe("49607933946721000000000123")
    expect(metadataOf("4960")).toHaveProperty("sequenceNumber", "4960")
  })

  it("gives different event ids to different changes of one row in one transaction without Kinesis coordinates", () => {
    // DMS stamps every change of a transaction with its commit time: an INSERT then a DELETE of a
    // row in one transaction share table, key, time and transaction id
    const dms = (operation: string) => ({
      data: { id: 1, status: "active" },
      metadata: {
        timestamp: "2024-01-15T10:30:00.123456Z",
        "record-type": "data",
        operation,
        "table-name": "users",
        "transaction-id": 77
      }
    })
    const ids = ["insert", "update", "delete"].map((operation) => published(path.fromPayload(dms(operation), {}, processedAt)).eventId)
    expect(new Set(ids).size).toBe(3)
    expect(published(path.fromPayload(dms("update"), {}, processedAt + 1)).eventId).toBe(ids[1])
    // two UPDATEs of the row in that transaction differ by the offset DMS writes with transaction details
    const update = (offset: number | string) => {
      const record = dms("update")
      return { ...record, metadata: { ...record.metadata, "transaction-record-id": offset } }
    }
    const updates = [update(3), update(4), update("4")].map((record) => published(path.fromPayload(record, {}, processedAt)).eventId)
    expect(updates[0]).not.toBe(updates[1])
    expect(updates[1]).toBe(updates[2])
    expect(new Set([...ids, ...updates]).size).toBe(5)
  })

  it("rounds a decimal written as a JSON number on the digits the source wrote, however many", () => {
    // JSON.parse keeps about 16 significant digits: 19.994999999999999999 reads as 19.995 (→ "20.00")
    const cases: Array<[string, string]> = [
      ["19.994999999999999999", "19.99"],
      ["12345678901234567.89", "12345678901234567.89"],
      ["0.0049999999999999999999", "0.00"],
      ["19.995", "20.00"]
    ]
    for (const [literal, expected] of cases) {
      const insert = `{"tableName":"products","operation":"INSERT","afterImage":{"product_id":"p1","price":${literal}},"timestamp":0}`
      expect(published(path.fromPayload(insert, {}, processedAt)).detail.changes.price, literal).toEqual({ new: expected })
      const record = toKinesisRecord(insert, { index: 3 })
      expect(published(path.fromKinesis(record, processedAt)).detail.changes.price, literal).toEqual({ new: expected })
    }
    // the column's name also written as text, and the member spaced out: the literal is still found
    const spaced = `{"tableName":"products","operation":"INSERT","afterImage":{"name":"price","product_id":"p1","price" : 19.994999999999999999},"timestamp":0}`
    expect(published(path.fromPayload(spaced, {}, processedAt)).detail.changes.price).toEqual({ new: "19.99" })
    // two prices one float apart: the UPDATE is published, not lost as "no change"
    const update =
      '{"data":{"product_id":"p1","price":19.995},"before-image":{"product_id":"p1","price":19.994999999999999999},' +
      '"metadata":{"timestamp":"2024-01-15T10:30:00Z","record-type":"data","operation":"update","table-name":"products"}}'
    expect(published(path.fromPayload(update, {}, processedAt)).detail.changes).toEqual({ price: { old: "19.99", new: "20.00" } })
  })

  it("rounds a long literal that JSON.parse reads as whole cents to the cents its digits give", () => {
    // 19.990000000000000001 and 19.989999999999999999 both read as 19.99: the record path skips
    // the literal's text for such numbers, which is right only if their digits round to it too
    const nearCents = fc.record({
      cents: fc.oneof(fc.bigInt({ min: 0n, max: 2n ** 40n * 100n }), fc.bigInt({ min: 0n, max: 10n ** 19n })),
      below: fc.boolean(),
      tail: fc.integer({ min: 14, max: 24 }),
      last: fc.integer({ min: 1, max: 9 })
    })
    fc.assert(
      fc.property(nearCents, ({ cents, below, tail, last }) => {
        // a literal `tail + 1` digits after the cents away from `cents / 100`, on either side
        const written = below && cents > 0n ? cents - 1n : cents
        const whole = written / 100n
        const fraction = `${(written % 100n).toString().padStart(2, "0")}${(below && cents > 0n ? "9" : "0").repeat(tail)}${last}`
        const literal = `${whole}.${fraction}`
        // the digits' rounding, half away from zero on the third decimal
        const expected = written + (Number(fraction[2]) >= 5 ? 1n : 0n)
        const text = expected.toString().padStart(3, "0")
        const insert = `{"tableName":"products","operation":"INSERT","afterImage":{"product_id":"p1","price":${literal}},"timestamp":0}`
        const price = published(path.fromPayload(insert, {}, processedAt)).detail.changes.price
        expect(price, literal).toEqual({ new: `${text.slice(0, -2)}.${text.slice(-2)}` })
      }),
      { numRuns: 2000 }
    )
  })

  it("reads Kinesis coordinates and uses the Kinesis sequence number", () => {
    const record = toKinesisRecord(userUpdate, { shardId: "shardId-000000000003", sequenceNumber: "4961", partitionKey: "pk" })
    const { detail } = published(path.fromKinesis(record, processedAt))
    expect(detail.metadata.sequenceNumber).toBe("4961")
  })

  it("publishes DMS load as a create with metadata.snapshot", () => {
    const change = fc.sample(changeOfArbitrary("products", "INSERT"), { seed: 5, numRuns: 1 })[0]
    if (change === undefined) throw new Error("no sample")
    const { detail } = published(path.fromPayload(toDmsRecord(change, { load: true }), {}, processedAt))
    expect(detail.eventType).toBe("product.created")
    expect(detail.operation).toBe("INSERT")
    expect(detail.metadata.snapshot).toBe(true)
    expect(published(path.fromPayload(toDmsRecord(change), {}, processedAt)).detail.metadata.snapshot).toBeUndefined()
  })

  it("skips unpublished operations and control records (column names only)", () => {
    const change = fc.sample(changeOfArbitrary("transactions", "UPDATE"), { seed: 1, numRuns: 1 })[0]
    if (change === undefined) throw new Error("no sample")
    expect(path.fromPayload(toCdcEvent(change), {}, 0)).toEqual({
      _tag: "Skip",
      reason: "operation-not-published",
      table: "transactions"
    })
    const control = dmsControlRecord({ table: "users", operation: "add-column", columns: ["nickname"], changeTimeMillis: 0 })
    expect(path.fromPayload(control, {}, 0)).toEqual({
      _tag: "Skip",
      reason: "control-record",
      table: "users",
      ddl: { operation: "add-column", columns: ["nickname"] }
    })
    // the operation becomes a DLQ reason and an alert's code: a name, or `other`
    for (const [operation, named] of [
      ["Rename-Column", "rename-column"],
      ["x".repeat(300_000), "other"],
      ["add column; drop", "other"],
      ["", "other"]
    ]) {
      const control = dmsControlRecord({ table: "users", operation: "add-column", columns: [], changeTimeMillis: 0 })
      const odd = { ...control, metadata: { ...control.metadata, operation } }
      expect(path.fromPayload(odd, {}, 0)).toMatchObject({ _tag: "Skip", ddl: { operation: named } })
    }
  })

  it("withholds undeclared columns and lists them by name", () => {
    const record = { ...userUpdate, afterImage: { ...userUpdate.afterImage, nickname: "secret-nick" } }
    const outcome = published(path.fromPayload(record, {}, 0))
    expect(outcome.withheldColumns).toEqual(["nickname"])
    expect(outcome.entry.Detail).not.toContain("nickname")
    expect(outcome.entry.Detail).not.toContain("secret-nick")
  })

  it("withholds an undeclared `__proto__` column under either policy, in every operation", () => {
    // JSON.parse makes "__proto__" an own key; copying it into a plain object would set a prototype
    const publishing = makeRecordPath({
      keys: makeRedactionKeys("h", "t"),
      sourcePrefix: "cdc-pipeline",
      eventBusName: "bus",
      tables: new Map([...tables].map(([name, definition]) => [name, { ...definition, undeclaredColumns: "publish" as const }]))
    })
    const hostile = JSON.parse('{"__proto__":{"polluted":"secret-proto"},"extra":"visible"}')
    for (const p of [path, publishing]) {
      for (const operation of ["INSERT", "UPDATE", "DELETE"] as const) {
        const record = {
          ...userUpdate,
          operation,
          beforeImage: { ...userUpdate.beforeImage, ...hostile },
          afterImage: { ...userUpdate.afterImage, ...hostile }
        }
        expect(Object.hasOwn(record.afterImage, "__proto__")).toBe(true) // spread copies it as an own key
        const outcome = published(p.fromPayload(record, {}, 0))
        expect(outcome.withheldColumns).toContain("__proto__")
        expect(outcome.entry.Detail).not.toContain("secret-proto")
        expect(JSON.parse(outcome.entry.Detail).changes.polluted).toBeUndefined()
      }
    }
  })

  it("publishes an UPDATE of only removed or withheld columns with empty changes, naming nothing hidden", () => {
    const record = {
      ...userUpdate,
      beforeImage: { ...userUpdate.beforeImage, password_hash: "hash-before-1", nickname: "nick-before" },
      afterImage: { ...userUpdate.beforeImage, password_hash: "hash-after-2", nickname: "nick-after" }
    }
    const outcome = published(path.fromPayload(record, {}, processedAt))
    expect(outcome.entry.DetailType).toBe("user.updated")
    expect(outcome.detail.changes).toEqual({})
    expect(outcome.withheldColumns).toEqual(["nickname"])
    for (const hidden of ["hash-before-1", "hash-after-2", "nick-", "password_hash", "123-45-6789"]) {
      expect(outcome.entry.Detail).not.toContain(hidden)
    }
  })

  it("rejects JSON nested past 256 levels as an invalid value of its column, in before and after images", () => {
    // hashing and comparing a JSON value recurse per level: thousands of levels overflowed the
    // stack, and the record went to the DLQ as an unexpected failure without its table
    const nestedText = (depth: number) => `${"[".repeat(depth - 1)}{"street":"1 Secret Lane"}${"]".repeat(depth - 1)}`
    const nested = (depth: number) => JSON.parse(nestedText(depth))
    // customers publish INSERT and UPDATE; an UPDATE carries the value in both images
    const customer = (address: unknown, operation: "INSERT" | "UPDATE") => ({
      tableName: "customers",
      operation,
      timestamp: "2024-01-15T10:30:00Z",
      sequenceNumber: "7",
      ...(operation === "INSERT" ? {} : { beforeImage: { customer_id: 7, billing_address: address } }),
      afterImage: { customer_id: 7, billing_address: operation === "INSERT" ? address : {} }
    })
    for (const operation of ["INSERT", "UPDATE"] as const) {
      published(path.fromPayload(customer(nested(256), operation), {}, 0))
      for (const address of [nested(257), nested(50_000), nestedText(50_000)]) {
        const error = rejected(path.fromPayload(customer(address, operation), {}, 0))
        expect(error).toBeInstanceOf(InvalidValueError)
        expect(error).toMatchObject({ table: "customers", column: "billing_address", reason: "json-too-deep" })
        expect(error.message).not.toContain("Secret")
      }
    }
    // an undeclared column a table publishes as is is bounded alike
    const publishing = makeRecordPath({
      keys,
      sourcePrefix: "cdc-pipeline",
      eventBusName: "bus",
      tables: new Map([...tables].map(([name, definition]) => [name, { ...definition, undeclaredColumns: "publish" as const }]))
    })
    for (const operation of ["INSERT", "UPDATE"] as const) {
      const record = { ...userUpdate, operation, afterImage: { ...userUpdate.afterImage, extra: nested(10_000) } }
      expect(rejected(publishing.fromPayload(record, {}, 0))).toMatchObject({ column: "extra", reason: "json-too-deep" })
    }
  })

  it("rejects an unknown table as a configuration error with coordinates", () => {
    const error = rejected(path.fromKinesis(toKinesisRecord({ ...userUpdate, tableName: "payroll" }, { index: 1 }), 0))
    expect(error).toBeInstanceOf(UnknownTableError)
    expect(error.category).toBe("configuration")
    expect(error.coordinates.table).toBe("payroll")
    expect(error.coordinates.shardId).toBe("shardId-000000000000")
    expect(error.coordinates.partitionKey).toBe("partition-1")
  })

  it("rejects undecodable records as poison, never echoing values", () => {
    const bad = toKinesisRecord("{not json", { index: 2 })
    const error = rejected(path.fromKinesis(bad, 0))
    expect(error).toBeInstanceOf(DecodeError)
    expect(error.code).toBe("invalid-json")
    expect(error.category).toBe("poison")
    expect(error.coordinates.sequenceNumber).toBe(bad.kinesis.sequenceNumber)
    const notBase64 = { ...bad, kinesis: { ...bad.kinesis, data: "***" } }
    expect(rejected(path.fromKinesis(notBase64, 0)).code).toBe("invalid-base64")
    expect(rejected(path.fromPayload({ hello: "world" }, {}, 0)).code).toBe("unknown-shape")
    expect(rejected(path.fromPayload([1, 2], {}, 0)).code).toBe("not-an-object")
    const badOp = rejected(path.fromPayload({ ...userUpdate, operation: "MERGE" }, {}, 0))
    expect(badOp.code).toBe("invalid-cdc-event")
    expect(badOp.message).toContain("field operation")
    expect(badOp.message).not.toContain("MERGE")
  })

  it("names the wrong field, not an optional one that is simply absent", () => {
    const { beforeImage: _before, ...insert } = { ...userUpdate, operation: "INSERT" }
    const dms = {
      data: { id: 1 },
      metadata: { timestamp: "2024-01-15T10:30:00Z", "record-type": "data", operation: "insert", "table-name": "users" }
    }
    const cases: Array<[unknown, string, string]> = [
      [{ ...insert, afterImage: "x" }, "invalid-cdc-event", "afterImage"],
      [{ ...insert, sequenceNumber: { x: 1 } }, "invalid-cdc-event", "sequenceNumber"],
      [{ ...insert, timestamp: true }, "invalid-cdc-event", "timestamp"],
      [{ ...dms, "before-image": "x" }, "invalid-dms-record", "before-image"],
      [{ ...dms, metadata: { ...dms.metadata, "transaction-id": [1] } }, "invalid-dms-record", "metadata.transaction-id"],
      [{ ...dms, metadata: { ...dms.metadata, "transaction-record-id": {} } }, "invalid-dms-record", "metadata.transaction-record-id"]
    ]
    for (const [record, code, field] of cases) {
      const error = rejected(path.fromPayload(record, {}, processedAt))
      expect([error.code, (error as DecodeError).field]).toEqual([code, field])
    }
  })

  it("rejects a change without the image its operation needs as missing-image, naming the field", () => {
    const { afterImage: _after, ...withoutAfter } = userUpdate
    const { beforeImage: _before, ...withoutBefore } = userUpdate
    const cases: Array<[unknown, string, string | undefined]> = [
      [{ ...withoutAfter, operation: "INSERT" }, "missing-image", "afterImage"],
      [{ ...userUpdate, afterImage: null }, "missing-image", "afterImage"],
      [{ ...withoutBefore, operation: "DELETE" }, "missing-image", "beforeImage"],
      [{ ...userUpdate, afterImage: [userUpdate.afterImage] }, "invalid-cdc-event", "afterImage"],
      [
        { metadata: { timestamp: "2024-01-15T10:30:00Z", "record-type": "data", operation: "delete", "table-name": "users" } },
        "missing-image",
        "data"
      ],
      [
        { data: null, metadata: { timestamp: "2024-01-15T10:30:00Z", "record-type": "data", operation: "insert", "table-name": "users" } },
        "missing-image",
        "data"
      ],
      [
        {
          data: [{ id: 1 }],
          metadata: { timestamp: "2024-01-15T10:30:00Z", "record-type": "data", operation: "insert", "table-name": "users" }
        },
        "invalid-dms-record",
        "data"
      ]
    ]
    for (const [record, code, field] of cases) {
      const error = rejected(path.fromPayload(record, {}, processedAt))
      expect([error.code, (error as DecodeError).field, error.coordinates.table]).toEqual([code, field, "users"])
    }
  })

  it("rejects a change whose key is null or absent as missing-key", () => {
    const { id: _, ...withoutKey } = userUpdate.afterImage
    for (const image of [{ ...withoutKey, id: null }, withoutKey]) {
      for (const operation of ["INSERT", "UPDATE", "DELETE"]) {
        const record = { ...userUpdate, operation, beforeImage: image, afterImage: image }
        const error = rejected(path.fromPayload(record, {}, processedAt))
        expect(error).toBeInstanceOf(DecodeError)
        expect([error.code, (error as DecodeError).field]).toEqual(["missing-key", "id"])
      }
    }
  })

  it("names the entity by its new key when an UPDATE changes the key, and shows the old one in changes", () => {
    const record = { ...userUpdate, afterImage: { ...userUpdate.afterImage, id: 124 } }
    const { entityId, orderingKey, detail } = published(path.fromPayload(record, {}, processedAt))
    expect([entityId, orderingKey]).toEqual(["124", "users#124"])
    expect(detail.changes.id).toEqual({ old: 123, new: 124 })
  })

  it("rejects a value of the wrong type naming the column, not the value", () => {
    const record = { ...userUpdate, afterImage: { ...userUpdate.afterImage, created_at: "yesterday-at-canary" } }
    const error = rejected(path.fromPayload(record, { shardId: "s-1", sequenceNumber: "9" }, 0))
    expect(error).toBeInstanceOf(InvalidValueError)
    expect(error.message).toBe("Record s-1/9: column users.created_at is invalid: not-a-timestamp")
    expect(JSON.stringify(error)).not.toContain("canary")
  })

  it("never throws on arbitrary input, only typed outcomes", () => {
    fc.assert(
      fc.property(fc.oneof(fc.jsonValue(), fc.string(), fc.anything()), (input) => {
        const outcome = path.fromPayload(input, {}, 0)
        expect(["Publish", "Skip", "Reject"]).toContain(outcome._tag)
        if (outcome._tag === "Reject") expect(outcome.error.code).not.toBe("unexpected-failure")
      }),
      { numRuns: 500 }
    )
  })

  it("never throws even for a record whose fields throw when read: a typed rejection, with what coordinates could be read", () => {
    const hostile = new Proxy(
      {},
      {
        get: () => {
          throw new Error("a getter that throws")
        }
      }
    )
    const outcome = path.fromKinesis(hostile as never, 0)
    expect(outcome._tag === "Reject" && [outcome.error.code, outcome.error.coordinates]).toEqual(["unexpected-failure", {}])
  })

  it("publishes every generated change of every table in all three shapes identically", () => {
    for (const [index, change] of sampleChanges(120, 11).entries()) {
      const details = [
        published(path.fromPayload(toCdcEvent(change), {}, 0)).detail,
        published(path.fromPayload(toDmsRecord(change), {}, 0)).detail,
        published(path.fromKinesis(toKinesisRecord(toDmsRecord(change), { index }), 0)).detail
      ]
      expect(details[1]?.changes).toEqual(details[0]?.changes)
      expect(details[2]?.changes).toEqual(details[0]?.changes)
    }
  })
})

describe("RecordPath, redriven records", () => {
  const original = toKinesisRecord(userUpdate, {
    shardId: "shardId-000000000001",
    sequenceNumber: "49650000000000000000000000000000000000000000000000000017"
  })
  const firstPosition = { shardId: "shardId-000000000001", sequenceNumber: original.kinesis.sequenceNumber }
  /** The record as the redrive writes it, read back from its new position. */
  const redriven = (bytes: Uint8Array, sequenceNumber: string) =>
    toKinesisRecord(bytes, { shardId: "shardId-000000000002", sequenceNumber, partitionKey: original.kinesis.partitionKey })
  const originalBytes = Buffer.from(original.kinesis.data, "base64")

  it("keep the event id and sequence number of their first position, wherever they are now", () => {
    const first = published(path.fromKinesis(original, processedAt))
    const once = redriven(redrivenRecordBytes(originalBytes, firstPosition), "49650000000000000000000000000000000000000000000000000999")
    const again = published(path.fromKinesis(once, processedAt + 60_000))
    expect(again.eventId).toBe(first.eventId)
    expect(again.detail).toEqual({
      ...first.detail,
      metadata: { ...first.detail.metadata, processedAt: again.detail.metadata.processedAt }
    })
    // redriven a second time (from its new position): wrapped once, same identity
    const onceBytes = Buffer.from(once.kinesis.data, "base64")
    expect(redrivenRecordBytes(onceBytes, { shardId: "shardId-000000000002", sequenceNumber: "999" })).toBe(onceBytes)
  })

  it("are written as the original record, a position larger, so one close to Kinesis's 1 MiB limit fits", () => {
    // a users row with a 1,000,000-character note: in base64 it alone would take 1,333,336 bytes
    const large = Buffer.from(JSON.stringify({ ...userUpdate, afterImage: { ...userUpdate.afterImage, note: "x".repeat(1_000_000) } }))
    const written = redrivenRecordBytes(large, firstPosition)
    expect(written.byteLength - large.byteLength).toBeLessThan(200)
    expect(written.byteLength).toBeLessThan(1_048_576)
    expect(redriveOriginOf(written)).toEqual(firstPosition)
    const first = published(path.fromKinesis(toKinesisRecord(large, { ...firstPosition, partitionKey: "users#123" }), processedAt))
    const again = published(path.fromKinesis(redriven(written, "9"), processedAt))
    expect(again.eventId).toBe(first.eventId)
    expect(again.detail.changes).toEqual(first.detail.changes)
  })

  it("publish alike from the base64 form earlier versions wrote, and from bytes that are not UTF-8", () => {
    const first = published(path.fromKinesis(original, processedAt))
    const base64Form = Buffer.from(JSON.stringify({ redriveOf: firstPosition, data: originalBytes.toString("base64") }))
    expect(published(path.fromKinesis(redriven(base64Form, "10"), processedAt)).detail).toEqual(first.detail)
    // an invalid UTF-8 byte in a value is read as U+FFFD: only base64 carries the bytes unchanged
    const notUtf8 = Buffer.concat([
      Buffer.from('{"tableName":"users","operation":"INSERT","afterImage":{"id":5,"status":"a'),
      Buffer.from([0xff]),
      Buffer.from('"},"timestamp":0}')
    ])
    const written = redrivenRecordBytes(notUtf8, firstPosition)
    expect(Object.keys(JSON.parse(Buffer.from(written).toString()))).toEqual(["redriveOf", "data"])
    const direct = published(path.fromKinesis(toKinesisRecord(notUtf8, { ...firstPosition, partitionKey: "users#5" }), processedAt))
    expect(published(path.fromKinesis(redriven(written, "11"), processedAt)).detail).toEqual(direct.detail)
  })

  it("keep the digits of a long decimal literal in the record form", () => {
    const insert = Buffer.from(
      '{"tableName":"products","operation":"INSERT","afterImage":{"product_id":"p1","price":19.994999999999999999},"timestamp":0}'
    )
    const { detail } = published(path.fromKinesis(redriven(redrivenRecordBytes(insert, firstPosition), "12"), processedAt))
    expect(detail.changes.price).toEqual({ new: "19.99" })
  })

  it("are rejected at their current position when the envelope is wrong, never with a value", () => {
    const at = { shardId: "shardId-000000000002", sequenceNumber: "7" }
    const cases: Array<[unknown, string]> = [
      [{ redriveOf: { shardId: "s" }, data: originalBytes.toString("base64") }, "invalid-redriven-record"],
      [{ redriveOf: { shardId: "s", sequenceNumber: "1" }, data: "not base64!" }, "invalid-base64"],
      [{ redriveOf: { shardId: "s", sequenceNumber: "1" }, record: "not an object" }, "invalid-redriven-record"],
      // both forms: which one is the original cannot be told
      [
        { redriveOf: { shardId: "s", sequenceNumber: "1" }, record: userUpdate, data: originalBytes.toString("base64") },
        "invalid-redriven-record"
      ],
      [
        { redriveOf: { shardId: "s", sequenceNumber: "1" }, record: { redriveOf: firstPosition, record: userUpdate } },
        "invalid-redriven-record"
      ],
      [JSON.parse(Buffer.from(redrivenRecordBytes(redrivenRecordBytes(originalBytes, firstPosition), at)).toString()), "ok"],
      [
        {
          redriveOf: { shardId: "s", sequenceNumber: "1" },
          data: Buffer.from(JSON.stringify({ redriveOf: firstPosition, data: originalBytes.toString("base64") })).toString("base64")
        },
        "invalid-redriven-record"
      ]
    ]
    for (const [envelope, reason] of cases) {
      const outcome = path.fromKinesis(redriven(Buffer.from(JSON.stringify(envelope)), at.sequenceNumber), processedAt)
      if (reason === "ok") {
        expect(outcome._tag).toBe("Publish")
        continue
      }
      const error = rejected(outcome)
      expect(error.code).toBe(reason)
      expect(error.coordinates.sequenceNumber).toBe(at.sequenceNumber)
      expect(JSON.stringify(error) + error.message).not.toContain("old@example.com")
    }
  })

  it("that were poison stay poison, reported at their current position", () => {
    const poison = Buffer.from('{"tableName":"users","email":"old@example.com"', "utf8")
    const error = rejected(path.fromKinesis(redriven(redrivenRecordBytes(poison, firstPosition), "8"), processedAt))
    expect(error.code).toBe("invalid-json")
    expect(error.coordinates.sequenceNumber).toBe("8")
  })
})
