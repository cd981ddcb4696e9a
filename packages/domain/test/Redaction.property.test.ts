import { createHmac } from "node:crypto"
import { changeArbitrary, publishedChangeArbitrary } from "@cdc/testkit/Changes"
import { encodeChange, inputShapes } from "@cdc/testkit/InputShapes"
import { sensitiveValues } from "@cdc/testkit/SensitiveValues"
import fc from "fast-check"
import { describe, expect, it } from "vitest"
import { hmacSha256Hex, makeHmacKey } from "../src/HmacSha256"
import { makeRecordPath } from "../src/RecordPath"
import { canonical, fullMask, makeRedactor, makeSecrets } from "../src/Redaction"
import { makeRedactionKeys } from "../src/RedactionKeys"
import { tables } from "../src/Tables"

const keys = makeRedactionKeys("prop-hash-key", "prop-tokenize-key")
const path = makeRecordPath({ keys, sourcePrefix: "cdc-pipeline", eventBusName: "bus" })
const secrets = makeSecrets(keys)

describe("redaction properties over generated rows of every table", () => {
  it("no REMOVE value and no clear protected value appears in any output or error, in any shape", () => {
    fc.assert(
      fc.property(changeArbitrary(), fc.constantFrom(...inputShapes), (change, shape) => {
        const outcome = path.fromPayload(encodeChange(change, shape), {}, 0)
        const text = JSON.stringify(outcome) + (outcome._tag === "Reject" ? outcome.error.message : "")
        for (const row of [change.before, change.after]) {
          if (row !== undefined) for (const value of sensitiveValues(change.table, row)) expect(text).not.toContain(value)
        }
        if (outcome._tag === "Publish") {
          const changes = JSON.parse(outcome.entry.Detail).changes
          for (const column of tables.get(change.table)?.columns ?? []) {
            if (column.protection?.action === "REMOVE") expect(changes).not.toHaveProperty(column.name)
          }
        }
      }),
      { numRuns: 600 }
    )
  })

  it("every published change of every table is published (generated rows are valid)", () => {
    fc.assert(
      fc.property(publishedChangeArbitrary(), (change) => {
        expect(path.fromPayload(encodeChange(change, "dms"), {}, 0)._tag).toBe("Publish")
      }),
      { numRuns: 300 }
    )
  })

  it("masks have fixed lengths whatever the value's length", () => {
    const email = makeRedactor({ action: "PARTIAL_MASK", format: "email" }, secrets)
    const phone = makeRedactor({ action: "PARTIAL_MASK", format: "phone" }, secrets)
    const generic = makeRedactor({ action: "PARTIAL_MASK", format: "generic" }, secrets)
    const full = makeRedactor({ action: "FULL_MASK" }, secrets)
    fc.assert(
      fc.property(fc.string({ minLength: 1 }), fc.domain(), fc.string({ minLength: 1, maxLength: 40 }), (local, domain, text) => {
        expect(email(`${local.replace(/@/g, "")}x@${domain}`)).toHaveLength(`a**@${domain}`.length)
        expect([3, 7]).toContain((phone(text) as string).length)
        expect([3, 6]).toContain((generic(text) as string).length)
        expect(full(text)).toBe(fullMask)
      })
    )
    expect(email("old@example.com")).toBe("o**@example.com")
    expect(phone("+1 555-123-4567")).toBe("***4567")
    expect(generic("abcdef")).toBe("abc***")
  })

  it("partial masks show no digit of a phone or card with 4 digits or fewer, and nothing of a generic value of 3 chars or fewer", () => {
    const phone = makeRedactor({ action: "PARTIAL_MASK", format: "phone" }, secrets)
    const card = makeRedactor({ action: "PARTIAL_MASK", format: "card" }, secrets)
    const generic = makeRedactor({ action: "PARTIAL_MASK", format: "generic" }, secrets)
    const fewDigits = fc.tuple(fc.stringMatching(/^\D{0,6}$/), fc.stringMatching(/^\d{0,4}$/)).map(([text, digits]) => `${text}${digits}`)
    fc.assert(
      fc.property(fewDigits, fc.string({ maxLength: 3 }), (text, short) => {
        expect(phone(text)).toBe("***")
        expect(card(text)).toBe("***")
        expect(generic(short)).toBe("***")
      })
    )
    expect(phone("ext. 4567")).toBe("***")
    expect(card("1234")).toBe("***")
    expect(card("4111 1111 1111 1234")).toBe("***1234")
    expect(generic("abc")).toBe("***")
    expect(generic("abcd")).toBe("abc***")
  })

  it("partial masks keep whole characters: an emoji or other astral character is never cut in half", () => {
    const email = makeRedactor({ action: "PARTIAL_MASK", format: "email" }, secrets)
    const generic = makeRedactor({ action: "PARTIAL_MASK", format: "generic" }, secrets)
    // an unpaired surrogate is not text: JSON carries it as "\ud83d", UTF-8 cannot encode it
    const wellFormed = (text: unknown) => !/[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/.test(String(text))
    const chars = (text: string) => Array.from(text)
    fc.assert(
      fc.property(fc.string({ unit: "grapheme", minLength: 1 }), fc.domain(), (text, domain) => {
        const masked = String(generic(text))
        expect(wellFormed(masked)).toBe(true)
        // the first three characters, when there are more than three, else nothing
        expect(masked).toBe(chars(text).length > 3 ? `${chars(text).slice(0, 3).join("")}***` : "***")
        const local = text.replace(/@/g, "")
        expect(email(`${local}@${domain}`)).toBe(local === "" ? "***" : `${chars(local)[0]}**@${domain}`)
      })
    )
    expect(generic("😀😀x")).toBe("***")
    expect(email("😀lodie@example.com")).toBe("😀**@example.com")
  })

  it("every protection keeps a null value null", () => {
    const protections = [
      { action: "HASH" },
      { action: "TOKENIZE" },
      { action: "FULL_MASK" },
      { action: "PARTIAL_MASK", format: "email" },
      { action: "PARTIAL_MASK", format: "phone" },
      { action: "PARTIAL_MASK", format: "card" },
      { action: "PARTIAL_MASK", format: "generic" }
    ] as const
    for (const protection of protections) expect(makeRedactor(protection, secrets)(null)).toBeNull()
  })

  it("hashes and tokens are stable, keyed, of fixed shape, and differ between HASH and TOKENIZE", () => {
    const hash = makeRedactor({ action: "HASH" }, secrets)
    const token = makeRedactor({ action: "TOKENIZE" }, secrets)
    const otherHash = makeRedactor({ action: "HASH" }, makeSecrets(makeRedactionKeys("other", "other")))
    fc.assert(
      fc.property(
        fc.jsonValue().filter((v) => v !== null),
        (value) => {
          const h = hash(value) as string
          expect(h).toMatch(/^[0-9a-f]{16}$/)
          expect(hash(structuredClone(value))).toBe(h)
          expect(token(value)).toMatch(/^tok_[0-9a-f]{12}$/)
          expect((token(value) as string).slice(4)).not.toBe(h.slice(0, 12))
          expect(otherHash(value)).not.toBe(h)
        }
      )
    )
    expect(hash({ b: 1, a: 2 })).toBe(hash({ a: 2, b: 1 }))
  })

  it("the HMAC equals node's createHmac (RFC 2104)", () => {
    fc.assert(
      fc.property(fc.string(), fc.string({ maxLength: 100 }), (key, text) => {
        expect(hmacSha256Hex(makeHmacKey(key), text)).toBe(createHmac("sha256", key).update(text).digest("hex"))
      })
    )
    expect(canonical({ b: [1, "x"], a: null })).toBe('{"a":null,"b":[1,"x"]}')
  })

  it("the HMAC equals createHmac for keys around the 64-byte block size (a 64-hex-char secret is common)", () => {
    const sized = fc.oneof(
      fc.integer({ min: 60, max: 70 }).map((n) => "k".repeat(n)),
      fc.stringMatching(/^[0-9a-f]{64}$/),
      fc.string({ unit: "grapheme", minLength: 20, maxLength: 70 })
    )
    fc.assert(
      fc.property(sized, fc.string({ maxLength: 40 }), (key, text) => {
        expect(hmacSha256Hex(makeHmacKey(key), text)).toBe(createHmac("sha256", key).update(text).digest("hex"))
      })
    )
    const key = "0123456789abcdef".repeat(4)
    const hash = makeRedactor({ action: "HASH" }, makeSecrets(makeRedactionKeys(key, "t")))
    expect(hash("+1 555-123-4567")).toBe(createHmac("sha256", key).update("+1 555-123-4567").digest("hex").slice(0, 16))
  })

  it("the HMAC stays equal to createHmac when one key hashes many values, short and long", () => {
    // one key object reuses its buffers: a shorter value must not pick up a longer one's bytes
    const key = makeHmacKey("prop-hash-key")
    const value = fc.oneof(
      fc.string({ maxLength: 40 }),
      fc.string({ unit: "grapheme", maxLength: 400 }),
      fc.constantFrom("€".repeat(1024), "😀".repeat(512), "😀".repeat(513), "x".repeat(5000), "\ud800", "")
    )
    fc.assert(
      fc.property(fc.array(value, { minLength: 1, maxLength: 8 }), (texts) => {
        for (const text of texts) expect(hmacSha256Hex(key, text)).toBe(createHmac("sha256", "prop-hash-key").update(text).digest("hex"))
      })
    )
  })

  it("the HMAC equals createHmac at every length around the one-block fast path and the block boundaries", () => {
    // up to 55 ASCII bytes are packed straight into one block; 56–63 bytes need a second one for the padding
    const key = makeHmacKey("prop-hash-key")
    for (let length = 0; length <= 130; length++) {
      for (const text of ["a".repeat(length), "é".repeat(length), `${"a".repeat(Math.max(0, length - 1))}é`]) {
        expect(hmacSha256Hex(key, text)).toBe(createHmac("sha256", "prop-hash-key").update(text).digest("hex"))
      }
    }
  })

  it("canonical JSON sorts keys by code unit at every depth, integer-like keys included", () => {
    // an independent statement of the canonical form: sorted keys, no whitespace
    const reference = (value: unknown): string =>
      Array.isArray(value)
        ? `[${value.map(reference).join(",")}]`
        : typeof value === "object" && value !== null
          ? `{${Object.keys(value)
              .sort()
              .map((key) => `${JSON.stringify(key)}:${reference((value as Record<string, unknown>)[key])}`)
              .join(",")}}`
          : JSON.stringify(value)
    fc.assert(
      fc.property(fc.jsonValue(), (value) => {
        if (typeof value === "string") return
        expect(canonical(value)).toBe(reference(value))
      }),
      { numRuns: 500 }
    )
    expect(canonical({ 10: "a", 2: "b", x: { z: 1, y: [{ b: 0, a: 1 }] } })).toBe('{"10":"a","2":"b","x":{"y":[{"a":1,"b":0}],"z":1}}')
  })

  it("canonical JSON keeps a `__proto__` key, so such values do not all hash alike", () => {
    // found by the property above: the sorted copy lost the key (an assignment sets the prototype)
    expect(canonical(JSON.parse('{"__proto__":"","b":1}'))).toBe('{"__proto__":"","b":1}')
    const hash = makeRedactor({ action: "HASH" }, secrets)
    expect(hash(JSON.parse('{"__proto__":"221B Baker Street"}'))).not.toBe(hash({}))
  })

  it("decoding never throws on corrupted records, only typed outcomes", () => {
    fc.assert(
      fc.property(changeArbitrary(), fc.nat(), fc.string({ maxLength: 3 }), (change, cut, noise) => {
        const text = JSON.stringify(encodeChange(change, "dms"))
        const at = cut % (text.length + 1)
        const outcome = path.fromPayload(text.slice(0, at) + noise + text.slice(at + noise.length), {}, 0)
        expect(["Publish", "Skip", "Reject"]).toContain(outcome._tag)
        if (outcome._tag === "Reject") expect(outcome.error.code).not.toBe("unexpected-failure")
      }),
      { numRuns: 500 }
    )
  })
})
