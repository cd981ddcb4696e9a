import type { RecordOutcome } from "@cdc/domain/RecordPath"
import { describe, expect, it } from "vitest"
import { makeDriftTally } from "../src/SchemaDrift"

const withheld = (table: string, columns: ReadonlyArray<string>) =>
  ({ _tag: "Publish", table, withheldColumns: columns }) as unknown as RecordOutcome

describe("SchemaDrift tally", () => {
  it("says nothing when nothing drifted", () => {
    const drift = makeDriftTally()
    drift.add(withheld("users", []))
    drift.add({ _tag: "Skip", reason: "operation-not-published", table: "orders" })
    expect(drift.line("dry-run")).toBe("")
  })

  it("bounds the names a record decides, as the processor's notices do", () => {
    const drift = makeDriftTally()
    drift.add(withheld("users", ["c".repeat(10_000)]))
    const columns = Array.from({ length: 500 }, (_, i) => `col${i}`)
    drift.add({ _tag: "Skip", reason: "control-record", table: "orders", ddl: { operation: "add-column", columns } })
    const line = drift.line("dry-run")
    expect(line).toContain(`users.${"c".repeat(256)}… (9744 more characters) withheld 1`)
    expect(line).toContain("orders add-column col0,col1,")
    expect(line).toContain("col19,… (480 more) 1")
    expect(line.length).toBeLessThan(1_000)
  })

  it("names twenty sightings and counts the rest, however many distinct names a file holds", () => {
    const drift = makeDriftTally()
    for (let i = 0; i < 5_000; i++) drift.add(withheld("users", [`c${i}`]))
    drift.add({ _tag: "Skip", reason: "control-record", table: undefined, ddl: { operation: "drop-table", columns: [] } })
    const line = drift.line("dry-run")
    expect(line.startsWith("dry-run: schema drift: users.c0 withheld 1, users.c1 withheld 1,")).toBe(true)
    expect(line.match(/withheld/g)).toHaveLength(20)
    // 5,001 sightings: 20 named, the other 4,981 counted (those past the 1,000 kept kinds too)
    expect(line.endsWith(", 4981 more sightings\n")).toBe(true)
  })
})
