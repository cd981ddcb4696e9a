/**
 * Fuzzing the decoder, the record path and the batch program (fast-check, bounded runs):
 * malformed bytes, arbitrary JSON, and good records broken in realistic ways (truncated, bytes
 * flipped, values swapped for other JSON), and protected columns holding values of shapes the row
 * generators never make (null, non-ASCII, arrays, objects, negative numbers). Nothing may throw;
 * no protected value reaches an output; every bad input becomes a typed rejection that names no
 * value of the record; in a batch, every bad record reaches the DLQ with a reason and the good
 * records behind it are published all the same. Seeded by the suite's
 * fast-check seed (`FC_SEED`; `FC_SEED=random` fuzzes new inputs).
 */

import type { EventDetail } from "@cdc/domain/Event"
import { tables } from "@cdc/domain/Tables"
import { type Change, publishedChangeArbitrary } from "@cdc/testkit/Changes"
import { toDmsRecord, toKinesisRecord } from "@cdc/testkit/InputShapes"
import type { KinesisStreamRecord } from "aws-lambda"
import * as Effect from "effect/Effect"
import fc from "fast-check"
import { describe, expect, it } from "vitest"
import { fuzzNow, fuzzPath, runFuzzBatch, secretsOf } from "./support/FuzzWorld"

const path = fuzzPath
const now = fuzzNow
const categories = new Set(["poison", "configuration", "schema-drift", "permanent"])

/** How a good record's bytes were broken on the way. */
type Breakage = "truncated" | "flipped" | "json" | "bytes"

/** Ways a good record's bytes get broken on the way, each tagged with what was done. */
const breakage = (text: string): fc.Arbitrary<{ readonly how: Breakage; readonly bytes: Buffer }> =>
  fc.oneof(
    fc.nat({ max: Math.max(0, text.length - 1) }).map((cut) => ({ how: "truncated" as const, bytes: Buffer.from(text.slice(0, cut)) })),
    fc
      .array(fc.tuple(fc.nat({ max: Math.max(0, text.length - 1) }), fc.integer({ min: 0, max: 255 })), { minLength: 1, maxLength: 8 })
      .map((flips) => {
        const bytes = Buffer.from(text)
        for (const [at, value] of flips) bytes[at] = value
        return { how: "flipped" as const, bytes }
      }),
    fc.jsonValue().map((value) => ({ how: "json" as const, bytes: Buffer.from(JSON.stringify(value)) })),
    fc.uint8Array({ maxLength: 256 }).map((bytes) => ({ how: "bytes" as const, bytes: Buffer.from(bytes) }))
  )

/** A good change and a broken copy of its DMS record. */
const brokenChange = publishedChangeArbitrary().chain((change) =>
  breakage(JSON.stringify(toDmsRecord(change))).map(({ how, bytes }) => ({ change, how, bytes }))
)

/** A DMS record whose column values are replaced by arbitrary JSON (wrong types, nesting, nulls). */
const wrongValues = publishedChangeArbitrary().chain((change) => {
  const record = toDmsRecord(change) as { data?: Record<string, unknown> | null }
  const columns = Object.keys(record.data ?? {})
  return fc.dictionary(fc.constantFrom(...(columns.length > 0 ? columns : ["id"])), fc.jsonValue(), { maxKeys: 3 }).map((replaced) => ({
    change,
    how: "values" as const,
    bytes: Buffer.from(JSON.stringify({ ...record, data: { ...(record.data ?? {}), ...replaced } }))
  }))
})

/**
 * Values a protected column may hold that the row generators do not make: null, non-ASCII text
 * (emoji, combining marks), JSON arrays and objects (as values and as JSON text), negative
 * decimals. Each text carries a marker, and each number six or more characters, so finding one
 * in an output is a leak, not chance.
 */
