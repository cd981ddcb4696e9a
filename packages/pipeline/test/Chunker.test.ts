import fc from "fast-check"
import { describe, expect, it } from "vitest"
import { chunkEntries, entrySize, isOversized, maxEntriesPerRequest, maxRequestBytes } from "../src/Chunker"

const entry = (detailBytes: number, time = true) => ({
  Source: "cdc-pipeline.users",
  DetailType: "user.updated",
  Detail: "x".repeat(detailBytes),
  ...(time ? { Time: "2024-01-15T10:30:00.000Z" } : {})
})

describe("Chunker", () => {
  it("sizes an entry as AWS does: 14 bytes of Time, UTF-8 bytes of Source, DetailType, Detail, Resources", () => {
    expect(entrySize({ Source: "s", DetailType: "t", Detail: "{}", Time: "2024-01-01T00:00:00Z" })).toBe(18)
    expect(entrySize({ Source: "s", DetailType: "t", Detail: '"é"' })).toBe(1 + 1 + 4)
    expect(entrySize({ Source: "s", DetailType: "t", Detail: "", Resources: ["arn:a", "€"] })).toBe(2 + 5 + 3)
  })

  it("flags an entry larger than a whole request as oversized", () => {
    const overhead = entrySize(entry(0))
    expect(isOversized(entry(maxRequestBytes - overhead))).toBe(false)
    expect(isOversized(entry(maxRequestBytes - overhead + 1))).toBe(true)
  })

  it("closes a request at 10 entries", () => {
    const items = Array.from({ length: 25 }, (_, i) => ({ key: `k${i}`, entry: entry(10) }))
    const chunks = chunkEntries(items, { key: (i) => i.key, entry: (i) => i.entry })
    expect(chunks.map((c) => c.length)).toEqual([10, 10, 5])
  })

  it("closes a request before it would exceed 256 KB", () => {
    const items = Array.from({ length: 5 }, (_, i) => ({ key: `k${i}`, entry: entry(100 * 1024) }))
    const chunks = chunkEntries(items, { key: (i) => i.key, entry: (i) => i.entry })
    expect(chunks.map((c) => c.length)).toEqual([2, 2, 1])
  })

  it("never puts two entries of one key in a request, deferring the repeat instead of closing the request", () => {
    const items = ["a", "b", "a", "c", "b", "d", "d"].map((key, index) => ({ key, index, entry: entry(10) }))
    const chunks = chunkEntries(items, { key: (i) => i.key, entry: (i) => i.entry })
    expect(chunks.map((c) => c.map((i) => `${i.key}${i.index}`).join(" "))).toEqual(["a0 b1 c3 d5", "a2 b4 d6"])
  })

  it("fills requests to 10 even when keys repeat", () => {
    const items = Array.from({ length: 100 }, (_, i) => ({ key: `k${i % 12}`, entry: entry(10) }))
    expect(chunkEntries(items, { key: (i) => i.key, entry: (i) => i.entry }).length).toBe(10)
  })

  it("keeps each key's order, loses nothing and respects every limit (property)", () => {
    fc.assert(
      fc.property(
        fc.array(fc.record({ key: fc.constantFrom("a", "b", "c", "d", "e", "f"), size: fc.integer({ min: 0, max: 120_000 }) }), {
          maxLength: 60
        }),
        (raw) => {
          const items = raw.map((r, index) => ({ index, key: r.key, entry: entry(r.size) }))
          const chunks = chunkEntries(items, { key: (i) => i.key, entry: (i) => i.entry })
          const flat = chunks.flat()
          expect(flat.map((i) => i.index).sort((a, b) => a - b)).toEqual(items.map((i) => i.index))
          for (const key of new Set(items.map((i) => i.key))) {
            const order = flat.filter((i) => i.key === key).map((i) => i.index)
            expect(order).toEqual([...order].sort((a, b) => a - b))
          }
          for (const chunk of chunks) {
            expect(chunk.length).toBeGreaterThan(0)
            expect(chunk.length).toBeLessThanOrEqual(maxEntriesPerRequest)
            expect(chunk.reduce((t, i) => t + entrySize(i.entry), 0)).toBeLessThanOrEqual(maxRequestBytes)
            expect(new Set(chunk.map((i) => i.key)).size).toBe(chunk.length)
          }
        }
      )
    )
  })

  it("fills a request up to exactly 256 KB, and not one byte more", () => {
    const overhead = entrySize(entry(0))
    const sized = (key: string, bytes: number) => ({ key, entry: entry(bytes - overhead) })
    const lengths = (items: ReadonlyArray<{ key: string; entry: ReturnType<typeof entry> }>) =>
      chunkEntries(items, { key: (i) => i.key, entry: (i) => i.entry }).map((c) => c.length)
    const half = maxRequestBytes / 2
    expect(lengths([sized("a", half), sized("b", half)])).toEqual([2])
    expect(lengths([sized("a", half), sized("b", half + 1)])).toEqual([1, 1])
  })

  it("keeps a key's order when a request fills up while an earlier change of that key waits", () => {
    // a0 goes out and a1 waits; ten keys fill the request before a11 is looked at: a1 must still go before a11.
    const keys = ["a", "a", "b", "c", "d", "e", "f", "g", "h", "i", "j", "a", "k"]
    const items = keys.map((key, index) => ({ key, index, entry: entry(10) }))
    const chunks = chunkEntries(items, { key: (i) => i.key, entry: (i) => i.entry })
    expect(chunks.map((c) => c.map((i) => `${i.key}${i.index}`).join(" "))).toEqual(["a0 b2 c3 d4 e5 f6 g7 h8 i9 j10", "a1 k12", "a11"])
  })
})
