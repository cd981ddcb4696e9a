/**
 * A record naming the column that decides another's protection twice in one object says two
 * things at once: `JSON.parse` keeps the last, another reader the first. The record path refuses
 * it rather than guess (`configurations.value` would otherwise be published in clear when the
 * last `is_secret` says false).
 */
import type { Change } from "@cdc/testkit/Changes"
import { toCdcEvent, toDmsRecord, toKinesisRecord } from "@cdc/testkit/InputShapes"
import fc from "fast-check"
import { describe, expect, it } from "vitest"
import { InvalidValueError } from "../src/Errors"
import { makeRecordPath } from "../src/RecordPath"
import { makeRedactionKeys } from "../src/RedactionKeys"
import { repeatsMember } from "../src/RepeatedMembers"

describe("repeatsMember", () => {
  it("finds a member written twice in one object, literally or with escapes", () => {
    expect(repeatsMember('{"a":1,"is_secret":true,"is_secret":false}', "is_secret", 1)).toBe(true)
    expect(repeatsMember('{"x":{"is_secret":true,"is\\u005fsecret":false}}', "is_secret", 1)).toBe(true)
    expect(repeatsMember('{"x":[1,{"is_secret":0, "y":[{}], "is_secret" : 1}]}', "is_secret", 0)).toBe(true)
  })

  it("does not count the name in other objects, in values or inside other strings", () => {
    expect(repeatsMember('{"data":{"is_secret":true},"before-image":{"is_secret":false}}', "is_secret", 2)).toBe(false)
    expect(repeatsMember('{"data":{"is_secret":true},"before-image":{"is_secret":false}}', "is_secret", 0)).toBe(false)
    expect(repeatsMember('{"is_secret":true,"config_key":"is_secret","d":"\\"is_secret\\":1"}', "is_secret", 1)).toBe(false)
    expect(repeatsMember('{"is_secret":true,"n":{"is_secret":false},"m":["is_secret","is_secret"]}', "is_secret", 1)).toBe(false)
    expect(repeatsMember('{"v":"\\u00e9","is_secret":true}', "is_secret", 1)).toBe(false)
    expect(repeatsMember('{"m":["is_secret","is_secret","is_secret","is_secret"],"is_secret":1}', "is_secret", 1)).toBe(false)
  })

  // JSON text from a tree whose objects are lists of members (so a name may repeat), each name
  // written literally or fully escaped: the truth is read from the tree, not from the text
  type Tree =
    | null
    | number
    | string
    | { readonly array: ReadonlyArray<Tree> }
    | { readonly members: ReadonlyArray<readonly [string, boolean, Tree]> }
  const names = fc.constantFrom("is_secret", "value", "is_secretx", "is", "")
  const tree: fc.Arbitrary<Tree> = fc.letrec<{ tree: Tree }>((tie) => ({
    tree: fc.oneof(
      { depthSize: "small", withCrossShrink: true },
      fc.constant(null),
      fc.integer(),
      fc.constantFrom("is_secret", '"is_secret":', "\\", "plain"),
      fc.record({ array: fc.array(tie("tree"), { maxLength: 3 }) }),
      fc.record({ members: fc.array(fc.tuple(names, fc.boolean(), tie("tree")), { maxLength: 4 }) })
    )
  })).tree
  const escaped = (name: string) => `"${[...name].map((c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, "0")}`).join("")}"`
  const text = (t: Tree): string => {
    if (t === null || typeof t !== "object") return JSON.stringify(t)
    if ("array" in t) return `[${t.array.map(text).join(",")}]`
    return `{${t.members.map(([name, inEscapes, value]) => `${inEscapes ? escaped(name) : JSON.stringify(name)}: ${text(value)}`).join(", ")}}`
  }
  /** Whether a value holds a member is_secret, at any depth. */
  const holds = (t: Tree): boolean =>
    t !== null &&
    typeof t === "object" &&
    ("array" in t ? t.array.some(holds) : t.members.some(([name, , value]) => name === "is_secret" || holds(value)))
  /** An object naming is_secret twice, or naming twice a member one of whose values holds it. */
  const ambiguous = (t: Tree): boolean => {
    if (t === null || typeof t !== "object") return false
    if ("array" in t) return t.array.some(ambiguous)
    const repeated = t.members.some(([name], i) =>
      t.members.some(
        ([other, , value], j) => j !== i && other === name && (name === "is_secret" || holds(value) || holds(t.members[i]![2]))
      )
    )
    return repeated || t.members.some(([, , value]) => ambiguous(value))
  }
  /** Objects of the parse (what JSON.parse kept) holding the member: what the record path's images count. */
  const keptObjects = (value: unknown): number => {
    if (value === null || typeof value !== "object") return 0
    if (Array.isArray(value)) return value.reduce((sum: number, item) => sum + keptObjects(item), 0)
    return (Object.hasOwn(value, "is_secret") ? 1 : 0) + Object.values(value).reduce((sum: number, item) => sum + keptObjects(item), 0)
  }

  it("agrees with the tree it was written from, for any lower bound of the parsed objects holding the member", () => {
    fc.assert(
      fc.property(fc.record({ members: fc.array(fc.tuple(names, fc.boolean(), tree), { maxLength: 5 }) }), fc.nat(), (root, seed) => {
        const written = text(root)
        const kept = seed % (keptObjects(JSON.parse(written)) + 1)
        expect(repeatsMember(written, "is_secret", kept), written).toBe(ambiguous(root))
      }),
      { numRuns: 3000 }
    )
  })

  it("refuses a member holding the name written twice in one object: JSON.parse keeps the last image, another reader the first", () => {
    const image = (secret: boolean) => `{"config_key":"k","value":"v","is_secret":${secret}}`
    expect(repeatsMember(`{"afterImage":${image(true)},"afterImage":${image(false)}}`, "is_secret", 1)).toBe(true)
    expect(repeatsMember(`{"data":${image(true)},"data":{"value":"v"}}`, "is_secret", 0)).toBe(true)
    expect(repeatsMember(`{"record":{"data":${image(true)}},"record":{"data":${image(false)}}}`, "is_secret", 1)).toBe(true)
    // a member repeated whose values never hold the name is JSON.parse's to read
    expect(repeatsMember(`{"data":${image(false)},"x":1,"x":2}`, "is_secret", 1)).toBe(false)
  })

  it("finds a name with characters of JSON's short escapes written with them", () => {
    expect(repeatsMember('{"a/b":1,"a\\/b":2}', "a/b", 1)).toBe(true)
    expect(repeatsMember('{"a\\"b":1,"a\\"b":2}', 'a"b', 1)).toBe(true)
  })
})

