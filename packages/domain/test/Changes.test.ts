import { describe, expect, it } from "vitest"
import { computeChanges } from "../src/Changes"
import { fullMask, makeRedactor, makeSecrets } from "../src/Redaction"
import { makeRedactionKeys } from "../src/RedactionKeys"
import { compileTable } from "../src/TablePlan"
import { loadTables, tables } from "../src/Tables"

const secrets = makeSecrets(makeRedactionKeys("changes-hash-key", "changes-tokenize-key"))
const planOf = (table: string) => compileTable(tables.get(table)!, secrets)
const users = planOf("users")
const orders = planOf("orders")
const configurations = planOf("configurations")
const hash = makeRedactor({ action: "HASH" }, secrets)

const changesOf = (result: ReturnType<typeof computeChanges>) => {
  if (result._tag !== "Changes") throw new Error(`expected Changes, got ${JSON.stringify(result)}`)
  return result.changes
}

describe("changes of a table without conditional rules", () => {
  it("names an undeclared column once, though both images of an UPDATE hold it", () => {
    // the drift notice lists these names, and its id is made of them: twice would alert twice
    const before = { id: 7, status: "active", nickname: "nick-1", shoe_size: "42" }
    const after = { id: 7, status: "gone", nickname: "nick-2", shoe_size: "42" }
    for (const [b, a] of [
      [before, after],
      [undefined, after]
    ] as const) {
      const result = computeChanges(users, "UPDATE", b, a)
      expect(result._tag === "Changes" && result.withheld).toEqual(["nickname", "shoe_size"])
    }
    const configuration = computeChanges(
      configurations,
      "UPDATE",
      { config_key: "k", is_secret: false, x: 1 },
      { config_key: "k", is_secret: false, x: 2 }
    )
    expect(configuration._tag === "Changes" && configuration.withheld).toEqual(["x"])
  })

  it("names each of thousands of undeclared columns once, in the order the images hold them", () => {
    // past the short list's length the names go through a set: the same names, once each, in order
    const names = Array.from({ length: 5_000 }, (_, i) => `extra_${i}`)
    const image = (from: number, to: number) => Object.fromEntries(names.slice(from, to).map((n) => [n, 1]))
    for (const table of [users, configurations]) {
      const key = table === users ? { id: 7 } : { config_key: "k", is_secret: false }
      const result = computeChanges(table, "UPDATE", { ...image(0, 3_000), ...key }, { ...image(1_000, 5_000), ...key })
      expect(result._tag === "Changes" && result.withheld).toEqual(names)
    }
  })

  it("an UPDATE masks a protected column that only the after image holds", () => {
    const before = { id: 7, status: "active" }
    const after = { id: 7, status: "active", email: "ada@example.com", phone: "+1 555-123-4567" }
    expect(changesOf(computeChanges(users, "UPDATE", before, after))).toEqual({
      email: { new: "a**@example.com" },
      phone: { new: "***4567" }
    })
  })

  it("an UPDATE publishes a column missing from the after image as its old value only, masked", () => {
    const before = { id: 7, email: "ada@example.com", status: "active" }
    const after = { id: 7, status: "active" }
    expect(changesOf(computeChanges(users, "UPDATE", before, after))).toEqual({ email: { old: "a**@example.com" } })
  })

  it("an UPDATE without a before image publishes the after image as new values, protected, REMOVE columns left out", () => {
    const after = { id: 7, email: "ada@example.com", ssn: "123-45-6789", password_hash: "$2b$canary", status: "active" }
    const result = computeChanges(users, "UPDATE", undefined, after)
    expect(result).toEqual({
      _tag: "Changes",
      changes: { id: { new: 7 }, email: { new: "a**@example.com" }, status: { new: "active" } },
      entityId: "7",
      withheld: []
    })
  })

  it("an UPDATE publishes a JSON column only when its value differs by deep equality", () => {
    const address = { street: "1 Canary Lane", lines: ["flat 2"] }
    const before = { order_id: "ord_1", shipping_address: address }
    const same = [structuredClone(address), JSON.stringify(address), { lines: ["flat 2"], street: "1 Canary Lane" }]
    for (const value of same) {
      expect(changesOf(computeChanges(orders, "UPDATE", before, { order_id: "ord_1", shipping_address: value }))).toEqual({})
    }
    const different = [{ ...address, lines: ["flat 2", "floor 1"] }, { ...address, lines: [] }, [], {}]
    for (const value of different) {
      expect(changesOf(computeChanges(orders, "UPDATE", before, { order_id: "ord_1", shipping_address: value }))).toEqual({
        shipping_address: { old: hash(address), new: hash(value) }
      })
    }
    expect(
      changesOf(computeChanges(orders, "UPDATE", { order_id: "ord_1", shipping_address: {} }, { order_id: "ord_1", shipping_address: [] }))
    ).toEqual({
      shipping_address: { old: hash({}), new: hash([]) }
    })
  })
})

