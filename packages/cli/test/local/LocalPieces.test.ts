import { mkdtempSync, writeFileSync } from "node:fs"
import { tmpdir } from "node:os"
import path from "node:path"
import { describe, expect, it } from "vitest"
import { readEmfLine } from "../../src/local/FunctionLogs"
import { makeLiveStats } from "../../src/local/LiveStats"
import { compareSequenceNumbers, openPositionStore } from "../../src/local/PositionStore"
import { makeProgress, renderProgress } from "../../src/local/Progress"
import { recordProblem, toReplayRecord } from "../../src/local/ReplayInput"
import { chunkForPutRecords, maxBytesPerRequest } from "../../src/local/StreamWriter"

describe("PositionStore", () => {
  it("resumes after the acknowledged position of the same stream, and only that stream", () => {
    const file = path.join(mkdtempSync(path.join(tmpdir(), "positions-")), "p.json")
    const store = openPositionStore(file, 1000)
    store.acknowledge("s-0", "99")
    store.acknowledge("s-0", "100")
    store.acknowledge("s-0", "98") // never backwards
    store.flush()
    expect(openPositionStore(file, 1000).get("s-0")).toBe("100")
    // A recreated stream (another creation time): old sequence numbers mean nothing.
    expect(openPositionStore(file, 2000).get("s-0")).toBeUndefined()
  })

  it("ignores a damaged file, and a damaged position in it", () => {
    const file = path.join(mkdtempSync(path.join(tmpdir(), "positions-")), "p.json")
    writeFileSync(file, "{not json")
    expect(openPositionStore(file, 1).snapshot()).toEqual({})
    writeFileSync(file, JSON.stringify({ streamCreatedAt: 1, shards: { "s-0": "12ab", "s-1": 7, "s-2": "42" } }))
    expect(openPositionStore(file, 1).snapshot()).toEqual({ "s-2": "42" })
  })

  it("creates the state directory when saving the first positions", () => {
    const file = path.join(mkdtempSync(path.join(tmpdir(), "positions-")), ".cdc", "positions", "p.json")
    const store = openPositionStore(file, 1)
    store.acknowledge("s-0", "5")
    store.flush()
    expect(openPositionStore(file, 1).get("s-0")).toBe("5")
  })

  it("compares sequence numbers as integers", () => {
    expect(compareSequenceNumbers("100", "99")).toBe(1)
    expect(compareSequenceNumbers("49650000000000000000000000000000000000000000000000000001", "9")).toBe(1)
  })
})

describe("chunkForPutRecords", () => {
  it("keeps requests within 500 records and 5 MiB, in order", () => {
    const small = Array.from({ length: 1201 }, (_, i) => ({ partitionKey: `k${i}`, data: "x" }))
    expect(chunkForPutRecords(small).map((c) => c.length)).toEqual([500, 500, 201])
    const big = Array.from({ length: 6 }, (_, i) => ({ partitionKey: `k${i}`, data: "y".repeat(1024 * 1024) }))
    const chunks = chunkForPutRecords(big)
    expect(chunks.length).toBe(2)
    for (const chunk of chunks)
      expect(chunk.reduce((n, r) => n + r.data.length + r.partitionKey.length, 0)).toBeLessThanOrEqual(maxBytesPerRequest)
    expect(chunks.flat().map((r) => r.partitionKey)).toEqual(big.map((r) => r.partitionKey))
  })
})

