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
    for (const bad of ["2024-02-30 10:00:00", "2024-01-15 25:00:00", "yesterday", "1e12", "12.", ".5", Number.NaN, true]) {
      expect(toIsoTimestamp(bad)).toBeUndefined()
    }
  })

  it("epoch millis with a fraction are cut to the millisecond, as DMS's microseconds are (floored before 1970)", () => {
    expect(toIsoTimestamp(1705314600123.456)).toBe("2024-01-15T10:30:00.123Z")
    expect(toIsoTimestamp("1705314600123.456")).toBe("2024-01-15T10:30:00.123Z")
    // as text the fraction is cut from the digits: the double nearest this one is …124
    expect(toIsoTimestamp("1705314600123.99999999")).toBe("2024-01-15T10:30:00.123Z")
    expect(toIsoTimestamp(-1000.5)).toBe("1969-12-31T23:59:58.999Z")
    expect(toIsoTimestamp("-1000.5")).toBe("1969-12-31T23:59:58.999Z")
    expect(toIsoTimestamp("-1000.000")).toBe("1969-12-31T23:59:59.000Z")
    expect(toIsoTimestamp("-1000")).toBe(toIsoTimestamp(-1000))
  })

  it("timestamps take ISO-8601's other extended forms: a date alone, minutes, a comma fraction, t and z", () => {
    // a SQL DATE column arrives as a date alone: midnight UTC
    expect(toIsoTimestamp("2024-01-15")).toBe("2024-01-15T00:00:00.000Z")
    expect(toIsoTimestamp("2024-01-15T10:30Z")).toBe("2024-01-15T10:30:00.000Z")
    expect(toIsoTimestamp("2024-01-15 10:30")).toBe("2024-01-15T10:30:00.000Z")
    expect(toIsoTimestamp("2024-01-15T10:30+01:00")).toBe("2024-01-15T09:30:00.000Z")
    expect(toIsoTimestamp("2024-01-15T10:30:00,123Z")).toBe("2024-01-15T10:30:00.123Z")
    expect(toIsoTimestamp("2024-01-15t10:30:00.5z")).toBe("2024-01-15T10:30:00.500Z")
    for (const bad of [
      "2024-01-15T",
      "2024-01-15T10",
      "2024-01-15T10:30.5Z",
      "2024-01-15Z",
      "2024-01-15+01:00",
      "2024-02-30",
      "2024-1-15"
    ]) {
      expect(toIsoTimestamp(bad), bad).toBeUndefined()
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

  it("a negative zero decimal is published as 0.00", () => {
    for (const zero of ["-0.00", "-0", "-0.0", "-0.004", -0, "0.00", "-0e5"]) expect(toFixed2(zero)).toBe("0.00")
  })

  it('booleans are read from every stored form: true/false, 0/1, "0"/"1", "true"/"false"', () => {
    const coerce = makeCoercer({ type: "boolean" })
    for (const yes of [true, 1, "1", "true"]) expect(coerce(yes)).toBe(true)
    for (const no of [false, 0, "0", "false"]) expect(coerce(no)).toBe(false)
    for (const bad of [2, -1, "yes", "TRUE", "", {}]) expect(coerce(bad)).toEqual(new Invalid("not-a-boolean"))
  })

  it("ints are read from any safe integer, as a number or as digit text, with a zero fraction too", () => {
    const coerce = makeCoercer({ type: "int" })
    expect(coerce("9007199254740991")).toBe(9_007_199_254_740_991)
    expect(coerce("-9007199254740991")).toBe(-9_007_199_254_740_991)
    // what a DECIMAL(n,0) column or a `5.00` writer gives: the number 1.0 is accepted, so is its text
    for (const [text, n] of [
      ["1.0", 1],
      ["-12.00", -12],
      ["007", 7],
      ["0.0", 0]
    ] as const)
      expect(coerce(text), text).toBe(n)
    for (const bad of ["1.5", "1.01", "1.", ".0", "1e3", " 5", "+5", "", "0x10", 4.2]) {
      expect(coerce(bad), String(bad)).toEqual(new Invalid("not-an-integer"))
    }
  })

  it("an integer a JavaScript number cannot hold exactly (a BIGINT id) is refused as out of range", () => {
    const coerce = makeCoercer({ type: "int" })
    // published as a neighbour (…992) it would name another row: refused, with a code that says why
    for (const big of ["9007199254740993", "12345678901234567", "-9007199254740992", "9007199254740992.0", 2 ** 53, -(2 ** 53), 1e21]) {
      expect(coerce(big), String(big)).toEqual(new Invalid("integer-out-of-range"))
    }
    // JSON numbers past a double's range parse as ±Infinity; as digits, their text does too
    for (const huge of [JSON.parse("1e400"), JSON.parse("-1e400"), `1${"0".repeat(400)}`]) {
      expect(coerce(huge), String(huge)).toEqual(new Invalid("integer-out-of-range"))
    }
    expect(coerce(Number.NaN)).toEqual(new Invalid("not-an-integer"))
  })

  it("json columns accept objects, arrays and JSON text, and refuse a bare number or boolean", () => {
    const coerce = makeCoercer({ type: "json" })
    expect(coerce([1, "a"])).toEqual([1, "a"])
    expect(coerce("[1]")).toEqual([1])
    for (const bad of [42, true]) expect(coerce(bad)).toEqual(new Invalid("not-json"))
  })

  it("deep equality compares JSON values structurally", () => {
    expect(deepEqual({ a: [1, { b: 2 }] }, { a: [1, { b: 2 }] })).toBe(true)
    expect(deepEqual({ a: 1 }, { a: 1, b: 2 })).toBe(false)
    expect(deepEqual([1], { 0: 1 })).toBe(false)
    expect(deepEqual(null, {})).toBe(false)
    expect(deepEqual([1], [1, 2])).toBe(false)
    expect(deepEqual({ a: [] }, { a: [0] })).toBe(false)
    expect(deepEqual({ 0: 1 }, [1])).toBe(false)
    expect(deepEqual({}, [])).toBe(false)
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
