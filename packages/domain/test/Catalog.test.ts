import { sampleChanges } from "@cdc/testkit/Changes"
import { toDmsRecord } from "@cdc/testkit/InputShapes"
import * as Schema from "effect/Schema"
import fc from "fast-check"
import { describe, expect, it } from "vitest"
import { eventCatalog } from "../src/Catalog"
import { detailSchemaOf, maskPatterns } from "../src/Event"
import { makeRecordPath } from "../src/RecordPath"
import { makeRedactor, makeSecrets } from "../src/Redaction"
import { developmentRedactionKeys } from "../src/RedactionKeys"
import { tables } from "../src/Tables"

type Json = Record<string, unknown>

/** A small JSON Schema check of the keywords the catalog uses (type, enum, pattern, required, properties, anyOf). */
const validate = (schema: Json, value: unknown, at = "$"): ReadonlyArray<string> => {
  const errors: Array<string> = []
  if (Array.isArray(schema.anyOf)) {
    const ok = (schema.anyOf as Array<Json>).some((s) => validate(s, value, at).length === 0)
    return ok ? [] : [`${at}: no anyOf branch matches`]
  }
  const type = schema.type as string | undefined
  const actual = value === null ? "null" : Array.isArray(value) ? "array" : typeof value
  if (type === "integer" ? !Number.isInteger(value) : type !== undefined && type !== actual) errors.push(`${at}: not ${type}`)
  if (Array.isArray(schema.enum) && !schema.enum.includes(value)) errors.push(`${at}: not in enum`)
  if (typeof schema.pattern === "string" && !new RegExp(schema.pattern, "u").test(String(value))) errors.push(`${at}: pattern`)
  if (actual === "object" && value !== null) {
    const record = value as Json
    for (const key of (schema.required as Array<string> | undefined) ?? []) if (!(key in record)) errors.push(`${at}.${key}: missing`)
    const properties = (schema.properties ?? {}) as Record<string, Json>
    for (const [key, item] of Object.entries(record)) {
      if (properties[key] !== undefined) errors.push(...validate(properties[key], item, `${at}.${key}`))
      else if (schema.additionalProperties === false) errors.push(`${at}.${key}: not allowed`)
    }
  }
  return errors
}