const marked = fc.string({ unit: "grapheme", minLength: 1, maxLength: 10 }).map((text) => `ĉanary·${text}`)
const hostileValue: fc.Arbitrary<unknown> = fc.oneof(
  fc.constant(null),
  marked,
  fc.array(marked, { minLength: 1, maxLength: 3 }),
  fc.record({ line1: marked, note: fc.oneof(marked, fc.constant(null)) }),
  fc.array(marked, { minLength: 1, maxLength: 2 }).map((items) => JSON.stringify(items)),
  fc.integer({ min: 100_000, max: 99_999_999 }).map((n) => -(n + 0.25)),
  fc.integer({ min: 100_000, max: 99_999_999 }).map((n) => `-${n}.125`)
)

/** A change whose protected columns (one or more, in both images) hold hostile values. */
const guardedColumns = (table: string) =>
  tables
    .get(table)!
    .columns.filter((column) => column.protection !== undefined)
    .map((column) => column.name)
const hostileChange = publishedChangeArbitrary()
  .filter((change) => guardedColumns(change.table).length > 0)
  .chain((change) => {
    const guarded = guardedColumns(change.table)
    const replace = (row: Change["after"], values: Readonly<Record<string, unknown>>) =>
      row === undefined ? undefined : { ...row, ...values }
    return fc
      .tuple(
        fc.dictionary(fc.constantFrom(...guarded), hostileValue, { minKeys: 1, maxKeys: guarded.length }),
        fc.dictionary(fc.constantFrom(...guarded), hostileValue, { maxKeys: guarded.length })
      )
      .map(([after, before]): Change => ({ ...change, after: replace(change.after, after), before: replace(change.before, before) }))
  })

/**
 * The reason a broken record must be refused with, known without asking the record path: text
 * that is not JSON, or JSON that is not an object. `undefined` where the breakage may still have
 * left a valid record (a flipped digit, a value of the right type).
 */
const requiredReason = (bytes: Buffer): string | undefined => {
  let parsed: unknown
  try {
    parsed = JSON.parse(bytes.toString("utf8"))
  } catch {
    return "invalid-json"
  }
  return typeof parsed !== "object" || parsed === null || Array.isArray(parsed) ? "not-an-object" : undefined
}

/** The row a change is of, as the table definition names its key: what `entityId` must be. */
const entityOf = (change: Change) => String((change.after ?? change.before)?.[tables.get(change.table)!.keyColumn])

