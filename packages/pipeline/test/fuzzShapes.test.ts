/**
 * The fuzz suite's second half (fuzz.test.ts has random bytes and generated values): every input
 * shape the decoder takes (the reference CDC event, DMS with and without a before-image, a DMS
 * full load, control records), edits aimed at the decoder's known hazards (a byte order mark,
 * NUL, lone surrogates, numbers past a double, deep nesting, prototype keys, duplicate members),
 * no defect hidden as a rejection (`unexpected-failure`), every Skip justified by the record
 * itself, and the batch program agreeing with the record path record by record: a Reject is in
 * the DLQ with its code, a Publish is published once, and nothing blocks the shard.
 */
import type { RecordOutcome } from "@cdc/domain/RecordPath"
import { tables } from "@cdc/domain/Tables"
import { type Change, publishedChangeArbitrary } from "@cdc/testkit/Changes"
import { dmsControlRecord, toCdcEvent, toDmsRecord, toKinesisRecord } from "@cdc/testkit/InputShapes"
import * as Effect from "effect/Effect"
import fc from "fast-check"
import { describe, expect, it } from "vitest"
import { fuzzNow, fuzzPath, runFuzzBatch, secretsOf } from "./support/FuzzWorld"

const path = fuzzPath
const now = fuzzNow

/** A change in every shape the decoder takes (the Lambda wrapper is added around each). */
const shaped = (change: Change) =>
  fc.constantFrom<readonly [unknown, Change]>(
    [toCdcEvent(change), change],
    [toDmsRecord(change), change],
    // without a before-image the pipeline cannot know what the row was (configurations.is_secret):
    // only the after image's protected values are this record's
    [toDmsRecord(change, { beforeImage: false }), change.operation === "UPDATE" ? { ...change, before: undefined } : change],
    [toDmsRecord(change, { load: true }), change]
  )

