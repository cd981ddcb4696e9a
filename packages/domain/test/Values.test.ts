import { describe, expect, it } from "vitest"
import { toFixed2 } from "../src/Decimal"
import { toIsoTimestamp } from "../src/Timestamp"
import { deepEqual, Invalid, makeCoercer } from "../src/Values"

describe("column types and transformations", () => {
  it("decimals are exact, 2 decimals, half away from zero", () => {
    expect(toFixed2("19.995")).toBe("20.00")
    expect(toFixed2("19.994999")).toBe("19.99")
    expect(toFixed2(0.1 + 0.2)).toBe("0.30")
    expect(toFixed2("1.005")).toBe("1.01")
    expect(toFixed2(1.005)).toBe("1.01")
    expect(toFixed2("-2.345")).toBe("-2.35")
    expect(toFixed2("-0.001")).toBe("0.00")
    expect(toFixed2(12)).toBe("12.00")
    expect(toFixed2("1e3")).toBe("1000.00")
    expect(toFixed2("123456789012345678901.125")).toBe("123456789012345678901.13")
    for (const bad of ["abc", "", ".", "1.2.3", Number.NaN, Number.POSITIVE_INFINITY, true, null]) {
      expect(toFixed2(bad)).toBeUndefined()
    }
  })

  it("timestamps become ISO-8601 UTC from DMS text, ISO text and epoch millis", () => {
    expect(toIsoTimestamp("2024-01-15 10:30:00.123456")).toBe("2024-01-15T10:30:00.123Z")
    expect(toIsoTimestamp("2024-01-15 10:30:00")).toBe("2024-01-15T10:30:00.000Z")
    expect(toIsoTimestamp("2024-01-15T10:30:00+02:00")).toBe("2024-01-15T08:30:00.000Z")
    expect(toIsoTimestamp(1705314600123)).toBe("2024-01-15T10:30:00.123Z")
    expect(toIsoTimestamp("1705314600123")).toBe("2024-01-15T10:30:00.123Z")
    for (const bad of ["2024-02-30 10:00:00", "2024-01-15 25:00:00", "yesterday", 1.5, true]) {
      expect(toIsoTimestamp(bad)).toBeUndefined()
    }
  })

  it("coerces per type, transforms case, keeps null, refuses what cannot be coerced", () => {
    expect(makeCoercer({ type: "int" })("42")).toBe(42)
    expect(makeCoercer({ type: "int" })(4.2)).toEqual(new Invalid("not-an-integer"))
    expect(makeCoercer({ type: "boolean" })(1)).toBe(true)
    expect(makeCoercer({ type: "boolean" })("false")).toBe(false)
    expect(makeCoercer({ type: "boolean" })("yes")).toEqual(new Invalid("not-a-boolean"))
    expect(makeCoercer({ type: "json" })('{"a":1}')).toEqual({ a: 1 })
    expect(makeCoercer({ type: "json" })("{a")).toEqual(new Invalid("not-json"))
    expect(makeCoercer({ type: "string", transform: "UPPERCASE" })("eur")).toBe("EUR")
    expect(makeCoercer({ type: "string", transform: "LOWERCASE" })("GARDEN")).toBe("garden")
    expect(makeCoercer({ type: "string" })(12)).toEqual(new Invalid("not-a-string"))
    expect(makeCoercer({ type: "decimal" })(null)).toBeNull()
  })

  it("deep equality compares JSON values structurally", () => {
    expect(deepEqual({ a: [1, { b: 2 }] }, { a: [1, { b: 2 }] })).toBe(true)
    expect(deepEqual({ a: 1 }, { a: 1, b: 2 })).toBe(false)
    expect(deepEqual([1], { 0: 1 })).toBe(false)
    expect(deepEqual(null, {})).toBe(false)
  })
})

describe("timestamp fast path", () => {
  it("agrees with the Date-based conversion on every accepted form", () => {
    const millis = [0, 951_782_400_000, 1_705_314_600_123, 4_102_444_799_999]
    for (const m of millis) {
      const iso = new Date(m).toISOString()
      const dms = `${iso.slice(0, 10)} ${iso.slice(11, 23)}456`
      expect(toIsoTimestamp(dms)).toBe(iso)
      expect(toIsoTimestamp(iso)).toBe(iso)
      expect(toIsoTimestamp(`${iso.slice(0, 19)}Z`)).toBe(`${iso.slice(0, 19)}.000Z`)
    }
    expect(toIsoTimestamp("2024-02-29 00:00:00")).toBe("2024-02-29T00:00:00.000Z")
    expect(toIsoTimestamp("2023-02-29 00:00:00")).toBeUndefined()
    expect(toIsoTimestamp("2024-01-15 10:30:00.")).toBeUndefined()
    expect(toIsoTimestamp("2024-01-15 10:30:00.12a")).toBeUndefined()
  })
})
