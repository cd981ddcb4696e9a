/**
 * The chaos run's leak scan: every clear value of a protected column (a canary), looked for in
 * every body, object and log line the run collected, as written, JSON-escaped, or inside base64
 * (as Kinesis data and redriven records travel).
 *
 * @example
 * ```ts
 * findLeaks([{ where: "function logs", text }], ["123-45-6789"]) // [{ where: "function logs", length: 11 }]
 * ```
 */

/** JSON escapes a value the way it would appear inside a JSON string. */
const escaped = (value: string) => JSON.stringify(value).slice(1, -1)

/**
 * The text a value always becomes inside base64 of a larger text (Kinesis data, a redriven
 * record): one form per alignment of its first byte, without the characters its neighbours share.
 */
export const base64Forms = (value: string): ReadonlyArray<string> => {
  const bytes = Buffer.from(value, "utf8")
  return [0, 1, 2].flatMap((offset) => {
    const encoded = Buffer.concat([Buffer.alloc(offset), bytes]).toString("base64")
    // Characters wholly inside the value: skip those that mix in the padding before it, and the
    // last group unless the value ends it exactly.
    const from = Math.ceil((offset * 8) / 6)
    const to = Math.floor(((offset + bytes.length) * 8) / 6)
    const core = encoded.slice(from, to)
    // 7 characters: what the shortest protected value (6 bytes) leaves when it is not aligned.
    return core.length >= 7 ? [core] : []
  })
}

/** Every form of a protected value the scan looks for: plain, JSON-escaped, and in base64. */
const formsOf = (value: string): ReadonlyArray<string> => [...new Set([value, escaped(value), ...base64Forms(value)])]

/** Each canary found in a haystack, by where and by its length (never the value itself). */
export const findLeaks = (
  haystacks: ReadonlyArray<{ readonly where: string; readonly text: string }>,
  canaries: ReadonlyArray<string>
): ReadonlyArray<{ readonly where: string; readonly length: number }> => {
  const scanned = [...new Set(canaries)].map((canary) => ({ canary, forms: formsOf(canary) }))
  return haystacks.flatMap(({ where, text }) =>
    scanned.flatMap(({ canary, forms }) => (forms.some((form) => text.includes(form)) ? [{ where, length: canary.length }] : []))
  )
}
