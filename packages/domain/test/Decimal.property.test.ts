import fc from "fast-check"
import { describe, expect, it } from "vitest"
import { toFixed2 } from "../src/Decimal"

/**
 * The rule written out the slow way, on the digits as text: cents are the whole digits and the
 * first two decimals, plus one when the third decimal is 5 or more (half away from zero).
 */
const reference = (negative: boolean, whole: string, fraction: string): string => {
  let cents = BigInt(whole) * 100n + BigInt(fraction.padEnd(2, "0").slice(0, 2))
  if (Number(fraction[2] ?? "0") >= 5) cents += 1n
  if (cents === 0n) return "0.00"
  const text = cents.toString().padStart(3, "0")
  return `${negative ? "-" : ""}${text.slice(0, -2)}.${text.slice(-2)}`
}

const digits = (length: number) =>
  fc.array(fc.constantFrom(..."0123456789"), { minLength: length, maxLength: length }).map((d) => d.join(""))

/** Digits of a length drawn uniformly up to `max` (fast-check's own lengths favour short arrays). */
const anyLength = (max: number) => fc.integer({ min: 0, max }).chain(digits)

describe("decimals", () => {
  it("round exactly at every length of the whole part, on either side of the double's precision", () => {
    // the fast path reads up to 13 whole digits into a double: 14 to 17 digits are where a wider
    // fast path would start rounding (123456789012345.671 → .68); 22 digits are well past it
    fc.assert(
      fc.property(fc.boolean(), fc.constantFrom(..."123456789"), anyLength(21), anyLength(6), (negative, lead, rest, fraction) => {
        const whole = `${lead}${rest}`
        const text = `${negative ? "-" : ""}${whole}${fraction === "" ? "" : `.${fraction}`}`
        expect(toFixed2(text), text).toBe(reference(negative, whole, fraction))
      }),
      { numRuns: 5000 }
    )
  })

  it("round the lengths where a double stops being exact, by example", () => {
    expect(toFixed2("123456789012345.671")).toBe("123456789012345.67")
    expect(toFixed2("9007199254740993.001")).toBe("9007199254740993.00")
    expect(toFixed2("99999999999999.995")).toBe("100000000000000.00")
    // 14 whole digits: their cents pass 2^53, where a double holds only every other integer
    // (three decimals: a text with exactly two is already published as is)
    expect(toFixed2("99999999999999.994")).toBe("99999999999999.99")
    expect(toFixed2("90071992547409.931")).toBe("90071992547409.93")
    expect(toFixed2("-1234567890123.455")).toBe("-1234567890123.46")
  })
})