describe("changes of configurations (value FULL_MASK when is_secret)", () => {
  const row = { config_key: "cfg_1", value: "cfg-value-public", is_secret: false, description: "feature flag" }
  const secret = { ...row, value: "cfg-value-secret", is_secret: true }

  it("publish a value in clear when is_secret is false in every image", () => {
    expect(changesOf(computeChanges(configurations, "INSERT", undefined, row)).value).toEqual({ new: "cfg-value-public" })
    expect(changesOf(computeChanges(configurations, "INSERT", undefined, { ...row, is_secret: "0" })).value).toEqual({
      new: "cfg-value-public"
    })
    expect(changesOf(computeChanges(configurations, "DELETE", row, undefined)).value).toEqual({ old: "cfg-value-public" })
    expect(changesOf(computeChanges(configurations, "UPDATE", row, { ...row, value: "cfg-value-other" }))).toEqual({
      value: { old: "cfg-value-public", new: "cfg-value-other" }
    })
  })

  it("mask the value when is_secret is missing from an image (fail closed)", () => {
    const { is_secret: _, ...withoutFlag } = secret
    expect(changesOf(computeChanges(configurations, "INSERT", undefined, withoutFlag)).value).toEqual({ new: fullMask })
    expect(changesOf(computeChanges(configurations, "DELETE", withoutFlag, undefined)).value).toEqual({ old: fullMask })
    expect(changesOf(computeChanges(configurations, "UPDATE", withoutFlag, { ...withoutFlag, value: "cfg-value-rotated" })).value).toEqual({
      old: fullMask,
      new: fullMask
    })
  })

  it("mask the value when is_secret is null, which says its secrecy is unknown (fail closed)", () => {
    const unknown = { ...secret, is_secret: null }
    expect(changesOf(computeChanges(configurations, "INSERT", undefined, unknown)).value).toEqual({ new: fullMask })
    expect(changesOf(computeChanges(configurations, "DELETE", unknown, undefined)).value).toEqual({ old: fullMask })
    // known public on one side, unknown on the other: the value is masked on both
    const known = { ...secret, is_secret: false, value: "cfg-value-public" }
    expect(changesOf(computeChanges(configurations, "UPDATE", known, unknown)).value).toEqual({ old: fullMask, new: fullMask })
  })

  it("an UPDATE publishes only the fields that differ", () => {
    const after = { ...secret, description: "API credential", is_secret: "1" }
    expect(changesOf(computeChanges(configurations, "UPDATE", secret, after))).toEqual({
      description: { old: "feature flag", new: "API credential" }
    })
  })

  it("an UPDATE without its before image masks the value, though the after image says public: the row before is unknown", () => {
    // DMS sends no before image unless the task asks for one; the secret made public may be that value
    const madePublic = { ...secret, is_secret: false }
    expect(changesOf(computeChanges(configurations, "UPDATE", undefined, madePublic)).value).toEqual({ new: fullMask })
    // an INSERT has no row before it: known public is published
    expect(changesOf(computeChanges(configurations, "INSERT", undefined, madePublic)).value).toEqual({ new: madePublic.value })
  })

  it("an UPDATE masks a secret value that only one image holds", () => {
    const { value: _, ...withoutValue } = secret
    expect(changesOf(computeChanges(configurations, "UPDATE", withoutValue, secret))).toEqual({ value: { new: fullMask } })
    expect(changesOf(computeChanges(configurations, "UPDATE", secret, withoutValue))).toEqual({ value: { old: fullMask } })
  })
})

describe("a conditional REMOVE", () => {
  const [notes] = loadTables([
    {
      table: "notes",
      entity: "note",
      keyColumn: "id",
      operations: ["INSERT"],
      eventTypes: { INSERT: "note.created" },
      columns: [
        { name: "id", type: "int" },
        { name: "internal", type: "boolean" },
        { name: "body", type: "string", protection: { action: "REMOVE", when: { column: "internal", equals: true } } }
      ],
      undeclaredColumns: "withhold"
    }
  ]).values()
  const plan = compileTable(notes!, secrets)

  it("leaves the column out only when its condition holds", () => {
    expect(changesOf(computeChanges(plan, "INSERT", undefined, { id: 1, internal: true, body: "secret note" }))).toEqual({
      id: { new: 1 },
      internal: { new: true }
    })
    expect(changesOf(computeChanges(plan, "INSERT", undefined, { id: 1, internal: false, body: "public note" }))).toEqual({
      id: { new: 1 },
      internal: { new: false },
      body: { new: "public note" }
    })
  })
})
