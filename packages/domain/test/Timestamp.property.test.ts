import fc from "fast-check"
import { describe, expect, it } from "vitest"
import { isoOfMillis, millisOfIso, toIsoTimestamp } from "../src/Timestamp"

const anyMillis = fc.oneof(
  fc.integer({ min: 0, max: 253_402_300_799_999 }),
  fc.integer({ min: -8.64e15, max: 8.64e15 }),
  fc.constantFrom(0, 951_782_400_000, 253_402_300_799_999, 253_402_300_800_000, -1, -62_135_596_800_000)
)

describe("timestamps by arithmetic", () => {
  it("print epoch millis exactly as Date#toISOString does, in every year", () => {
    fc.assert(
      fc.property(anyMillis, (millis) => {
        expect(isoOfMillis(millis)).toBe(new Date(millis).toISOString())
      }),
      { numRuns: 5000 }
    )
  })

  it("read the published ISO text back exactly as Date.parse does", () => {
    fc.assert(
      fc.property(anyMillis, (millis) => {
        const iso = toIsoTimestamp(millis) as string
        expect(millisOfIso(iso)).toBe(Date.parse(iso))
        expect(millisOfIso(iso)).toBe(millis)
      }),
      { numRuns: 5000 }
    )
  })
})
