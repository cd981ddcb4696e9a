/**
 * Exact decimal rounding for money columns: the decimal text is rounded on its digits (BigInt),
 * never through a binary float, so `"19.995"` gives `"20.00"` and `0.1 + 0.2`-style errors
 * cannot appear.
 *
 * @example
 * ```ts
 * toFixed2("19.995") // "20.00"
 * toFixed2(12)       // "12.00"
 * toFixed2("abc")    // undefined
 * ```
 */

const decimalText = /^([+-]?)(\d*)(?:\.(\d*))?(?:[eE]([+-]?\d+))?$/
const alreadyFixed = /^-?(?:0|[1-9]\d*)\.\d\d$/

/** Rounds half away from zero to exactly 2 decimals; `undefined` when not a finite decimal. */
export const toFixed2 = (value: unknown): string | undefined => {
  let text: string
  if (typeof value === "number") {
    if (!Number.isFinite(value)) return undefined
    // String(n) is the shortest text that round-trips: the decimal the source wrote.
    text = String(value)
  } else if (typeof value === "string") {
    if (alreadyFixed.test(value)) return value === "-0.00" ? "0.00" : value
    text = value.trim()
  } else {
    return undefined
  }
  const match = decimalText.exec(text)
  if (match === null) return undefined
  const [, sign = "", whole = "", fraction = "", exponentText] = match
  if (whole.length === 0 && fraction.length === 0) return undefined
  const exponent = exponentText === undefined ? 0 : Number(exponentText)
  if (!Number.isSafeInteger(exponent) || Math.abs(exponent) > 400) return undefined
  // All digits with the decimal point moved by the exponent: value = digits × 10^-(scale).
  const digits = `${whole}${fraction}`
  const scale = fraction.length - exponent
  let cents: bigint
  if (scale <= 2) {
    cents = BigInt(digits || "0") * 10n ** BigInt(2 - scale)
  } else {
    const divisor = 10n ** BigInt(scale - 2)
    const all = BigInt(digits || "0")
    cents = all / divisor
    if ((all % divisor) * 2n >= divisor) cents += 1n
  }
  if (cents === 0n) return "0.00"
  const text2 = cents.toString().padStart(3, "0")
  return `${sign === "-" ? "-" : ""}${text2.slice(0, -2)}.${text2.slice(-2)}`
}
