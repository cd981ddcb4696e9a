/**
 * Decimals written as JSON numbers, read on the digits the source wrote. `JSON.parse` turns a
 * number into a double, which holds 15 to 17 significant digits: `19.994999999999999999` reads as
 * 19.995 and would be published as `"20.00"`, `12345678901234567.89` as `"12345678901234568.00"`.
 * The spec wants decimals computed exactly, never through binary float rounding.
 *
 * Such literals are rare (DMS writes most decimals as strings), so the record's text is parsed as
 * usual, and parsed a second time, keeping the literal text of long numbers (`JSON.parse`'s source
 * text access, Node 21+), only when a decimal column holds a number other than whole cents (see
 * `misreadableIn`) and the text writes a long literal after that column's name. That look is a
 * native `indexOf` per such decimal column, not a scan of the whole text (a regular expression
 * over a 1 KB record costs about half a `JSON.parse` of it). A record given as an already-parsed
 * object has no text: its numbers are what they are.
 *
 * @example
 * ```ts
 * const exact = withExactDecimals(plan, change, text)
 * exact.after?.price // "19.994999999999999999" where change.after.price is 19.995
 * ```
 */
import { normalize, type SourceChange } from "./Input"
import { redrivenContent } from "./RedrivenRecord"
import type { TablePlan } from "./TablePlan"

type Image = Readonly<Record<string, unknown>>

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

const isSpace = (code: number) => code === 32 || code === 9 || code === 10 || code === 13
const numberLiteral = /-?\d[\d.eE+-]*/y

/**
 * Whether `text` writes, as the value of a member `name`, a number with more digits than a double
 * holds. Every occurrence is looked at (the column is in the before- and the after-image, and its
 * name may be text elsewhere); a name written with JSON escapes is not recognised.
 */
const writesLongLiteral = (text: string, name: string): boolean => {
  const quoted = JSON.stringify(name)
  for (let at = text.indexOf(quoted); at !== -1; at = text.indexOf(quoted, at + quoted.length)) {
    let i = at + quoted.length
    while (isSpace(text.charCodeAt(i))) i++
    if (text.charCodeAt(i) !== 58) continue // not followed by ':', so not a member name
    i++
    while (isSpace(text.charCodeAt(i))) i++
    numberLiteral.lastIndex = i
    const literal = numberLiteral.exec(text)
    if (literal !== null && exceedsDouble(literal[0])) return true
  }
  return false
}

/** Below 2^40 a double's ulp is at most 2^-13: far below a half cent. */
const wholeCentsBound = 2 ** 40

/**
 * Whether a decimal column holds a number whose literal may round to other cents than the number
 * does. A number of whole cents below {@link wholeCentsBound} (`19.99`, `12`, what money columns
 * hold) is the double nearest to `k/100`, and any literal `JSON.parse` read as it lies within one
 * ulp (≤ 2^-13) of `k/100`, so it rounds to the same cents (`toFixed2`, half away from zero): its
 * text need not be looked at, and its outcome is the same whether it is or not.
 */
const misreadableIn = (name: string, image: Image | undefined): boolean => {
  if (image === undefined) return false
  const value = image[name]
  return typeof value === "number" && !(Math.abs(value) < wholeCentsBound && Math.round(value * 100) / 100 === value)
}

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
  // a loop, not `some` with a closure over the change: this runs for every record
  let long = false
  for (let i = 0; i < decimals.length && !long; i++) {
    const name = decimals[i] as string
    long = (misreadableIn(name, change.before) || misreadableIn(name, change.after)) && writesLongLiteral(text, name)
  }
  if (!long) return change
  // the text may be a redriven record's, holding the original as its `record`
  const literal = normalize(redrivenContent(JSON.parse(text, keepLongLiterals)))
  if (literal._tag !== "Change") return change
  return {
    ...change,
    before: exactImage(decimals, change.before, literal.before),
    after: exactImage(decimals, change.after, literal.after)
  }
}
