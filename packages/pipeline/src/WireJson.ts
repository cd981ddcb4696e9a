/**
 * JSON text that SQS and SNS accept whatever strings it holds. SQS refuses, for good, a message
 * with a character outside `#x9 | #xA | #xD | #x20-#xD7FF | #xE000-#xFFFD | #x10000-#x10FFFF`
 * (the XML 1.0 set). `JSON.stringify` already writes control characters and lone surrogates as
 * `\uXXXX` escapes, but not the noncharacters U+FFFE and U+FFFF, which a record can carry in any
 * text we copy into a message (an unknown table's name, a partition key, a published value in a
 * dead letter's `event`). Escaping them too gives the same value to every JSON reader.
 *
 * @example
 * ```ts
 * wireJson({ table: "a\uffffb" }) // '{"table":"a\\uffffb"}'
 * JSON.parse(wireJson({ table: "a\uffffb" })).table === "a\uffffb" // true
 * ```
 */
export const wireJson = (value: unknown): string => escapeNoncharacters(JSON.stringify(value))

const noncharacters = /[\uFFFE\uFFFF]/g

/**
 * JSON text with U+FFFE and U+FFFF written as escapes (a no-op, without copying, on text that
 * has neither, which is nearly all of it).
 *
 * @example
 * ```ts
 * escapeNoncharacters('"\uffff"') // '"\\uffff"'
 * ```
 */
const escapeNoncharacters = (json: string): string => json.replace(noncharacters, (char) => `\\u${char.charCodeAt(0).toString(16)}`)
