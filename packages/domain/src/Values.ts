/**
 * Column coercion: a stored value (DMS JSON) to its published form, per column type and
 * transformation (see the column type table in README.md, "The domain"). A value that cannot be
 * coerced yields an {@link Invalid} naming the reason, never the value. `null` stays `null`.
 *
 * @example
 * ```ts
 * const coerce = makeCoercer({ name: "price", type: "decimal" })
 * coerce("19.995") // "20.00"
 * coerce("abc")    // Invalid { reason: "not-a-decimal" }
 * ```
 */

import { toFixed2 } from "./Decimal"
import type { InvalidValueReason } from "./Errors"
import type { ColumnDefinition } from "./TableDefinition"
import { toIsoTimestamp } from "./Timestamp"

/** A refused value: only the reason, so it can never leak into an error. */
export class Invalid {
  constructor(readonly reason: InvalidValueReason) {}
}

const invalid = {
  int: new Invalid("not-an-integer"),
  intRange: new Invalid("integer-out-of-range"),
  string: new Invalid("not-a-string"),
  boolean: new Invalid("not-a-boolean"),
  decimal: new Invalid("not-a-decimal"),
  timestamp: new Invalid("not-a-timestamp"),
  json: new Invalid("not-json"),
  jsonDepth: new Invalid("json-too-deep")
} as const

/** Coerces one stored value; returns the published value or an {@link Invalid}. */
export type Coercer = (value: unknown) => unknown

/** An integer as text: digits, with a zero fraction as a `DECIMAL(n,0)` or `5.00` writes it. */
const integerText = /^-?\d+(?:\.0+)?$/

// Each coercer passes `null` through (it carries no value), on its failure path, so the common
// case costs no extra test and no wrapper call.
const orNull = (value: unknown, refused: Invalid) => (value === null ? null : refused)

/**
 * An integer beyond ±(2^53 − 1) has no exact JSON number in JavaScript (a BIGINT id would be
 * published as a neighbour): refused as out of range, which says to declare the column a string.
 */
const coerceInt: Coercer = (value) => {
  if (typeof value === "number") {
    if (Number.isSafeInteger(value)) return value
    // a JSON number past a double's range (`1e400`) parses as ±Infinity: an integer too large
    return Number.isInteger(value) || value === Number.POSITIVE_INFINITY || value === Number.NEGATIVE_INFINITY
      ? invalid.intRange
      : invalid.int
  }
  if (typeof value === "string" && integerText.test(value)) {
    const n = Number(value)
    return Number.isSafeInteger(n) ? n : invalid.intRange
  }
  return orNull(value, invalid.int)
}

const coerceBoolean: Coercer = (value) => {
  switch (value) {
    case true:
    case 1:
    case "1":
    case "true":
      return true
    case false:
    case 0:
    case "0":
    case "false":
      return false
    case null:
      return null
    default:
      return invalid.boolean
  }
}

/**
 * How deep a `json` value may nest. Hashing, canonicalising and comparing it recurse once per
 * level, and a value thousands of levels deep would exhaust the stack there, after the record's
 * table is known but outside any typed error. MySQL refuses documents deeper than 100 levels.
 */
export const maxJsonDepth = 256

/**
 * Whether `value` nests at most {@link maxJsonDepth} levels of arrays and objects: what a `json`
 * column, or an undeclared column a table publishes as is, may hold.
 *
 * @example
 * ```ts
 * withinJsonDepth({ city: "Paris" }) // true
 * withinJsonDepth(JSON.parse("[".repeat(1000) + "]".repeat(1000))) // false
 * ```
 */
export const withinJsonDepth = (value: unknown): boolean => nestsWithin(value, maxJsonDepth)

/** Whether `value` nests at most `depth` more levels of arrays and objects (recursion bounded by `depth`). */
const nestsWithin = (value: unknown, depth: number): boolean => {
  if (typeof value !== "object" || value === null) return true
  if (depth === 0) return false
  if (Array.isArray(value)) {
    for (let i = 0; i < value.length; i++) if (!nestsWithin(value[i], depth - 1)) return false
    return true
  }
  for (const key in value) if (!nestsWithin((value as Record<string, unknown>)[key], depth - 1)) return false
  return true
}

const coerceJson: Coercer = (value) => {
  let parsed = value
  if (typeof value === "string") {
    try {
      parsed = JSON.parse(value)
    } catch {
      return invalid.json
    }
  } else if (typeof value !== "object") return invalid.json // objects, arrays and null pass
  return withinJsonDepth(parsed) ? parsed : invalid.jsonDepth
}

const coerceDecimal: Coercer = (value) => toFixed2(value) ?? orNull(value, invalid.decimal)
const coerceTimestamp: Coercer = (value) => toIsoTimestamp(value) ?? orNull(value, invalid.timestamp)
const coerceString: Coercer = (value) => (typeof value === "string" ? value : orNull(value, invalid.string))
const coerceUpper: Coercer = (value) => (typeof value === "string" ? value.toUpperCase() : orNull(value, invalid.string))
const coerceLower: Coercer = (value) => (typeof value === "string" ? value.toLowerCase() : orNull(value, invalid.string))

const byType = {
  int: coerceInt,
  string: coerceString,
  boolean: coerceBoolean,
  decimal: coerceDecimal,
  timestamp: coerceTimestamp,
  json: coerceJson
} as const

/**
 * The coercer of a declared column (type, then transformation), built once per column.
 *
 * @example
 * ```ts
 * makeCoercer({ name: "currency", type: "string", transform: "UPPERCASE" })("eur") // "EUR"
 * ```
 */
export const makeCoercer = (column: Pick<ColumnDefinition, "type" | "transform">): Coercer =>
  column.transform === "UPPERCASE" ? coerceUpper : column.transform === "LOWERCASE" ? coerceLower : byType[column.type]

/**
 * Deep equality of coerced values (JSON values): UPDATE publishes only the fields that differ.
 *
 * @example
 * ```ts
 * deepEqual({ a: [1, 2] }, { a: [1, 2] }) // true
 * ```
 */
export const deepEqual = (a: unknown, b: unknown): boolean => {
  if (a === b) return true
  if (typeof a !== "object" || typeof b !== "object" || a === null || b === null) return false
  if (Array.isArray(a)) {
    if (!Array.isArray(b) || a.length !== b.length) return false
    for (let i = 0; i < a.length; i++) if (!deepEqual(a[i], b[i])) return false
    return true
  }
  if (Array.isArray(b)) return false
  const ka = Object.keys(a)
  if (ka.length !== Object.keys(b).length) return false
  for (const k of ka) {
    if (!Object.hasOwn(b, k) || !deepEqual((a as Record<string, unknown>)[k], (b as Record<string, unknown>)[k])) return false
  }
  return true
}
