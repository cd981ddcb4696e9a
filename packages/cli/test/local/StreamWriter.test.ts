import type { KinesisClient, PutRecordsCommand, PutRecordsCommandOutput } from "@aws-sdk/client-kinesis"
import { assert, describe, it } from "@effect/vitest"
import * as Effect from "effect/Effect"
import * as Fiber from "effect/Fiber"
import { TestClock } from "effect/testing"
import fc from "fast-check"
import {
  chunkForPutRecords,
  maxBytesPerRequest,
  maxRecordsPerRequest,
  type OutgoingRecord,
  PutRecordsExhaustedError,
  putAll
} from "../../src/local/StreamWriter"

const bytesOf = (chunk: ReadonlyArray<OutgoingRecord>) =>
  chunk.reduce((n, r) => n + Buffer.byteLength(r.partitionKey) + Buffer.byteLength(r.data as string), 0)

/** Records `data` = "<key>#<n>", n counting per key: input order per key is n ascending. */
const recordsOf = (keys: ReadonlyArray<string>, size = 1): Array<OutgoingRecord> => {
  const seen = new Map<string, number>()
  return keys.map((key) => {
    const n = (seen.get(key) ?? 0) + 1
    seen.set(key, n)
    return { partitionKey: key, data: `${key}#${n}`.padEnd(size, ".") }
  })
}

describe("chunkForPutRecords", () => {
  it("never puts two records of one partition key in a request, keeping order and the limits", () => {
    fc.assert(
      fc.property(
        fc.oneof(
          // Many small records: the 500-record limit.
          fc.tuple(fc.array(fc.integer({ min: 0, max: 60 }), { maxLength: 1_500 }), fc.constant(1)),
          // Few big ones: the 5 MiB limit.
          fc.tuple(fc.array(fc.integer({ min: 0, max: 6 }), { maxLength: 25 }), fc.integer({ min: 100_000, max: 1_500_000 }))
        ),
        ([picks, size]) => {
          const records = recordsOf(
            picks.map((k) => `k${k}`),
            size
          )
          const chunks = chunkForPutRecords(records)
          assert.deepStrictEqual(chunks.flat(), records)
          for (const chunk of chunks) {
            assert.isAbove(chunk.length, 0)
            assert.isAtMost(chunk.length, maxRecordsPerRequest)
            assert.isAtMost(bytesOf(chunk), maxBytesPerRequest)
            assert.strictEqual(new Set(chunk.map((r) => r.partitionKey)).size, chunk.length)
          }
        }
      ),
      { numRuns: 60 }
    )
  })

  it("closes a request only when needed: at a repeated key or a limit", () => {
    const lengths = (keys: ReadonlyArray<string>) => chunkForPutRecords(recordsOf(keys)).map((c) => c.length)
    assert.deepStrictEqual(lengths(["a", "b", "a", "c", "b", "a"]), [2, 3, 1])
    assert.deepStrictEqual(lengths(["a", "a", "a"]), [1, 1, 1])
    const distinct = Array.from({ length: 1_201 }, (_, i) => `k${i}`)
    assert.deepStrictEqual(lengths(distinct), [500, 500, 201])
  })

  it("counts partition keys in a request's 5 MiB, as Kinesis does", () => {
    const key = (c: string) => c.repeat(256)
    const half = maxBytesPerRequest / 2
    // Data alone fits in one request (2 × (half - 100) bytes); with the 256-byte keys it does not.
    const records = [key("a"), key("b")].map((partitionKey) => ({ partitionKey, data: "x".repeat(half - 100) }))
    assert.deepStrictEqual(
      chunkForPutRecords(records).map((c) => c.length),
      [1, 1]
    )
  })
})

/**
 * A fake Kinesis holding one stream as a log: each `PutRecords` writes its accepted entries in
 * request order, like Kinesis, after rejecting the ones `throttle` picks for that attempt.
 */
