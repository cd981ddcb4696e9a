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

import { isDigitCode, twoDigitText } from "./Digits"

const decimalText = /^([+-]?)(\d*)(?:\.(\d*))?(?:[eE]([+-]?\d+))?$/

/**
 * `/^-?(?:0|[1-9]\d*)\.\d\d$/.test(text)`: already the published form (most decimals DMS sends),
 * read by position; a regular expression's call into the engine's matcher cost more than the
 * check, once per decimal value.
 */
const alreadyFixed = (text: string): boolean => {
  const length = text.length
  const start = text.charCodeAt(0) === 45 ? 1 : 0
  const dot = length - 3
  if (dot <= start || text.charCodeAt(dot) !== 46) return false
  if (!isDigitCode(text.charCodeAt(dot + 1)) || !isDigitCode(text.charCodeAt(dot + 2))) return false
  // no leading zero but the zero itself
  if (text.charCodeAt(start) === 48) return dot === start + 1
  for (let i = start; i < dot; i++) if (!isDigitCode(text.charCodeAt(i))) return false
  return true
}

/**
 * The plain forms (`-?digits[.digits]`, at most 13 whole digits, no exponent) rounded on their
 * digits without a regular expression or a BigInt: to half away from zero at 2 decimals, the
 * cents are the whole digits and the first two decimals, plus one when the third is 5 or more.
 * Exact in a double (below 10^15). Anything else returns `undefined` and takes the general path.
 */
const plainFixed2 = (text: string): string | undefined => {
  const length = text.length
  const negative = text.charCodeAt(0) === 45
  let i = negative ? 1 : 0
  let whole = 0
  for (; i < length; i++) {
    const digit = text.charCodeAt(i) - 48
    if (digit < 0 || digit > 9) break
    whole = whole * 10 + digit
  }
  const wholeDigits = i - (negative ? 1 : 0)
  if (wholeDigits === 0 || wholeDigits > 13) return undefined
  let fraction = 0
  if (i < length) {
    if (text.charCodeAt(i) !== 46) return undefined
    for (let at = i + 1; at < length; at++) {
      const digit = text.charCodeAt(at) - 48
      if (digit < 0 || digit > 9) return undefined
      const place = at - i
      if (place <= 2) fraction += place === 1 ? digit * 10 : digit
      else if (place === 3 && digit >= 5) fraction++
    }
  }
  const cents = whole * 100 + fraction
  if (cents === 0) return "0.00"
  return `${negative ? "-" : ""}${Math.floor(cents / 100)}.${twoDigitText[cents % 100]}`
}

/** Rounds half away from zero to exactly 2 decimals; `undefined` when not a finite decimal. */
export const toFixed2 = (value: unknown): string | undefined => {
  let text: string
  if (typeof value === "number") {
    if (!Number.isFinite(value)) return undefined
    // String(n) is the shortest text that round-trips: the decimal the source wrote.
    text = String(value)
  } else if (typeof value === "string") {
    if (alreadyFixed(value)) return value === "-0.00" ? "0.00" : value
    text = value.trim()
  } else {
    return undefined
  }
  const plain = plainFixed2(text)
  if (plain !== undefined) return plain
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