describe("the record path", () => {
  const path = makeRecordPath({
    keys: makeRedactionKeys("repeat-hash-key", "repeat-tokenize-key"),
    sourcePrefix: "cdc",
    eventBusName: "bus"
  })
  const secret = "s3cr3t-Pa55w0rd-value"
  const update = (secretBefore: boolean, secretAfter: boolean): Change => ({
    table: "configurations",
    operation: "UPDATE",
    before: { config_key: "db.password", value: `${secret}-old`, is_secret: secretBefore, updated_by: "ops" },
    after: { config_key: "db.password", value: secret, is_secret: secretAfter, updated_by: "ops" },
    changeTimeMillis: 1_700_000_000_000,
    transactionId: "77"
  })
  // the after image's `is_secret` written twice: true first, the parsed value (false) last
  const repeated = (json: string, form: string) => json.replace('"is_secret":false', `${form}:true,"is_secret":false`)
  const forms = ['"is_secret"', '"is\\u005fsecret"']

  for (const form of forms) {
    it(`refuses a configurations change naming is_secret twice in one image (${form}), without its values`, () => {
      const dms = repeated(JSON.stringify(toDmsRecord(update(false, false))), form)
      const outcomes = [
        path.fromPayload(dms, {}, 0),
        path.fromPayload(repeated(JSON.stringify(toCdcEvent(update(false, false))), form), {}, 0),
        path.fromKinesis(toKinesisRecord(dms), 0)
      ]
      for (const outcome of outcomes) {
        expect(outcome._tag).toBe("Reject")
        if (outcome._tag !== "Reject") continue
        expect(outcome.error).toBeInstanceOf(InvalidValueError)
        expect(outcome.error).toMatchObject({ column: "is_secret", reason: "duplicate-column", table: "configurations" })
        expect(JSON.stringify({ ...outcome.error, message: outcome.error.message })).not.toContain(secret)
      }
    })
  }

  it("publishes the same change written once, and masks it when either image says secret", () => {
    const publishedValue = (change: Change) => {
      const outcome = path.fromPayload(JSON.stringify(toDmsRecord(change)), {}, 0)
      if (outcome._tag !== "Publish") throw new Error(`expected Publish, got ${outcome._tag}`)
      return JSON.parse(outcome.entry.Detail).changes.value
    }
    expect(publishedValue(update(false, false))).toEqual({ old: `${secret}-old`, new: secret })
    expect(publishedValue(update(true, false))).toEqual({ old: "***REDACTED***", new: "***REDACTED***" })
  })

  it("refuses a configurations change whose image is written twice, the first saying secret", () => {
    const image = (secret: boolean) => `{"config_key":"db.password","value":"s3cr3t-Pa55w0rd-value","is_secret":${secret}}`
    const metadata =
      '"metadata":{"timestamp":"2024-01-15T10:30:00Z","record-type":"data","operation":"insert","table-name":"configurations"}'
    const texts = [
      `{"tableName":"configurations","operation":"INSERT","afterImage":${image(true)},"afterImage":${image(false)},"timestamp":1700000000000}`,
      `{"data":${image(true)},"data":${image(false)},${metadata}}`
    ]
    for (const text of texts) {
      const outcome = path.fromPayload(text, {}, 0)
      expect(outcome._tag, text).toBe("Reject")
      if (outcome._tag === "Reject") expect(outcome.error).toMatchObject({ column: "is_secret", reason: "duplicate-column" })
    }
  })

  it("leaves tables without conditional rules to JSON.parse's reading", () => {
    const text = '{"tableName":"users","operation":"INSERT","afterImage":{"id":1,"status":"a","status":"b"},"timestamp":1700000000000}'
    const outcome = path.fromPayload(text, {}, 0)
    expect(outcome._tag).toBe("Publish")
  })
})
