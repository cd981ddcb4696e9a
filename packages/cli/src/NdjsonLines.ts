/**
 * The lines of an NDJSON byte stream, for `cdc dry-run`: each decoded from UTF-8 on its own (a
 * character split between two chunks stays whole), `\n` and `\r\n` both ending a line, a final
 * line without a newline included.
 *
 * A line longer than `maxLineBytes` is not held: its bytes are counted and dropped up to its end,
 * and it comes out as `TooLong`, so that one huge line (a corrupt file, a binary blob) neither
 * takes the process's memory nor stops the lines after it. Node's `readline`, used before, builds
 * every line as one string, and a line past V8's longest string (≈ 512 MiB) threw from inside
 * the stream's event handler, past any error handling, with a stack trace.
 *
 * @example
 * ```ts
 * for await (const line of ndjsonLines(createReadStream("changes.ndjson"), maxLineBytes)) {
 *   if (line._tag === "Line") handle(line.text)
 * }
 * ```
 */

export type NdjsonLine = { readonly _tag: "Line"; readonly text: string } | { readonly _tag: "TooLong"; readonly bytes: number }

/** The longest line read: 64 MiB, far more than any record a Kinesis stream holds, and far below V8's longest string. */
export const maxLineBytes = 64 * 1024 * 1024

const newline = 0x0a
const carriageReturn = 0x0d

const lineOf = (parts: ReadonlyArray<Buffer>, bytes: number): NdjsonLine => {
  const whole = parts.length === 1 ? (parts[0] as Buffer) : Buffer.concat(parts, bytes)
  const end = whole.length > 0 && whole[whole.length - 1] === carriageReturn ? whole.length - 1 : whole.length
  return { _tag: "Line", text: whole.toString("utf8", 0, end) }
}

/**
 * The lines of `input` (chunks of bytes, or of text as a stream with an encoding gives them).
 *
 * @example
 * ```ts
 * const lines = ndjsonLines(Readable.from(["a\r\n", "b"]), 1024) // Line "a", Line "b"
 * ```
 */
export async function* ndjsonLines(input: AsyncIterable<Buffer | string>, limit: number = maxLineBytes): AsyncGenerator<NdjsonLine> {
  let parts: Array<Buffer> = []
  let bytes = 0
  let tooLong = false
  const end = (): NdjsonLine => {
    const line: NdjsonLine = tooLong ? { _tag: "TooLong", bytes } : lineOf(parts, bytes)
    parts = []
    bytes = 0
    tooLong = false
    return line
  }
  for await (const chunk of input) {
    const buffer = typeof chunk === "string" ? Buffer.from(chunk, "utf8") : chunk
    let start = 0
    while (start < buffer.length) {
      const at = buffer.indexOf(newline, start)
      const stop = at === -1 ? buffer.length : at
      bytes += stop - start
      if (!tooLong && bytes > limit) {
        tooLong = true
        parts = []
      }
      if (!tooLong && stop > start) parts.push(buffer.subarray(start, stop))
      if (at === -1) break
      yield end()
      start = at + 1
    }
  }
  if (bytes > 0) yield end()
}