/** Text edits that target the decoder's known hazards. */
const hostileEdit = (text: string): fc.Arbitrary<string> => {
  const at = fc.nat({ max: Math.max(0, text.length) })
  const insert = (piece: string) => at.map((i) => text.slice(0, i) + piece + text.slice(i))
  const firstKey = text.indexOf('":') // after the first member name
  const member = (name: string, value: string) =>
    firstKey < 0 ? fc.constant(text) : fc.constant(`${text.slice(0, firstKey + 2)}${value},"${name}":${text.slice(firstKey + 2)}`)
  return fc.oneof(
    fc.constant(`\ufeff${text}`),
    insert("\u0000"),
    insert("\\u0000"),
    insert("\\ud800"),
    insert("\\udfff"),
    insert("1e400"),
    insert("-1e400"),
    insert("123456789012345678901234567890"),
    insert(`${"[".repeat(5000)}${"]".repeat(5000)}`),
    insert(`{"__proto__":{"is_secret":false}}`),
    member("__proto__", '{"polluted":1}'),
    member("constructor", '"x"'),
    member("tableName", '"users"'),
    member("is_secret", "false"),
    // a value of any column swapped for a hostile one (by regex: the value after a member name)
    fc
      .tuple(
        fc.nat(),
        fc.constantFrom(
          '"\\ud800"',
          "1e400",
          "-0",
          `${"[".repeat(300)}${"]".repeat(300)}`,
          '"\\u0000"',
          "{}",
          "[]",
          "true",
          "null",
          '"9999-99-99"'
        )
      )
      .map(([n, value]) => {
        const members = [...text.matchAll(/":(?="|-?\d|t|f|n|\{|\[)/g)]
        if (members.length === 0) return text
        const m = members[n % members.length] as RegExpMatchArray
        const start = (m.index as number) + 2
        const end = scanValueEnd(text, start)
        return text.slice(0, start) + value + text.slice(end)
      })
  )
}

/** The end of the JSON value starting at `start` (strings, numbers, literals; objects/arrays by bracket depth). */
const scanValueEnd = (text: string, start: number): number => {
  let depth = 0
  let inString = false
  for (let i = start; i < text.length; i++) {
    const c = text[i]
    if (inString) {
      if (c === "\\") i++
      else if (c === '"') {
        inString = false
        if (depth === 0) return i + 1
      }
      continue
    }
    if (c === '"') inString = true
    else if (c === "{" || c === "[") depth++
    else if (c === "}" || c === "]") {
      if (depth === 0) return i
      depth--
      if (depth === 0) return i + 1
    } else if (c === "," && depth === 0) return i
  }
  return text.length
}

/** A Skip must be justified by the record itself: a control record, or an operation its (known) table does not publish. */
const skipJustified = (bytes: Buffer, outcome: RecordOutcome & { _tag: "Skip" }): boolean => {
  // biome-ignore lint/suspicious/noExplicitAny: the record as parsed, any of the shapes, read field by field
  let parsed: any
  try {
    parsed = JSON.parse(bytes.toString("utf8"))
  } catch {
    return false
  }
  if (parsed?.redriveOf !== undefined) parsed = parsed.record ?? parsed
  const dms = parsed !== null && typeof parsed === "object" && Object.hasOwn(parsed, "metadata")
  const table = dms ? parsed.metadata?.["table-name"] : parsed?.tableName
  if (outcome.reason === "control-record") return dms && parsed.metadata?.["record-type"] === "control"
  const op = dms
    ? ({ load: "INSERT", insert: "INSERT", update: "UPDATE", delete: "DELETE" } as Record<string, string>)[parsed.metadata?.operation]
    : parsed?.operation
  const definition = tables.get(table)
  return definition !== undefined && op !== undefined && !definition.operations.includes(op)
}

type Item = {
  readonly change: Change
  readonly bytes: Buffer
  readonly good: boolean
  /** A DMS full-load row (published with metadata.snapshot). */
  readonly load?: boolean
  /** A control record's DDL operation as written. */
  readonly ddl?: string
}
const goodItem = publishedChangeArbitrary().chain((change) =>
  shaped(change).map(
    ([payload, change]): Item => ({
      change,
      bytes: Buffer.from(JSON.stringify(payload)),
      good: true,
      load: (payload as { metadata?: { operation?: string } }).metadata?.operation === "load"
    })
  )
)
const hostileItem = publishedChangeArbitrary().chain((change) =>
  shaped(change).chain(([payload, change]) =>
    hostileEdit(JSON.stringify(payload)).map((text): Item => ({ change, bytes: Buffer.from(text), good: false }))
  )
)
/** A DMS control (DDL) record, of a known table or not, carrying a row image as its `data`. */
const controlItem = publishedChangeArbitrary().chain((change) =>
  fc
    .tuple(fc.constantFrom(change.table, "nope"), fc.constantFrom("add-column", "Drop-Column", "drop table users; --", "x".repeat(80), "ä"))
    .map(([table, ddl]): Item => {
      const record = dmsControlRecord({ table, operation: "add-column", columns: ["nickname"], changeTimeMillis: 0 })
      return {
        change,
        bytes: Buffer.from(
          JSON.stringify({ ...record, metadata: { ...record.metadata, operation: ddl }, data: change.after ?? change.before })
        ),
        good: false,
        ddl
      }
    })
)

/** The DDL operation as the DLQ reason may name it (README: a name, else `other`). */
const ddlName = (operation: string) => (/^[A-Za-z][A-Za-z-]{0,63}$/.test(operation) ? operation.toLowerCase() : "other")

describe("record path under targeted fuzzing (every shape)", () => {
  it("never fails by a defect, every Skip is justified, and no protected value is named", () => {
    fc.assert(
      fc.property(fc.oneof(goodItem, hostileItem, controlItem), fc.nat({ max: 1_000 }), ({ change, bytes, good, load, ddl }, index) => {
        const outcome = path.fromKinesis(toKinesisRecord(bytes, { index }), now)
        if (good) {
          expect(outcome._tag).toBe("Publish")
          if (outcome._tag === "Publish") expect(JSON.parse(outcome.entry.Detail).metadata.snapshot).toBe(load ? true : undefined)
        }
        if (ddl !== undefined) expect(outcome).toMatchObject({ _tag: "Skip", reason: "control-record", ddl: { operation: ddlName(ddl) } })
        if (outcome._tag === "Reject") expect(outcome.error.code).not.toBe("unexpected-failure")
        if (outcome._tag === "Skip") expect(skipJustified(bytes, outcome)).toBe(true)
        const text = outcome._tag === "Reject" ? `${outcome.error.message} ${JSON.stringify(outcome.error)}` : JSON.stringify(outcome)
        for (const secret of secretsOf(change)) expect(text).not.toContain(secret)
      }),
      { numRuns: 600 }
    )
  })

  it("refuses Lambda records whose data is not base64 as invalid-base64", () => {
    fc.assert(
      fc.property(goodItem, fc.nat(), fc.constantFrom("!", "*", "\u00e9", "=", " ", ""), ({ bytes }, at, bad) => {
        const record = toKinesisRecord(bytes)
        const data = record.kinesis.data
        const i = at % data.length
        // a character outside the alphabet, or one character dropped (the length is no longer a multiple of 4)
        const broken = bad === "" ? data.slice(0, i) + data.slice(i + 1) : data.slice(0, i) + bad + data.slice(i + 1)
        // (a pad for the last character, or a pad for a pad, is still base64: of other bytes, or the same)
        fc.pre(!/^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?$/.test(broken))
        const outcome = path.fromKinesis({ ...record, kinesis: { ...record.kinesis, data: broken } }, now)
        expect(outcome._tag === "Reject" && outcome.error.code).toBe("invalid-base64")
      }),
      { numRuns: 300 }
    )
  })
})

describe("batch program agrees with the record path, record by record", () => {
  it("a Reject is dead-lettered with its code, a Publish published once, a Skip neither; nothing blocks the shard", async () => {
    await fc.assert(
      fc.asyncProperty(fc.array(fc.oneof(goodItem, hostileItem, controlItem), { minLength: 1, maxLength: 30 }), async (items) => {
        const records = items.map((item, index) => toKinesisRecord(item.bytes, { index, partitionKey: `k-${index}` }))
        const expected = records.map((record) => path.fromKinesis(record, now))
        const { result, published, dead } = await Effect.runPromise(runFuzzBatch(records))
        expect(result.batchItemFailures).toEqual([])
        const letters = dead.filter((m) => m.kind === "cdc.dead-letter")
        records.forEach((record, i) => {
          const seq = record.kinesis.sequenceNumber
          const events = published.filter((e) => JSON.parse(e.Detail).metadata.sequenceNumber === seq)
          const mine = letters.filter((m) => m.coordinates.sequenceNumber === seq)
          const outcome = expected[i] as RecordOutcome
          if (outcome._tag === "Publish") expect([events.length, mine.length]).toEqual([1, 0])
          if (outcome._tag === "Skip") expect([events.length, mine.length]).toEqual([0, 0])
          if (outcome._tag === "Reject") {
            expect(events.length).toBe(0)
            expect(mine.map((m) => m.reason)).toEqual([outcome.error.code])
          }
        })
        const everything = JSON.stringify({ published, dead })
        for (const item of items) for (const secret of secretsOf(item.change)) expect(everything).not.toContain(secret)
      }),
      { numRuns: 40 }
    )
  })
})
