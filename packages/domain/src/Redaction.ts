/**
 * The protection actions of the spec, applied to coerced values. Keyed actions use HMAC-SHA256
 * (a bare SHA-256 of an email or a phone number can be reversed by brute force); HASH and
 * TOKENIZE have separate keys. Masks have fixed shapes that never reveal the value's length.
 * `null` carries no value and stays `null`; `REMOVE` is handled by the caller (the column is
 * dropped before it reaches any output).
 *
 * @example
 * ```ts
 * const redact = makeRedactor({ action: "PARTIAL_MASK", format: "email" }, keys)
 * redact("old@example.com") // "o**@example.com"
 * ```
 */
import * as Redacted from "effect/Redacted"
import { isDigitCode } from "./Digits"
import { type HmacKey, hmacSha256HexPrefix, makeHmacKey } from "./HmacSha256"
import type { RedactionKeys } from "./RedactionKeys"
import type { MaskFormat, Protection } from "./TableDefinition"

/** The published replacement of a FULL_MASK value. */
export const fullMask = "***REDACTED***"

/**
 * The canonical text of a value for keyed actions: strings as is, JSON with sorted keys, so the
 * same value hashes the same wherever it comes from.
 *
 * @example
 * ```ts
 * canonical({ b: 1, a: [true] }) // '{"a":[true],"b":1}'
 * ```
 */
export const canonical = (value: unknown): string => (typeof value === "string" ? value : canonicalJson(value))

const canonicalJson = (value: unknown): string => {
  const sorted = sortedCopy(value)
  return sorted === unsortable ? sortedText(value) : (JSON.stringify(sorted) ?? "null")
}

/** Marks a value whose keys the engine cannot hold in sorted order (see {@link sortedCopy}). */
const unsortable = Symbol("unsortable")

/**
 * A copy with every object's keys inserted in sorted order, so that the native `JSON.stringify`
 * prints the canonical text (measured 2x faster than printing it by hand). JavaScript always
 * enumerates integer-like keys first, whatever the insertion order, so an object holding one
 * cannot be copied this way: those (rare) values take {@link sortedText}.
 */
const sortedCopy = (value: unknown): unknown => {
  if (Array.isArray(value)) {
    const out = new Array<unknown>(value.length)
    for (let i = 0; i < value.length; i++) {
      const item = sortedCopy(value[i])
      if (item === unsortable) return unsortable
      out[i] = item
    }
    return out
  }
  if (typeof value !== "object" || value === null) return value
  const record = value as Record<string, unknown>
  const out: Record<string, unknown> = {}
  for (const key of sortedKeys(record)) {
    if (isDigitCode(key.charCodeAt(0))) return unsortable
    const item = sortedCopy(record[key])
    if (item === unsortable) return unsortable
    // an assignment to `__proto__` would set the copy's prototype and lose the key
    if (key === "__proto__") Object.defineProperty(out, key, { value: item, enumerable: true, writable: true, configurable: true })
    else out[key] = item
  }
  return out
}

/**
 * `Object.keys(record).sort()`, by insertion sort with `<` (the same UTF-16 code unit order; keys
 * are distinct) for the small objects hashed whole (addresses): the generic sort, which converts
 * and compares through its comparator protocol, cost a third of canonicalising an address.
 * Larger objects keep the generic sort (insertion sort is quadratic).
 */
const sortedKeys = (record: Record<string, unknown>): Array<string> => {
  const keys = Object.keys(record)
  if (keys.length > 16) return keys.sort()
  for (let i = 1; i < keys.length; i++) {
    const key = keys[i] as string
    let j = i - 1
    while (j >= 0 && (keys[j] as string) > key) {
      keys[j + 1] = keys[j] as string
      j--
    }
    keys[j + 1] = key
  }
  return keys
}