describe("toReplayRecord", () => {
  it("keys reference CDC events and DMS records by table and key", () => {
    expect(toReplayRecord('{"tableName":"users","operation":"DELETE","beforeImage":{"id":7}}', 1)).toMatchObject({
      partitionKey: "users-7"
    })
    const dms = '{"data":{"order_id":"ord_1"},"metadata":{"table-name":"orders","operation":"insert"}}'
    expect(toReplayRecord(dms, 2)).toMatchObject({ partitionKey: "orders-ord_1", data: dms, shape: "dms" })
  })

  it("unwraps a Lambda Kinesis record to its original data and partition key", () => {
    const line = JSON.stringify({ kinesis: { data: Buffer.from('{"x":1}').toString("base64"), partitionKey: "users-9" } })
    expect(toReplayRecord(line, 3)).toEqual({ partitionKey: "users-9", data: Buffer.from('{"x":1}'), shape: "kinesis" })
  })

  it("names a Kinesis record whose data is not base64 as no record, rather than write the bytes Node would decode around it", () => {
    const line = JSON.stringify({ kinesis: { data: "eyJ4Ijox!Q==", partitionKey: "users-9" } })
    expect(toReplayRecord(line, 3)).toEqual({ shape: "unreplayable", problem: expect.stringContaining("invalid-base64") })
  })

  it("keys by the row that has the key, and never by an empty partition key", () => {
    const cdc = '{"tableName":"users","operation":"UPDATE","afterImage":{"id":null},"beforeImage":{"id":7}}'
    expect(toReplayRecord(cdc, 1)).toMatchObject({ partitionKey: "users-7" })
    const unkeyed = JSON.stringify({ kinesis: { data: Buffer.from("{}").toString("base64"), partitionKey: "" } })
    expect(toReplayRecord(unkeyed, 5)).toMatchObject({ partitionKey: "replay-line-5" })
  })

  it("keys a record whose key is longer than Kinesis takes by its digest, one partition key per entity", () => {
    const line = (id: string, operation: string) => JSON.stringify({ tableName: "users", operation, afterImage: { id } })
    const long = "y".repeat(300)
    const a = toReplayRecord(line(long, "INSERT"), 1)
    const b = toReplayRecord(line(long, "UPDATE"), 2)
    const other = toReplayRecord(line(`${long}z`, "INSERT"), 3)
    expect(a).toMatchObject({ partitionKey: expect.stringMatching(/^users-#[0-9a-f]{64}$/), shape: "cdc" })
    expect([recordProblem(a), (b as { partitionKey: string }).partitionKey]).toEqual([
      undefined,
      (a as { partitionKey: string }).partitionKey
    ])
    expect((other as { partitionKey: string }).partitionKey).not.toBe((a as { partitionKey: string }).partitionKey)
    // a key that fits is kept as it is: 256 characters in all
    expect(toReplayRecord(line("y".repeat(250), "INSERT"), 4)).toMatchObject({ partitionKey: `users-${"y".repeat(250)}` })
  })

  it("passes anything else through unchanged for the processor to judge", () => {
    expect(toReplayRecord("{broken", 4)).toEqual({ partitionKey: "replay-line-4", data: "{broken", shape: "other" })
  })
})

describe("readEmfLine", () => {
  it("sums counters and keeps the latest gauge, ignoring other lines", () => {
    const totals: Record<string, number> = {}
    const line = (value: number, latency: number) =>
      JSON.stringify({
        _aws: {
          CloudWatchMetrics: [
            {
              Metrics: [
                { Name: "cdc_skipped_duplicate", Unit: "Count" },
                { Name: "cdc_batch_latency_ms", Unit: "Milliseconds" }
              ]
            }
          ]
        },
        cdc_skipped_duplicate: value,
        cdc_batch_latency_ms: latency
      })
    readEmfLine(line(3, 100), totals)
    readEmfLine(line(4, 50), totals)
    readEmfLine('{"message":"batch processed"}', totals)
    expect(totals).toEqual({ cdc_skipped_duplicate: 7, cdc_batch_latency_ms: 50 })
  })
})

describe("LiveStats", () => {
  it("charts events per second per table and event type, and counts duplicate deliveries once", () => {
    const stats = makeLiveStats()
    const event = (eventId: string) => ({ table: "users", eventType: "user.created", eventId, detail: {} })
    expect(stats.eventArrived(event("evt_1_a"), 10_000)).toBe(true)
    expect(stats.eventArrived(event("evt_1_b"), 10_500)).toBe(true)
    expect(stats.eventArrived(event("evt_1_a"), 11_000)).toBe(false)
    const snapshot = stats.snapshot(11_000)
    expect(snapshot.totals).toMatchObject({ published: 2, duplicatesDelivered: 1 })
    expect(snapshot.rates["users · user.created"]!.slice(-2)).toEqual([0, 2])
    // the second under way is charted once it has ended: as a dip before, it read too low
    expect(stats.eventArrived(event("evt_1_c"), 11_200)).toBe(true)
    expect(stats.snapshot(11_900).rates["users · user.created"]!.slice(-2)).toEqual([0, 2])
    expect(stats.snapshot(12_000).rates["users · user.created"]!.slice(-2)).toEqual([2, 1])
    // A minute later the second has left the window.
    expect(stats.snapshot(80_000).rates["users · user.created"]!.every((n) => n === 0)).toBe(true)
  })
})

describe("renderProgress", () => {
  it("draws a bar for a known total and a counter otherwise", () => {
    expect(renderProgress("replay", 50, 100, "")).toMatch(/^replay \[█{14} {14}\] {2}50% 50\/100$/)
    expect(renderProgress("cdc", 1234, undefined, "dlq 2", "produced")).toBe("cdc produced 1,234 · dlq 2")
  })
})

describe("makeProgress", () => {
  it("ends a plain (CI) log on the final count, even when the last update fell between its lines", () => {
    const lines: Array<string> = []
    const progress = makeProgress({
      write: (text) => lines.push(text),
      isTTY: false,
      label: "replay",
      plainEveryMillis: 60_000,
      now: () => 0
    })
    for (let done = 1; done <= 18; done++) progress.update(done, 18)
    progress.done()
    expect(lines.map((line) => line.trim().split(" ").at(-1))).toEqual(["1/18", "18/18"])
  })
})
