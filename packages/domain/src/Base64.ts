/**
 * The base64 `data` of a Kinesis record (and of a redriven record) decoded to its UTF-8 text, at
 * the cost of the decoding alone: this runs once per record on the processor's hot path.
 *
 * @example
 * ```ts
 * import { decodeBase64Text } from "@cdc/domain/Base64"
 * decodeBase64Text("eyJhIjoxfQ==") // '{"a":1}'
 * ```
 */

/**
 * Where records are decoded: only the text decoded from the bytes outlives a call, so one buffer
 * serves every record (a `Buffer.from` per record allocated and sliced a buffer from the pool
 * each time). Larger records take `Buffer.from`.
 */
const decodeBuffer = Buffer.allocUnsafe(64 * 1024)

/**
 * Base64 text → its UTF-8 text, or undefined when it is not base64. Node's decoder skips
 * characters outside the alphabet instead of failing, so a decoded length short of what the
 * text's length promises exposes them; this costs nothing, where a validating regex over the
 * whole payload cost more than the decoding itself (measured by `npm run bench -- --only 1`).
 *
 * @example
 * ```ts
 * decodeBase64Text("eyJhIjoxfQ==") // '{"a":1}'
 * decodeBase64Text("eyJhIjox!Q==") // undefined
 * ```
 */
export const decodeBase64Text = (data: string): string | undefined => {
  if (data.length % 4 !== 0) return undefined
  const padding = data.endsWith("==") ? 2 : data.endsWith("=") ? 1 : 0
  const expected = (data.length / 4) * 3 - padding
  if (expected > decodeBuffer.length) {
    const bytes = Buffer.from(data, "base64")
    return bytes.length === expected ? bytes.toString("utf8") : undefined
  }
  // at most `expected` bytes, as `Buffer.from` (which allocates that many) would write
  const written = decodeBuffer.write(data, 0, expected, "base64")
  return written === expected ? decodeBuffer.toString("utf8", 0, written) : undefined
}
