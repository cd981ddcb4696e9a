/**
 * Text from a record (an unknown table's name, a partition key, a message naming them) made safe
 * to print on a terminal: control characters (C0, DEL, C1), line and paragraph separators and
 * the bidirectional formatting characters are written as `\uXXXX` escapes. Printed raw, an
 * escape sequence in a table name could clear the operator's screen or forge lines of a
 * listing, and a right-to-left override could make one name read as another.
 *
 * `\uXXXX` is also JSON's own escape, so JSON text passed through {@link printableJson} stays
 * valid JSON, with the same value.
 *
 * @example
 * ```ts
 * printable("evil\u001b[2J") // "evil\\u001b[2J"
 * printable("用户")          // "用户"
 * ```
 */
// \p{Cc}: C0, DEL and C1
const unsafe = /[\p{Cc}\u061c\u200e\u200f\u2028-\u202e\u2066-\u2069]/gu

const escaped = (char: string) => `\\u${char.charCodeAt(0).toString(16).padStart(4, "0")}`

/** `text` with every character a terminal would act on written as a `\uXXXX` escape. */
export const printable = (text: string): string => text.replace(unsafe, escaped)

/**
 * Indented JSON text made printable: its line breaks are layout (`JSON.stringify` escapes those
 * inside strings), the rest as {@link printable}.
 *
 * @example
 * ```ts
 * printableJson(JSON.stringify({ table: "evil\u202e" }, null, 2)) // '{\n  "table": "evil\\u202e"\n}'
 * ```
 */
export const printableJson = (json: string): string => json.split("\n").map(printable).join("\n")

/**
 * `value` as one line of JSON output (`--json`, NDJSON), made {@link printable}: the values a
 * command prints are the records' text, and stdout is often a terminal.
 *
 * @example
 * ```ts
 * process.stdout.write(jsonLine({ table: "evil\u009b2J" })) // '{"table":"evil\\u009b2J"}\n'
 * ```
 */
export const jsonLine = (value: unknown): string => `${printable(JSON.stringify(value))}\n`