const sortedText = (value: unknown): string => {
  if (Array.isArray(value)) return `[${value.map(sortedText).join(",")}]`
  if (typeof value === "object" && value !== null) {
    const record = value as Record<string, unknown>
    const entries = Object.keys(record)
      .sort()
      .map((key) => `${JSON.stringify(key)}:${sortedText(record[key])}`)
    return `{${entries.join(",")}}`
  }
  return JSON.stringify(value) ?? "null"
}

const hmacHex = (key: HmacKey, value: unknown, length: number): string => hmacSha256HexPrefix(key, canonical(value), length)

/**
 * `***` and the last four of the text's ASCII digits, or only `***` when it has four or fewer.
 * Read from the end: a regular expression stripping every non-digit cost most of a masked
 * value's coercion, for four characters.
 */
const lastFourDigits = (text: string): string => {
  let last = ""
  let digits = 0
  for (let i = text.length - 1; i >= 0; i--) {
    const unit = text.charCodeAt(i)
    if (!isDigitCode(unit)) continue
    if (++digits > 4) return `***${last}`
    last = String.fromCharCode(unit) + last
  }
  return "***"
}

/**
 * Where the first `count` characters of a text end, counting a surrogate pair (an emoji, a rare
 * CJK character) as the one character it is: a mask that cut one in half would publish an
 * unpaired surrogate, which is not text.
 */
const endOfChars = (text: string, count: number): number => {
  let end = 0
  for (let n = 0; n < count && end < text.length; n++) {
    const unit = text.charCodeAt(end)
    const low = end + 1 < text.length ? text.charCodeAt(end + 1) : 0
    end += unit >= 0xd800 && unit <= 0xdbff && low >= 0xdc00 && low <= 0xdfff ? 2 : 1
  }
  return end
}

/**
 * `text.lastIndexOf("@")`, by a loop from the end: `String.prototype.lastIndexOf` is one of V8's
 * C++ builtins (no JIT-compiled version), entered through the runtime on every call.
 */
const lastAt = (text: string): number => {
  let i = text.length - 1
  while (i >= 0 && text.charCodeAt(i) !== 64) i--
  return i
}

const masks: Record<MaskFormat, (text: string) => string> = {
  email: (text) => {
    const at = lastAt(text)
    return at > 0 && at < text.length - 1 ? `${text.slice(0, endOfChars(text, 1))}**@${text.slice(at + 1)}` : "***"
  },
  phone: lastFourDigits,
  card: lastFourDigits,
  // more than three characters, or the mask would show the whole value
  generic: (text) => {
    const end = endOfChars(text, 3)
    return end < text.length ? `${text.slice(0, end)}***` : "***"
  }
}

/** The HMAC keys, unwrapped and padded once. */
export interface RedactionSecrets {
  readonly hash: HmacKey
  readonly tokenize: HmacKey
}

/** Unwraps the `Redacted` keys once, at construction of the record path. */
export const makeSecrets = (keys: RedactionKeys): RedactionSecrets => ({
  hash: makeHmacKey(Redacted.value(keys.hashKey)),
  tokenize: makeHmacKey(Redacted.value(keys.tokenizeKey))
})

/** Replaces one non-REMOVE protected value. */
export type Redactor = (value: unknown) => unknown

/**
 * The redactor of a protection (REMOVE excluded: the column never reaches a redactor).
 *
 * @example
 * ```ts
 * makeRedactor({ action: "TOKENIZE" }, secrets)("GB29 0001") // "tok_" + 12 hex chars
 * ```
 */
export const makeRedactor = (protection: Exclude<Protection, { action: "REMOVE" }>, secrets: RedactionSecrets): Redactor => {
  switch (protection.action) {
    case "HASH":
      return (value) => (value === null ? null : hmacHex(secrets.hash, value, 16))
    case "TOKENIZE":
      return (value) => (value === null ? null : `tok_${hmacHex(secrets.tokenize, value, 12)}`)
    case "FULL_MASK":
      return (value) => (value === null ? null : fullMask)
    case "PARTIAL_MASK": {
      const mask = masks[protection.format]
      return (value) => (value === null ? null : mask(canonical(value)))
    }
  }
}
