import { tables } from "@cdc/domain/Tables"
import { it } from "@effect/vitest"
import * as Effect from "effect/Effect"
import * as Random from "effect/Random"
import { describe, expect } from "vitest"
import { makeChangeSimulator, referenceVolumes, type SimulatedRecord } from "../../src/local/ChangeSimulator"

const generate = (count: number, seed: number) => makeChangeSimulator().next(count).pipe(Random.withSeed(seed))

interface Dms {
  readonly data?: Record<string, unknown>
  readonly "before-image"?: Record<string, unknown>
  readonly metadata: { readonly operation: string; readonly "table-name": string; readonly "record-type": string }
}
const dms = (record: SimulatedRecord) => JSON.parse(record.data) as Dms

describe("ChangeSimulator", () => {
  it.effect("is deterministic for a seed", () =>
    Effect.gen(function* () {
      const a = yield* generate(400, 7)
      const b = yield* generate(400, 7)
      const c = yield* generate(400, 8)
      expect(a).toEqual(b)
      expect(a).not.toEqual(c)
    })
  )

  it.effect("continues the same traffic across calls: nothing generated beyond a count is lost or reordered", () =>
    Effect.gen(function* () {
      // Frequent schema changes: a DDL control record comes with a data record, two records of one draw.
      const options = { ddlEvery: 10 }
      const whole = yield* makeChangeSimulator(options).next(600).pipe(Random.withSeed(11))
      const simulator = makeChangeSimulator(options)
      const parts = yield* Effect.gen(function* () {
        const out: Array<SimulatedRecord> = []
        while (out.length < 600) out.push(...(yield* simulator.next(1 + (out.length % 3))))
        return out
      }).pipe(Random.withSeed(11))
      expect(whole.filter((r) => r.kind === "control").length).toBeGreaterThan(10)
      expect(parts.slice(0, 600)).toEqual(whole)
    })
  )

  it.effect("draws tables with the reference design's relative volumes and only their declared operations", () =>
    Effect.gen(function* () {
      const records = (yield* generate(6000, 1)).filter((r) => r.kind === "data")
      const count = (table: string) => records.filter((r) => r.table === table).length
      expect(count("audit_logs")).toBeGreaterThan(count("sessions"))
      expect(count("sessions")).toBeGreaterThan(count("orders"))
      expect(count("orders")).toBeGreaterThan(count("users"))
      expect(count("users")).toBeGreaterThan(count("products"))
      const share = count("audit_logs") / records.length
      const expected = referenceVolumes.audit_logs! / Object.values(referenceVolumes).reduce((a, b) => a + b, 0)
      expect(Math.abs(share - expected)).toBeLessThan(0.05)
      for (const record of records) {
        const operation = dms(record).metadata.operation.toUpperCase()
        expect(tables.get(record.table)!.operations).toContain(operation)
      }
    })
  )

  it.effect("gives rows a life: updates and deletes carry the row's current image, keyed `<table>-<key>`", () =>
    Effect.gen(function* () {
      const records = (yield* generate(4000, 3)).filter((r) => r.kind === "data" && r.table === "users")
      const current = new Map<string, Record<string, unknown>>()
      let checked = 0
      for (const record of records) {
        const { data, "before-image": before, metadata } = dms(record)
        const key = `users-${String(data!.id)}`
        expect(record.partitionKey).toBe(key)
        if (metadata.operation === "update" && current.has(key)) {
          const { loyalty_tier: _, ...image } = before!
          const { loyalty_tier: __, ...known } = current.get(key)!
          expect(image).toEqual(known)
          checked += 1
        }
        if (metadata.operation === "delete") current.delete(key)
        else current.set(key, data!)
      }
      expect(checked).toBeGreaterThan(10)
    })
  )

  it.effect("includes DDL control records and a small share of malformed records", () =>
    Effect.gen(function* () {
      const records = yield* generate(5000, 5)
      const control = records.filter((r) => r.kind === "control")
      const malformed = records.filter((r) => r.kind === "malformed")
      expect(control.map((r) => dms(r).metadata.operation)).toContain("add-column")
      expect(control.every((r) => r.expect === "skip")).toBe(true)
      expect(malformed.length).toBeGreaterThan(5)
      expect(malformed.length).toBeLessThan(100)
      expect(malformed.every((r) => r.expect === "reject")).toBe(true)
      // a torn record names the protected values still whole in its text, for the leak checks
      const torn = malformed.filter((r) => r.protectedValues !== undefined)
      expect(torn.length).toBeGreaterThan(0)
      expect(torn.flatMap((r) => r.protectedValues ?? []).length).toBeGreaterThan(0)
      for (const r of torn) for (const value of r.protectedValues ?? []) expect(r.data).toContain(JSON.stringify(value).slice(1, -1))
    })
  )

  it.effect("never changes a row again after its DELETE", () =>
    Effect.gen(function* () {
      const deleted = new Set<string>()
      for (const record of (yield* generate(6000, 4)).filter((r) => r.kind === "data")) {
        expect(deleted.has(record.partitionKey), record.partitionKey).toBe(false)
        if (dms(record).metadata.operation === "delete") deleted.add(record.partitionKey)
      }
      expect(deleted.size).toBeGreaterThan(10)
    })
  )

  it.effect("adds a column to a table's rows for a while, then drops it again", () =>
    Effect.gen(function* () {
      const records = yield* makeChangeSimulator({ ddlEvery: 400, uniformTables: true }).next(3000).pipe(Random.withSeed(9))
      const drifted = new Map<string, number>() // table → rows carrying the added column since its add-column
      let cycles = 0
      for (const record of records) {
        if (record.kind === "control") {
          const operation = dms(record).metadata.operation
          if (operation === "add-column") drifted.set(record.table, 0)
          else {
            expect(drifted.get(record.table)).toBeGreaterThan(0)
            drifted.delete(record.table)
            cycles += 1
          }
        } else if (record.kind === "data") {
          const { data, "before-image": before } = dms(record)
          const row = data ?? before!
          expect("loyalty_tier" in row).toBe(drifted.has(record.table))
          if (drifted.has(record.table)) drifted.set(record.table, drifted.get(record.table)! + 1)
        }
      }
      expect(cycles).toBeGreaterThan(3)
    })
  )

  it.effect("malforms records in every way: torn JSON, an unknown table, a wrong value type", () =>
    Effect.gen(function* () {
      const malformed = (yield* makeChangeSimulator({ malformedRate: 0.2 }).next(300).pipe(Random.withSeed(2))).filter(
        (r) => r.kind === "malformed"
      )
      const variant = (record: SimulatedRecord) => {
        try {
          const parsed = dms(record)
          return parsed.metadata["table-name"] === "orders"
            ? `orders total ${typeof parsed.data!.total_amount}`
            : parsed.metadata["table-name"]
        } catch {
          return "torn"
        }
      }
      expect(new Set(malformed.map(variant))).toEqual(new Set(["torn", "legacy_accounts", "orders total string"]))
    })
  )
})
