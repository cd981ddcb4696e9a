import fc from "fast-check"
import { describe, expect, it } from "vitest"
import { decodeBase64Bytes, decodeBase64Text, makeBase64TextDecoder } from "../src/Base64"

/** Bytes of every size class: under and over the reused 64 KiB buffer, and UTF-8 text. */
const payload = fc.oneof(
  fc.uint8Array({ maxLength: 300 }),
  fc.string({ unit: "grapheme", maxLength: 200 }).map((text) => new Uint8Array(Buffer.from(text, "utf8"))),
  fc.integer({ min: 65_530, max: 65_542 }).map((length) => new Uint8Array(length).map((_, i) => (i * 31) % 256))
)

describe("decodeBase64Text", () => {
  it("gives the text Buffer.from gives, record after record (no bytes left over from a longer one)", () => {
    fc.assert(
      fc.property(fc.array(payload, { minLength: 1, maxLength: 4 }), (payloads) => {
        for (const bytes of payloads) {
          const data = Buffer.from(bytes).toString("base64")
          expect(decodeBase64Text(data)).toBe(Buffer.from(data, "base64").toString("utf8"))
        }
      }),
      { numRuns: 300 }
    )
  })

  // Node's decoder also takes the URL-safe alphabet (`-`, `_`): harmless, so not refused here
  it("refuses text with a character outside the alphabet or a length that is no multiple of 4", () => {
    fc.assert(
      fc.property(
        payload.filter((bytes) => bytes.length > 0),
        fc.nat(),
        fc.constantFrom("!", " ", "\n", "é", ".", "*"),
        (bytes, at, bad) => {
          const data = Buffer.from(bytes).toString("base64")
          const index = at % data.replace(/=+$/, "").length
          expect(decodeBase64Text(`${data.slice(0, index)}${bad}${data.slice(index + 1)}`)).toBeUndefined()
          expect(decodeBase64Text(data.slice(0, -1))).toBeUndefined()
        }
      ),
      { numRuns: 300 }
    )
  })

  it("decodes the same through the documented Buffer calls, which a Node without the internal ones it prefers gets", () => {
    const documented = makeBase64TextDecoder({ bufferInternals: false })
    fc.assert(
      fc.property(payload, fc.option(fc.constantFrom("!", "é", "="), { nil: undefined }), fc.nat(), (bytes, bad, at) => {
        const good = Buffer.from(bytes).toString("base64")
        const data =
          bad === undefined || good.length === 0 ? good : `${good.slice(0, at % good.length)}${bad}${good.slice((at % good.length) + 1)}`
        expect(documented(data)).toBe(decodeBase64Text(data))
        if (bad === undefined) expect(documented(data)).toBe(Buffer.from(bytes).toString("utf8"))
      }),
      { numRuns: 300 }
    )
  })

  it("decodeBase64Bytes gives the bytes back, and refuses exactly what decodeBase64Text refuses", () => {
    fc.assert(
      fc.property(payload, fc.option(fc.constantFrom("!", "é", "=", " "), { nil: undefined }), fc.nat(), (bytes, bad, at) => {
        const good = Buffer.from(bytes).toString("base64")
        expect(decodeBase64Bytes(good)).toEqual(Buffer.from(bytes))
        const data =
          bad === undefined || good.length === 0 ? good : `${good.slice(0, at % good.length)}${bad}${good.slice((at % good.length) + 1)}`
        expect(decodeBase64Bytes(data) === undefined).toBe(decodeBase64Text(data) === undefined)
      }),
      { numRuns: 300 }
    )
  })
})