const fakeKinesis = (throttle: (data: string, attempt: number) => boolean) => {
  const log: Array<{ key: string; data: string }> = []
  const attempts = new Map<string, number>()
  const requests: Array<number> = []
  const send = async (command: PutRecordsCommand): Promise<Partial<PutRecordsCommandOutput>> => {
    const entries = command.input.Records ?? []
    requests.push(entries.length)
    const results = entries.map((entry) => {
      const data = Buffer.from(entry.Data!).toString()
      const attempt = (attempts.get(data) ?? 0) + 1
      attempts.set(data, attempt)
      if (throttle(data, attempt)) return { ErrorCode: "ProvisionedThroughputExceededException", ErrorMessage: "slow down" }
      log.push({ key: entry.PartitionKey!, data })
      return { ShardId: "shardId-000000000000", SequenceNumber: String(log.length) }
    })
    return { FailedRecordCount: results.filter((r) => "ErrorCode" in r).length, Records: results }
  }
  return { kinesis: { send } as unknown as KinesisClient, log, requests }
}

/** Runs `putAll` on a forked fiber, moving the TestClock until it is done: backoffs never really sleep. */
const putAllOnTestClock = (kinesis: KinesisClient, records: ReadonlyArray<OutgoingRecord>) =>
  Effect.gen(function* () {
    const fiber = yield* Effect.forkChild(putAll(kinesis, { streamName: "s" }, records))
    for (let i = 0; i < 1_000 && fiber.pollUnsafe() === undefined; i++) {
      yield* TestClock.adjust("10 seconds")
      yield* Effect.promise(() => new Promise<void>((resolve) => setImmediate(resolve)))
    }
    return yield* Fiber.join(fiber)
  })

const orderPerKey = (entries: ReadonlyArray<{ partitionKey?: string; key?: string; data: string | Uint8Array }>) => {
  const byKey = new Map<string, Array<string>>()
  for (const entry of entries) {
    const key = entry.partitionKey ?? entry.key!
    byKey.set(key, [...(byKey.get(key) ?? []), String(entry.data)])
  }
  return Object.fromEntries(byKey)
}

