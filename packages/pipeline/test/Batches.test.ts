import fc from "fast-check"
import { describe, expect, it } from "vitest"
import { packBatches } from "../src/Batches"

describe("packBatches", () => {
  it("keeps every item in order, within the count and byte bounds (an oversized item alone)", () => {
    fc.assert(
      fc.property(
        fc.array(fc.nat({ max: 120 })),
        fc.integer({ min: 1, max: 12 }),
        fc.integer({ min: 1, max: 300 }),
        (sizes, maxItems, maxBytes) => {
          const batches = packBatches(sizes, { maxItems, maxBytes, sizeOf: (n) => n })
          expect(batches.flat()).toEqual(sizes)
          for (const batch of batches) {
            expect(batch.length).toBeGreaterThan(0)
            expect(batch.length).toBeLessThanOrEqual(maxItems)
            const total = batch.reduce((t, n) => t + n, 0)
            if (batch.length > 1) expect(total).toBeLessThanOrEqual(maxBytes)
          }
        }
      )
    )
  })

  it("closes a batch only when the next item would not fit", () => {
    expect(packBatches([4, 4, 4, 9, 1], { maxItems: 10, maxBytes: 10, sizeOf: (n) => n })).toEqual([[4, 4], [4], [9, 1]])
  })

  it("with keys, never holds two items of one key in a batch, closing before the repeat", () => {
    const items = ["a1", "b1", "a2", "c1", "b2", "a3"]
    expect(packBatches(items, { maxItems: 10, maxBytes: 100, sizeOf: () => 1, keyOf: (item) => item[0] as string })).toEqual([
      ["a1", "b1"],
      ["a2", "c1", "b2"],
      ["a3"]
    ])
  })
})