describe("record path under fuzzing", () => {
  it("never throws on broken records; rejections are typed and name no value", () => {
    fc.assert(
      fc.property(fc.oneof(brokenChange, wrongValues), fc.nat({ max: 1_000 }), ({ change, how, bytes }, index) => {
        const record = toKinesisRecord(bytes, { index })
        const outcome = path.fromKinesis(record, now)
        expect(["Publish", "Skip", "Reject"]).toContain(outcome._tag)
        const text = outcome._tag === "Reject" ? `${outcome.error.message} ${JSON.stringify(outcome.error)}` : JSON.stringify(outcome)
        for (const secret of secretsOf(change)) expect(text).not.toContain(secret)
        // Every truncation, and random bytes or JSON that are no object, are refused for that reason.
        const reason = requiredReason(bytes)
        if (how === "truncated") expect(reason).toBe("invalid-json")
        if (reason !== undefined) expect(outcome._tag === "Reject" && outcome.error.code).toBe(reason)
        if (outcome._tag === "Reject") {
          // the record path turns a thrown exception into `unexpected-failure`: a crash, never an input's reason
          expect(outcome.error.code).not.toBe("unexpected-failure")
          expect(categories).toContain(outcome.error.category)
          expect(outcome.error.code).toMatch(/^[a-z][a-z0-9-]*$/)
          expect(outcome.error.coordinates.sequenceNumber).toBe(record.kinesis.sequenceNumber)
        }
      }),
      { numRuns: 300 }
    )
  })

  it("withholds protected values of any shape (null, non-ASCII, arrays, objects, negative numbers)", () => {
    const outcomes = { Publish: 0, Reject: 0 }
    fc.assert(
      fc.property(hostileChange, fc.nat({ max: 1_000 }), (change, index) => {
        const record = toKinesisRecord(toDmsRecord(change), { index })
        const outcome = path.fromKinesis(record, now)
        if (outcome._tag === "Publish" || outcome._tag === "Reject") outcomes[outcome._tag] += 1
        // a value of a shape its column cannot take is refused, typed, with the column's name only
        expect(["Publish", "Reject"]).toContain(outcome._tag)
        const text = outcome._tag === "Reject" ? `${outcome.error.message} ${JSON.stringify(outcome.error)}` : JSON.stringify(outcome)
        for (const secret of secretsOf(change)) expect(text).not.toContain(secret)
      }),
      { numRuns: 300 }
    )
    // both ends were reached: values redacted and published, and values refused
    expect(outcomes.Publish).toBeGreaterThan(30)
    expect(outcomes.Reject).toBeGreaterThan(30)
  })

  it("rejects malformed Lambda records (bad base64, missing fields) without throwing", () => {
    const malformedRecord = fc
      .record({
        data: fc.oneof(fc.string(), fc.constant("!!!not-base64!!!"), fc.constant(undefined as unknown as string)),
        sequenceNumber: fc.oneof(fc.constant("1"), fc.string())
      })
      .map(({ data, sequenceNumber }) => {
        const record = toKinesisRecord("{}", { sequenceNumber: "1" })
        return { ...record, kinesis: { ...record.kinesis, data, sequenceNumber } } as KinesisStreamRecord
      })
    fc.assert(
      fc.property(malformedRecord, (record) => {
        const outcome = path.fromKinesis(record, now)
        expect(outcome._tag).not.toBe("Publish")
      }),
      { numRuns: 200 }
    )
  })
})

describe("batch program under fuzzing", () => {
  it("dead-letters every bad record with a reason and publishes every good one behind it", async () => {
    const batch = fc.array(
      fc.oneof(
        publishedChangeArbitrary().map((change) => ({ good: true as const, change })),
        brokenChange
      ),
      {
        minLength: 1,
        maxLength: 40
      }
    )
    await fc.assert(
      fc.asyncProperty(batch, async (items) => {
        const records = items.map((item, index) =>
          toKinesisRecord("good" in item ? toDmsRecord(item.change) : item.bytes, { index, partitionKey: `k-${index}` })
        )
        const { result, published, dead } = await Effect.runPromise(runFuzzBatch(records))
        expect(result.batchItemFailures).toEqual([])
        const details = published.map((entry) => JSON.parse(entry.Detail) as EventDetail)
        const deadRecords = dead.filter((m) => m.kind === "cdc.dead-letter")
        for (const message of deadRecords) {
          expect(message.reason).toMatch(/^[a-z][a-z0-9-]*$/)
          expect(message.reason).not.toBe("unexpected-failure")
        }
        items.forEach((item, index) => {
          const sequenceNumber = records[index]!.kinesis.sequenceNumber
          const events = details.filter((detail) => detail.metadata.sequenceNumber === sequenceNumber)
          const letters = deadRecords.filter((m) => m.coordinates.sequenceNumber === sequenceNumber)
          // Never both, never twice.
          expect(events.length + letters.length).toBeLessThanOrEqual(1)
          if ("good" in item) {
            // A good record is published, as the change it is, whatever broke around it.
            expect(events.map((e) => [e.metadata.sourceTable, e.entityId, e.operation])).toEqual([
              [item.change.table, entityOf(item.change), item.change.operation]
            ])
          } else {
            const reason = requiredReason(item.bytes)
            if (reason !== undefined) expect(letters.map((m) => m.reason)).toEqual([reason])
          }
        })
        const everything = JSON.stringify({ published, dead })
        for (const item of items) for (const secret of secretsOf(item.change)) expect(everything).not.toContain(secret)
      }),
      { numRuns: 40 }
    )
  })
})
