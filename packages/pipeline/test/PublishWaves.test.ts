import fc from "fast-check"
import { describe, expect, it } from "vitest"
import { intoWaves, publishWidth } from "../src/PublishWaves"

const self = (key: string) => key

describe("PublishWaves", () => {
  it("puts requests of disjoint keys together, up to the width", () => {
    const requests = [["a"], ["b"], ["c"], ["d"], ["e"], ["f"]]
    expect(intoWaves(requests, self, 4)).toEqual([
      [["a"], ["b"], ["c"], ["d"]],
      [["e"], ["f"]]
    ])
  })

  it("starts a new wave at a request that shares a key with the wave", () => {
    expect(intoWaves([["a", "b"], ["c"], ["b", "d"], ["e"]], self, 4)).toEqual([
      [["a", "b"], ["c"]],
      [["b", "d"], ["e"]]
    ])
  })

  it("sends the requests of a key that is in every request one at a time", () => {
    const requests = [
      ["hot", "a"],
      ["hot", "b"],
      ["hot", "c"]
    ]
    expect(intoWaves(requests, self)).toEqual(requests.map((request) => [request]))
  })

  it("keeps every request in order, no key twice in a wave, no wave wider than allowed, and closes a wave only when it must (property)", () => {
    const request = fc.uniqueArray(fc.constantFrom(..."abcdefghij"), { minLength: 1, maxLength: 4 })
    fc.assert(
      fc.property(fc.array(request, { maxLength: 40 }), fc.integer({ min: 1, max: 6 }), (requests, width) => {
        const waves = intoWaves(requests, self, width)
        expect(waves.flat()).toEqual(requests)
        waves.forEach((wave, i) => {
          const keys = wave.flat()
          expect(new Set(keys).size).toBe(keys.length)
          expect(wave.length).toBeGreaterThan(0)
          expect(wave.length).toBeLessThanOrEqual(width)
          const next = waves[i + 1]?.[0]
          if (next !== undefined) expect(wave.length === width || next.some((key) => keys.includes(key))).toBe(true)
        })
      })
    )
  })

  it("sends at most publishWidth requests at once by default", () => {
    const requests = Array.from({ length: 3 * publishWidth }, (_, i) => [`k${i}`])
    expect(intoWaves(requests, self).map((wave) => wave.length)).toEqual([publishWidth, publishWidth, publishWidth])
  })
})
