/**
 * Fuzzing the decoder, the record path and the batch program (fast-check, bounded runs):
 * malformed bytes, arbitrary JSON, and good records broken in realistic ways (truncated, bytes
 * flipped, values swapped for other JSON). Nothing may throw; every bad input becomes a typed
 * rejection that names no value of the record; in a batch, every bad record reaches the DLQ with
 * a reason and the good records behind it are published all the same. Seeded by the suite's
 * fast-check seed (`FC_SEED`; `FC_SEED=random` fuzzes new inputs).
 */
import { makeRecordPath } from "@cdc/domain/RecordPath"
import { developmentRedactionKeys } from "@cdc/domain/RedactionKeys"
import { type Change, publishedChangeArbitrary } from "@cdc/testkit/Changes"
import { toDmsRecord, toKinesisRecord } from "@cdc/testkit/InputShapes"
import { sensitiveValues } from "@cdc/testkit/SensitiveValues"
import type { KinesisStreamRecord } from "aws-lambda"
import { Effect, Layer, Logger } from "effect"
import fc from "fast-check"
import { describe, expect, it } from "vitest"
import { processBatch } from "../src/BatchProcessor"
import { inMemoryCheckpointLayer, makeInMemoryCheckpointStore } from "../src/CheckpointStore"
import { PublishBreaker } from "../src/CircuitBreaker"
import { inMemoryDeadLetterLayer, makeInMemoryDeadLetterQueue } from "../src/DeadLetterQueue"
import { inMemoryLayer, makeInMemoryEventBus } from "../src/EventBus"
import * as RecordPathLayer from "../src/RecordPath"
import { RetryPolicies } from "../src/RetryPolicy"

const options = { keys: developmentRedactionKeys, sourcePrefix: "cdc-pipeline", eventBusName: "fuzz-bus" }
const path = makeRecordPath(options)
const now = 1_705_314_601_000
const categories = new Set(["poison", "configuration", "schema-drift", "permanent"])

/** Ways a good record's bytes get broken on the way. */
const breakage = (text: string) =>
  fc.oneof(
    fc.nat({ max: Math.max(0, text.length - 1) }).map((cut) => Buffer.from(text.slice(0, cut))),
    fc
      .array(fc.tuple(fc.nat({ max: Math.max(0, text.length - 1) }), fc.integer({ min: 0, max: 255 })), { minLength: 1, maxLength: 8 })
      .map((flips) => {
        const bytes = Buffer.from(text)
        for (const [at, value] of flips) bytes[at] = value
        return bytes
      }),
    fc.jsonValue().map((value) => Buffer.from(JSON.stringify(value))),
    fc.uint8Array({ maxLength: 256 }).map((bytes) => Buffer.from(bytes))
  )

/** A good change and a broken copy of its DMS record. */
const brokenChange = publishedChangeArbitrary().chain((change) => {
  const text = JSON.stringify(toDmsRecord(change))
  return breakage(text).map((bytes) => ({ change, bytes }))
})

/** A DMS record whose column values are replaced by arbitrary JSON (wrong types, nesting, nulls). */
const wrongValues = publishedChangeArbitrary().chain((change) => {
  const record = toDmsRecord(change) as { data?: Record<string, unknown> | null }
  const columns = Object.keys(record.data ?? {})
  return fc.dictionary(fc.constantFrom(...(columns.length > 0 ? columns : ["id"])), fc.jsonValue(), { maxKeys: 3 }).map((replaced) => ({
    change,
    bytes: Buffer.from(JSON.stringify({ ...record, data: { ...(record.data ?? {}), ...replaced } }))
  }))
})

const secretsOf = (change: Change) => [
  ...sensitiveValues(change.table, change.after ?? {}),
  ...sensitiveValues(change.table, change.before ?? {})
]

describe("record path under fuzzing", () => {
  it("never throws on broken records; rejections are typed and name no value", () => {
    fc.assert(
      fc.property(fc.oneof(brokenChange, wrongValues), fc.nat({ max: 1_000 }), ({ change, bytes }, index) => {
        const outcome = path.fromKinesis(toKinesisRecord(bytes, { index }), now)
        expect(["Publish", "Skip", "Reject"]).toContain(outcome._tag)
        const text = outcome._tag === "Reject" ? `${outcome.error.message} ${JSON.stringify(outcome.error)}` : JSON.stringify(outcome)
        for (const secret of secretsOf(change)) expect(text).not.toContain(secret)
        if (outcome._tag === "Reject") {
          expect(categories).toContain(outcome.error.category)
          expect(outcome.error.code).toMatch(/^[a-z][a-z0-9-]*$/)
          expect(outcome.error.coordinates.sequenceNumber).toBe(toKinesisRecord(bytes, { index }).kinesis.sequenceNumber)
        }
      }),
      { numRuns: 300 }
    )
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
  const runBatch = (records: ReadonlyArray<KinesisStreamRecord>) =>
    Effect.gen(function* () {
      const bus = yield* makeInMemoryEventBus
      const dlq = yield* makeInMemoryDeadLetterQueue
      const store = yield* makeInMemoryCheckpointStore()
      const layer = Layer.mergeAll(
        RecordPathLayer.layer(options),
        inMemoryLayer(bus),
        inMemoryCheckpointLayer(store),
        inMemoryDeadLetterLayer(dlq),
        RetryPolicies.layer(),
        PublishBreaker.layer(),
        Logger.layer([])
      )
      const result = yield* processBatch(records).pipe(Effect.provide(layer))
      return { result, published: yield* bus.published, dead: yield* dlq.messages }
    })

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
        const expected = records.map((record) => path.fromKinesis(record, now)._tag)
        const { result, published, dead } = await Effect.runPromise(runBatch(records))
        expect(result.batchItemFailures).toEqual([])
        const rejected = records.filter((_, i) => expected[i] === "Reject").map((r) => r.kinesis.sequenceNumber)
        const deadRecords = dead.filter((m) => m.kind === "cdc.dead-letter")
        expect(deadRecords.map((m) => m.coordinates.sequenceNumber).sort()).toEqual([...rejected].sort())
        for (const message of deadRecords) expect(message.reason).toMatch(/^[a-z][a-z0-9-]*$/)
        expect(published).toHaveLength(expected.filter((tag) => tag === "Publish").length)
        const goodCount = items.filter((item) => "good" in item).length
        expect(published.length).toBeGreaterThanOrEqual(goodCount)
        const everything = JSON.stringify({ published, dead })
        for (const item of items) for (const secret of secretsOf(item.change)) expect(everything).not.toContain(secret)
      }),
      { numRuns: 40 }
    )
  })
})