describe("event catalog", () => {
  const catalog = eventCatalog()

  it("has one schema per published event type of the twelve tables, and an index", () => {
    const expected = [...tables.values()].flatMap((t) => t.operations.map((op) => t.eventTypes[op]))
    expect(catalog.schemas.map((s) => s.eventType)).toEqual(expected)
    expect(catalog.index.eventTypes.map((e) => e.file)).toEqual(expected.map((e) => `${e}.schema.json`))
    const users = catalog.schemas.find((s) => s.eventType === "user.created")?.schema as Json
    const changes = (users.properties as Record<string, Json>).changes as Json
    expect(Object.keys(changes.properties as Json)).not.toContain("ssn")
    expect(Object.keys(changes.properties as Json)).toContain("email")
    expect(((users.properties as Record<string, Json>).eventId as Json).pattern).toBe("^evt_[0-9]+_[a-z0-9]+$")
  })

  it("generated events validate against their JSON Schema and their Effect Schema", () => {
    const path = makeRecordPath({ keys: developmentRedactionKeys, sourcePrefix: "cdc-pipeline", eventBusName: "bus" })
    const byType = new Map(catalog.schemas.map((s) => [s.eventType, s.schema]))
    for (const change of sampleChanges(260, 4)) {
      const outcome = path.fromPayload(toDmsRecord(change), {}, Date.UTC(2024, 0, 1))
      if (outcome._tag !== "Publish") throw new Error(`not published: ${outcome._tag}`)
      const detail = JSON.parse(outcome.entry.Detail)
      expect(validate(byType.get(outcome.entry.DetailType) as Json, detail)).toEqual([])
      const definition = tables.get(change.table)
      if (definition === undefined) throw new Error("no table")
      expect(Schema.is(detailSchemaOf(definition, change.operation))(detail)).toBe(true)
    }
  })

  it("closes `changes`: a REMOVE or withheld column, or a stray key in a change, fails validation", () => {
    const path = makeRecordPath({ keys: developmentRedactionKeys, sourcePrefix: "cdc-pipeline", eventBusName: "bus" })
    const [change] = sampleChanges(200, 9).filter((c) => c.table === "users" && c.operation === "INSERT")
    const outcome = path.fromPayload(toDmsRecord(change!), {}, Date.UTC(2024, 0, 1))
    if (outcome._tag !== "Publish") throw new Error("not published")
    const detail = JSON.parse(outcome.entry.Detail) as Json
    const changes = detail.changes as Record<string, Json>
    const schema = catalog.schemas.find((s) => s.eventType === "user.created")?.schema as Json
    expect(validate(schema, detail)).toEqual([])
    expect(validate(schema, { ...detail, changes: { ...changes, ssn: { new: "123-45-6789" } } })).toEqual(["$.changes.ssn: not allowed"])
    expect(validate(schema, { ...detail, changes: { ...changes, id: { ...changes.id, was: 1 } } })).toEqual([
      "$.changes.id.was: not allowed"
    ])
    expect(validate(schema, { ...detail, traceId: "t-1" }), "the detail itself stays open to added fields").toEqual([])
    expect(
      validate(schema, { ...detail, metadata: { ...(detail.metadata as Json), region: "eu-west-1" } }),
      "its metadata stays open too"
    ).toEqual([])
    // a table that publishes its undeclared columns keeps `changes` open for them
    const open = eventCatalog({ tables: new Map([["users", { ...tables.get("users")!, undeclaredColumns: "publish" as const }]]) })
    const openSchema = open.schemas.find((s) => s.eventType === "user.created")?.schema as Json
    expect(validate(openSchema, { ...detail, changes: { ...changes, nickname: { new: "ada" } } })).toEqual([])
  })

  it("a created event's changes carry only `new`, a deleted event's only `old`, as published", () => {
    const schemaOf = (eventType: string) => catalog.schemas.find((s) => s.eventType === eventType)?.schema as Json
    const detail = (operation: string, changes: Json) => ({
      eventId: "evt_1705314600000_abc",
      eventType: `user.${operation === "INSERT" ? "created" : operation === "DELETE" ? "deleted" : "updated"}`,
      entityId: "1",
      entityType: "user",
      operation,
      timestamp: "2024-01-15T10:30:00.000Z",
      changes,
      metadata: { sourceTable: "users", processedAt: "2024-01-15T10:30:01.000Z", version: "1.0" }
    })
    const masked = "o**@example.com"
    expect(validate(schemaOf("user.created"), detail("INSERT", { email: { new: masked } }))).toEqual([])
    expect(validate(schemaOf("user.created"), detail("INSERT", { email: { old: masked } }))).not.toEqual([])
    expect(validate(schemaOf("user.created"), detail("INSERT", { email: { old: masked, new: masked } }))).not.toEqual([])
    expect(validate(schemaOf("user.deleted"), detail("DELETE", { email: { old: masked } }))).toEqual([])
    expect(validate(schemaOf("user.deleted"), detail("DELETE", { email: { new: masked } }))).not.toEqual([])
    for (const change of [{ old: masked }, { new: masked }, { old: masked, new: masked }]) {
      expect(validate(schemaOf("user.updated"), detail("UPDATE", { email: change }))).toEqual([])
    }
  })

  it("names each event type's Source, table and operation as published, in draft 2020-12", () => {
    const path = makeRecordPath({ keys: developmentRedactionKeys, sourcePrefix: "cdc-pipeline", eventBusName: "bus" })
    const byType = new Map(catalog.schemas.map((s) => [s.eventType, s]))
    for (const change of sampleChanges(260, 4)) {
      const outcome = path.fromPayload(toDmsRecord(change), {}, Date.UTC(2024, 0, 1))
      if (outcome._tag !== "Publish") throw new Error(`not published: ${outcome._tag}`)
      const entry = byType.get(outcome.entry.DetailType)
      expect([entry?.source, entry?.table, entry?.operation]).toEqual([outcome.entry.Source, change.table, change.operation])
    }
    for (const { schema } of catalog.schemas) expect(schema.$schema).toBe("https://json-schema.org/draft/2020-12/schema")
    expect(catalog.index.eventTypes).toEqual(catalog.schemas.map(({ schema: _schema, ...entry }) => entry))
    const prefixed = eventCatalog({ sourcePrefix: "acme" })
    expect(prefixed.index.eventTypes.map((e) => e.source)).toEqual(catalog.index.eventTypes.map((e) => `acme.${e.table}`))
  })

  it("a redacted column admits only its redacted form: a clear value published by mistake fails validation", () => {
    const path = makeRecordPath({ keys: developmentRedactionKeys, sourcePrefix: "cdc-pipeline", eventBusName: "bus" })
    const schemaOf = (eventType: string) => catalog.schemas.find((s) => s.eventType === eventType)?.schema as Json
    const published = (table: string) => {
      const [change] = sampleChanges(240, 3).filter((c) => c.table === table && c.operation === "INSERT")
      const outcome = path.fromPayload(toDmsRecord(change!), {}, Date.UTC(2024, 0, 1))
      if (outcome._tag !== "Publish") throw new Error("not published")
      return { type: outcome.entry.DetailType, detail: JSON.parse(outcome.entry.Detail) as Json }
    }
    const clear: ReadonlyArray<[string, string, string]> = [
      ["users", "email", "alice@example.com"], // PARTIAL_MASK(email)
      ["users", "phone", "+1 555-123-4567"], // PARTIAL_MASK(phone)
      ["transactions", "card_number", "4111 1111 1111 1111"], // PARTIAL_MASK(card)
      ["transactions", "account_number", "GB29NWBK60161331926819"], // TOKENIZE
      ["sessions", "ip_address", "10.1.2.3"], // HASH
      ["customers", "full_name", "Ada Lovelace"] // FULL_MASK
    ]
    for (const [table, column, value] of clear) {
      const { type, detail } = published(table)
      const changes = detail.changes as Record<string, Json>
      expect(validate(schemaOf(type), detail), `${table}.${column} as published`).toEqual([])
      expect(
        validate(schemaOf(type), { ...detail, changes: { ...changes, [column]: { new: value } } }),
        `${table}.${column} in clear`
      ).not.toEqual([])
    }
    // the masks' short forms and null stay valid
    const { type, detail } = published("users")
    for (const email of ["***", "o**@example.com", "\u{1F600}**@example.com", null])
      expect(validate(schemaOf(type), { ...detail, changes: { ...(detail.changes as Json), email: { new: email } } })).toEqual([])
    expect(validate(schemaOf(type), { ...detail, changes: { ...(detail.changes as Json), phone: { new: "***" } } })).toEqual([])
  })

  it("each mask's pattern admits exactly what its mask writes, also read without the u flag a JSON Schema pattern does not carry", () => {
    const secrets = makeSecrets(developmentRedactionKeys)
    const units = ["a", "@", "*", "\n", "1", "\u0663", "\uD83D", "\uDE00", "\uD83D\uDE00", "\u0000", " "]
    fc.assert(
      fc.property(fc.array(fc.constantFrom(...units), { maxLength: 8 }), (parts) => {
        const text = parts.join("")
        for (const format of ["email", "phone", "card", "generic"] as const) {
          const out = makeRedactor({ action: "PARTIAL_MASK", format }, secrets)(text) as string
          const { source } = maskPatterns[format]
          expect(new RegExp(source, "u").test(out), `${format} ${JSON.stringify(out)}`).toBe(true)
          expect(new RegExp(source).test(out), `${format} ${JSON.stringify(out)} without u`).toBe(true)
        }
      })
    )
    // the email mask keeps what follows the last @: a second @ after it is no mask
    expect(maskPatterns.email.test("a**@b@c")).toBe(false)
  })

  it("the validator rejects an event that breaks the schema", () => {
    const schema = catalog.schemas.find((s) => s.eventType === "user.updated")?.schema as Json
    expect(validate(schema, { eventId: "abc", eventType: "user.updated" }).length).toBeGreaterThan(0)
  })
})