describe("putAll", () => {
  it.effect("keeps per-key order when PutRecords throttles some entries on the first attempt", () =>
    Effect.gen(function* () {
      const records = recordsOf(["users-1", "users-2", "users-1", "orders-7", "users-2", "users-1"])
      const throttled = new Set(["users-1#1", "users-2#1", "orders-7#1"])
      const { kinesis, log } = fakeKinesis((data, attempt) => attempt === 1 && throttled.has(data))
      const placed = yield* putAllOnTestClock(kinesis, records)
      assert.deepStrictEqual(orderPerKey(log), orderPerKey(records))
      assert.strictEqual(log.length, records.length)
      // Where each record landed, in input order.
      const sequenceOf = new Map(log.map((entry, i) => [entry.data, String(i + 1)]))
      assert.deepStrictEqual(
        placed.map((p) => p.sequenceNumber),
        records.map((r) => sequenceOf.get(String(r.data)))
      )
    })
  )

  it.effect("sends again an entry reported without a sequence number, as not written", () =>
    Effect.gen(function* () {
      const records = recordsOf(["a", "b"])
      const { kinesis, log } = fakeKinesis(() => false)
      let first = true
      const send = kinesis.send.bind(kinesis) as (command: PutRecordsCommand) => Promise<Partial<PutRecordsCommandOutput>>
      const lossy = {
        send: async (command: PutRecordsCommand) => {
          const output = await send(command)
          if (!first) return output
          first = false
          // The first response reports "b" as written but without its coordinates.
          return { ...output, Records: output.Records!.map((r, i) => (i === 1 ? {} : r)) }
        }
      } as unknown as KinesisClient
      const placed = yield* putAllOnTestClock(lossy, records)
      assert.deepStrictEqual(
        log.map((e) => e.data),
        ["a#1", "b#1", "b#1"]
      )
      assert.deepStrictEqual(
        placed.map((p) => p.sequenceNumber),
        ["1", "3"]
      )
    })
  )

  it.effect("reports progress as the running total of records written", () =>
    Effect.gen(function* () {
      const { kinesis } = fakeKinesis(() => false)
      const progress: Array<number> = []
      // Requests: [a], [a, b], [b].
      yield* putAll(kinesis, { streamName: "s" }, recordsOf(["a", "a", "b", "b"]), (written) => progress.push(written))
      assert.deepStrictEqual(progress, [1, 3, 4])
    })
  )

  it.effect("interrupted, waits for the request under way and counts what it placed: a resume writes nothing twice", () =>
    Effect.gen(function* () {
      const { kinesis, log } = fakeKinesis((data, attempt) => attempt === 1 && data === "c#1")
      const send = kinesis.send.bind(kinesis) as (command: PutRecordsCommand) => Promise<Partial<PutRecordsCommandOutput>>
      let answer: (() => void) | undefined
      // the second request is applied at once (as Kinesis may apply one whose caller gives up), answered later
      const slow = {
        send: async (command: PutRecordsCommand, options?: { abortSignal?: AbortSignal }) => {
          const output = await send(command)
          if (log.length <= 500) return output
          await new Promise<void>((resolve) => {
            answer = resolve
            options?.abortSignal?.addEventListener("abort", () => resolve())
          })
          return output
        }
      } as unknown as KinesisClient
      const progress: Array<number> = []
      const distinct = Array.from({ length: 1_000 }, (_, i) => `k${i}`)
      // records 501–1000 in the second request; one of them, c, is throttled: those after it are placed, it is not
      const records = [...recordsOf(distinct.slice(0, 700)), ...recordsOf(["c"]), ...recordsOf(distinct.slice(701))]
      const fiber = yield* Effect.forkChild(putAll(slow, { streamName: "s" }, records, (n) => progress.push(n)))
      while (answer === undefined) yield* Effect.promise(() => new Promise<void>((resolve) => setImmediate(resolve)))
      const interrupted = yield* Effect.forkChild(Fiber.interrupt(fiber))
      yield* Effect.promise(() => new Promise<void>((resolve) => setTimeout(resolve, 20)))
      assert.isUndefined(interrupted.pollUnsafe(), "the interruption waits for the answer")
      answer()
      yield* Fiber.join(interrupted)
      // 500, then the second request's leading 200 (up to c, which it refused): where a resume starts
      assert.deepStrictEqual(progress, [500, 700])
      assert.strictEqual(log.length, 999, "c was not written; the records after it were")
    })
  )

  it.effect("gives up with PutRecordsExhaustedError after 8 attempts of a stream that refuses every entry", () =>
    Effect.gen(function* () {
      const { kinesis, log, requests } = fakeKinesis(() => true)
      const error = yield* Effect.flip(putAllOnTestClock(kinesis, recordsOf(["a", "b"])))
      assert.instanceOf(error, PutRecordsExhaustedError)
      assert.deepStrictEqual([error.failed, error.errorCode], [2, "ProvisionedThroughputExceededException"])
      assert.deepStrictEqual(requests, [2, 2, 2, 2, 2, 2, 2, 2])
      assert.strictEqual(log.length, 0)
    })
  )

  it.effect("backs off between attempts: doubling from 400 ms, at most 5 s", () =>
    Effect.gen(function* () {
      const { kinesis, requests } = fakeKinesis(() => true)
      const fiber = yield* Effect.forkChild(Effect.flip(putAll(kinesis, { streamName: "s" }, recordsOf(["a"]))))
      const sentAt: Array<number> = []
      for (let now = 0; now <= 60_000; now += 100) {
        yield* Effect.promise(() => new Promise<void>((resolve) => setImmediate(resolve)))
        while (sentAt.length < requests.length) sentAt.push(now)
        if (fiber.pollUnsafe() !== undefined) break
        yield* TestClock.adjust("100 millis")
      }
      assert.deepStrictEqual(
        sentAt.slice(1).map((at, i) => at - sentAt[i]!),
        [400, 800, 1_600, 3_200, 5_000, 5_000, 5_000]
      )
    })
  )

  it.effect("keeps per-key order under random throttling of random key sequences", () =>
    Effect.gen(function* () {
      const cases = fc.sample(
        fc.record({
          keys: fc.array(fc.constantFrom("a", "b", "c", "d", "e"), { minLength: 1, maxLength: 60 }),
          throttleSeed: fc.integer({ min: 0, max: 2 ** 30 })
        }),
        40
      )
      for (const { keys, throttleSeed } of cases) {
        const records = recordsOf(keys)
        // Deterministic pseudo-random rejections, at most 3 attempts per entry.
        const hash = (s: string) => [...s].reduce((h, c) => (h * 31 + c.charCodeAt(0) + throttleSeed) % 1_000_003, 7)
        const { kinesis, log } = fakeKinesis((data, attempt) => attempt <= 3 && hash(`${data}@${attempt}`) % 3 === 0)
        yield* putAllOnTestClock(kinesis, records)
        assert.deepStrictEqual(orderPerKey(log), orderPerKey(records))
      }
    })
  )
})
