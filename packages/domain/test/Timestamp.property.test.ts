import fc from "fast-check"
import { describe, expect, it } from "vitest"
import { isoOfMillis, millisOfIso, timestampRange, toIsoTimestamp } from "../src/Timestamp"

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
        fc.pre(millis >= timestampRange.from && millis < timestampRange.to)
        const iso = toIsoTimestamp(millis) as string
        expect(millisOfIso(iso)).toBe(Date.parse(iso))
        expect(millisOfIso(iso)).toBe(millis)
      }),
      { numRuns: 5000 }
    )
  })
})

/** The catalog's `IsoDate` (./Event.ts): what consumers validate `timestamp` and `Time` against. */
const isoDate = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$/

describe("source timestamps", () => {
  it("are published in the catalog's ISO_DATE form, or refused (never an extended year)", () => {
    const text = fc
      .tuple(fc.integer({ min: 0, max: 9999 }), fc.constantFrom("", "Z", "+14:00", "-14:00", "+0530"))
      .map(([year, zone]) => `${String(year).padStart(4, "0")}-${year % 2 === 0 ? "01-01 00:00:00" : "12-31T23:59:59.999"}${zone}`)
    fc.assert(
      fc.property(fc.oneof(anyMillis, text), (value) => {
        const iso = toIsoTimestamp(value)
        if (iso !== undefined) expect(iso).toMatch(isoDate)
      }),
      { numRuns: 5000 }
    )
    expect(toIsoTimestamp(253_402_300_800_000)).toBeUndefined() // 10000-01-01
    expect(toIsoTimestamp(-62_198_755_200_000)).toBeUndefined() // -000001-01-01
    expect(toIsoTimestamp("9999-12-31T23:30:00-01:00")).toBeUndefined()
    expect(toIsoTimestamp("9999-12-31T23:30:00+01:00")).toBe("9999-12-31T22:30:00.000Z")
    expect(toIsoTimestamp("0050-02-29 00:00:00")).toBeUndefined() // not a leap year
    expect(toIsoTimestamp("0048-02-29 12:00:00")).toBe("0048-02-29T12:00:00.000Z")
    expect(toIsoTimestamp("0000-01-01T00:00:00Z")).toBe(isoOfMillis(timestampRange.from))
  })

  it("read every year 0000–9999 of DMS text as that year", () => {
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 9999 }), fc.integer({ min: 1, max: 12 }), (year, month) => {
        const date = `${String(year).padStart(4, "0")}-${String(month).padStart(2, "0")}-01`
        expect(toIsoTimestamp(`${date} 07:08:09.5`)).toBe(`${date}T07:08:09.500Z`)
        expect(toIsoTimestamp(`${date}T07:08:09+00:00`)).toBe(`${date}T07:08:09.000Z`)
      }),
      { numRuns: 2000 }
    )
  })

  it("are refused when a clock field is out of range, with or without a zone", () => {
    for (const clock of ["24:00:00", "23:60:00", "10:60:00", "10:30:60", "23:59:60"]) {
      for (const zone of ["", "Z", "+01:00", "-0530"]) {
        expect(toIsoTimestamp(`2024-01-15 ${clock}${zone}`), `${clock}${zone}`).toBeUndefined()
        expect(toIsoTimestamp(`2024-01-15T${clock}.123${zone}`), `T${clock}.123${zone}`).toBeUndefined()
      }
    }
    expect(toIsoTimestamp("2024-01-15 23:59:59.999")).toBe("2024-01-15T23:59:59.999Z")
  })

  it("accept February 29 only in leap years of the Gregorian calendar (centuries divisible by 400)", () => {
    for (const year of ["1900", "2100", "2023", "1800"]) {
      expect(toIsoTimestamp(`${year}-02-29 00:00:00`), year).toBeUndefined()
      expect(toIsoTimestamp(`${year}-02-29T00:00:00Z`), year).toBeUndefined()
    }
    for (const year of ["2000", "2024", "1600"]) expect(toIsoTimestamp(`${year}-02-29 00:00:00`)).toBe(`${year}-02-29T00:00:00.000Z`)
  })

  it("apply a zone offset's hours and minutes, with or without a colon", () => {
    const base = Date.UTC(2024, 5, 15, 12, 0, 0)
    fc.assert(
      fc.property(
        fc.constantFrom(1, -1),
        fc.integer({ min: 0, max: 14 }),
        fc.integer({ min: 0, max: 59 }),
        fc.boolean(),
        (sign, h, m, colon) => {
          const hh = String(h).padStart(2, "0")
          const mm = String(m).padStart(2, "0")
          const zone = `${sign < 0 ? "-" : "+"}${hh}${colon ? ":" : ""}${mm}`
          expect(toIsoTimestamp(`2024-06-15T12:00:00${zone}`)).toBe(isoOfMillis(base - sign * (h * 60 + m) * 60_000))
        }
      )
    )
    expect(toIsoTimestamp("2024-01-15T10:30:00+05:30")).toBe("2024-01-15T05:00:00.000Z")
    expect(toIsoTimestamp("2024-01-15 10:30:00-0345")).toBe("2024-01-15T14:15:00.000Z")
  })

  it("apply an hours-only zone offset (ISO-8601 `±hh`), and refuse a dangling colon or minute digit", () => {
    const base = Date.UTC(2024, 5, 15, 12, 0, 0)
    fc.assert(
      fc.property(fc.constantFrom(1, -1), fc.integer({ min: 0, max: 23 }), (sign, h) => {
        const zone = `${sign < 0 ? "-" : "+"}${String(h).padStart(2, "0")}`
        expect(toIsoTimestamp(`2024-06-15T12:00:00.250${zone}`)).toBe(isoOfMillis(base + 250 - sign * h * 3_600_000))
      })
    )
    expect(toIsoTimestamp("2024-01-15T10:30:00+05")).toBe("2024-01-15T05:30:00.000Z")
    for (const zone of ["+05:", "+053", "+05:3", "+5", "+24"]) expect(toIsoTimestamp(`2024-01-15T10:30:00${zone}`), zone).toBeUndefined()
  })

  it("are refused when the zone offset is out of range, never shifted by it", () => {
    for (const zone of ["+99:99", "-00:75", "+24:00", "-2400", "+12:60"])
      expect(toIsoTimestamp(`2024-01-15T10:30:00${zone}`), zone).toBeUndefined()
    expect(toIsoTimestamp("2024-01-15T10:30:00+23:59")).toBe("2024-01-14T10:31:00.000Z")
  })

  it("read at most 9 fraction digits, with or without a Z", () => {
    for (const zone of ["", "Z"]) {
      expect(toIsoTimestamp(`2024-01-15 10:30:00.123456789${zone}`), zone).toBe("2024-01-15T10:30:00.123Z")
      expect(toIsoTimestamp(`2024-01-15 10:30:00.1234567890${zone}`), zone).toBeUndefined()
    }
  })

  it("are refused when any year digit is not a digit", () => {
    const digits = "2024-01-15 10:30:00"
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 3 }), fc.constantFrom("x", "a", " ", "/", ":", "-"), (position, bad) => {
        const value = `${digits.slice(0, position)}${bad}${digits.slice(position + 1)}`
        expect(toIsoTimestamp(value)).toBeUndefined()
        expect(toIsoTimestamp(`${value}Z`)).toBeUndefined()
      })
    )
    expect(toIsoTimestamp("20xx-01-15 10:30:00")).toBeUndefined()
    expect(toIsoTimestamp("11ab-01-15T10:30:00Z")).toBeUndefined()
  })
})
