/**
 * Decimals written as JSON numbers, read on the digits the source wrote. `JSON.parse` turns a
 * number into a double, which holds 15 to 17 significant digits: `19.994999999999999999` reads as
 * 19.995 and would be published as `"20.00"`, `12345678901234567.89` as `"12345678901234568.00"`.
 * The spec wants decimals computed exactly, never through binary float rounding.
 *
 * Such literals are rare (DMS writes most decimals as strings), so the record's text is parsed as
 * usual, and parsed a second time, keeping the literal text of long numbers (`JSON.parse`'s source
 * text access, Node 21+), only when a decimal column holds a number and the text holds a run of
 * 16 digits or more. A record given as an already-parsed object has no text: its numbers are
 * what they are.
 *
 * @example
 * ```ts
 * const exact = withExactDecimals(plan, change, text)
 * exact.after?.price // "19.994999999999999999" where change.after.price is 19.995
 * ```
 */
import { normalize, type SourceChange } from "./Input"
import type { TablePlan } from "./TablePlan"

type Image = Readonly<Record<string, unknown>>

/**
 * 16 digits, one point allowed among them, not opening a string: a number literal that may hold
 * more than a double does (a quoted run, such as a Kinesis sequence number, is text already).
 */
const longDigitRun = /(?<!["\d.])\d(?:\.?\d){15}/

/** A double reproduces any decimal of at most 15 significant digits (DBL_DIG). */
const exceedsDouble = (literal: string): boolean => {
  const mantissa = literal
    .replace(/^-/, "")
    .replace(/[eE].*$/, "")
    .replace(".", "")
  return mantissa.replace(/^0+/, "").length > 15
}

/** JSON.parse reviver: a number with more digits than a double holds keeps its literal text. */
const keepLongLiterals = (_key: string, value: unknown, context?: { readonly source?: string }): unknown =>
  typeof value === "number" && context?.source !== undefined && exceedsDouble(context.source) ? context.source : value

const holdsNumber = (decimals: ReadonlyArray<string>, image: Image | undefined): boolean =>
  image !== undefined && decimals.some((name) => typeof image[name] === "number")

/** The image with its decimal columns' numbers replaced by their literal text, when it has one. */
const exactImage = (decimals: ReadonlyArray<string>, image: Image | undefined, literals: Image | undefined): Image | undefined => {
  if (image === undefined || literals === undefined) return image
  let out: Record<string, unknown> | undefined
  for (const name of decimals) {
    if (typeof image[name] === "number" && typeof literals[name] === "string") {
      out ??= { ...image }
      out[name] = literals[name]
    }
  }
  return out ?? image
}

/**
 * The change with the exact literal of each decimal column written as a long JSON number;
 * the change itself when it has none (nearly always, at the cost of a few type checks).
 */
export const withExactDecimals = (plan: TablePlan, change: SourceChange, text: string): SourceChange => {
  const decimals = plan.decimals
  if (decimals.length === 0 || !(holdsNumber(decimals, change.before) || holdsNumber(decimals, change.after))) return change
  if (!longDigitRun.test(text)) return change
  const literal = normalize(JSON.parse(text, keepLongLiterals))
  if (literal._tag !== "Change") return change
  return {
    ...change,
    before: exactImage(decimals, change.before, literal.before),
    after: exactImage(decimals, change.after, literal.after)
  }
}
