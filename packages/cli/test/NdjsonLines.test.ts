import { Readable } from "node:stream"
import fc from "fast-check"
import { describe, expect, it } from "vitest"
import { type NdjsonLine, ndjsonLines } from "../src/NdjsonLines"

const linesOf = async (chunks: ReadonlyArray<Buffer | string>, limit = 1024): Promise<Array<NdjsonLine>> => {
  const out: Array<NdjsonLine> = []
  for await (const line of ndjsonLines(Readable.from(chunks), limit)) out.push(line)
  return out
}
const texts = (...values: ReadonlyArray<string>): Array<NdjsonLine> => values.map((text) => ({ _tag: "Line", text }))

describe("ndjsonLines", () => {
  it("ends lines at \\n and \\r\\n, keeps empty lines and a last line without a newline", async () => {
    expect(await linesOf(["a\r\nb\n\n", "c"])).toEqual(texts("a", "b", "", "c"))
    expect(await linesOf(["a\n"]), "a final newline starts no line").toEqual(texts("a"))
    expect(await linesOf([])).toEqual([])
  })

  it("keeps a character whose UTF-8 bytes are split between two chunks whole", async () => {
    const bytes = Buffer.from('{"name":"Zoë 🦊"}\n', "utf8")
    const fox = bytes.indexOf(0xf0)
    expect(await linesOf([bytes.subarray(0, fox + 2), bytes.subarray(fox + 2)])).toEqual(texts('{"name":"Zoë 🦊"}'))
  })

  it("drops a line over the limit unread, says how long it was, and reads the lines after it", async () => {
    const long = "x".repeat(3_000)
    const chunks = ["a\n", long.slice(0, 1_000), long.slice(1_000), "\nb\n", long]
    expect(await linesOf(chunks)).toEqual([
      ...texts("a"),
      { _tag: "TooLong", bytes: 3_000 },
      ...texts("b"),
      { _tag: "TooLong", bytes: 3_000 }
    ])
    expect(await linesOf(["x".repeat(1_024), "\n"]), "a line of exactly the limit is read").toEqual(texts("x".repeat(1_024)))
  })

  it("gives the lines of any text, however its bytes are chunked", async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.array(fc.string({ unit: "grapheme", maxLength: 20 }).filter((line) => !line.includes("\n") && !line.endsWith("\r"))),
        fc.array(fc.nat(), { maxLength: 6 }),
        async (lines, cuts) => {
          const bytes = Buffer.from(lines.map((line) => `${line}\n`).join(""), "utf8")
          const at = [...new Set(cuts.map((cut) => cut % (bytes.length + 1)))].sort((a, b) => a - b)
          const chunks = [0, ...at].map((start, i) => bytes.subarray(start, [...at, bytes.length][i]))
          expect(await linesOf(chunks)).toEqual(texts(...lines))
        }
      )
    )
  })
})
