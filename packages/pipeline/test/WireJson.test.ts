import fc from "fast-check"
import { describe, expect, it } from "vitest"
import { wireJson } from "../src/WireJson"

/** SQS's documented character set for message bodies (XML 1.0's); SNS bodies are held to it here too. */
const refused = /[^\t\n\r\x20-\uD7FF\uE000-\uFFFD\u{10000}-\u{10FFFF}]/u

/** Any UTF-16 text: control characters, lone surrogates, U+FFFE and U+FFFF included. */
const anyText = fc.array(fc.integer({ min: 0, max: 0xffff }), { maxLength: 40 }).map((codes) => String.fromCharCode(...codes))

describe("wireJson", () => {
  it("writes U+FFFE and U+FFFF as escapes, which JSON.stringify leaves raw", () => {
    expect(JSON.stringify("a\uffffb\ufffe")).toMatch(refused)
    expect(wireJson("a\uffffb\ufffe")).toBe('"a\\uffffb\\ufffe"')
  })

  it("never holds a character SQS refuses, and every reader gets the value back", () => {
    fc.assert(
      fc.property(fc.dictionary(anyText, fc.oneof(anyText, fc.array(anyText))), (value) => {
        const text = wireJson(value)
        expect(text).not.toMatch(refused)
        expect(JSON.parse(text)).toEqual(value)
      })
    )
  })
})
