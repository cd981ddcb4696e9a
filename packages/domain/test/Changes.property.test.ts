import { changeArbitrary } from "@cdc/testkit/Changes"
import fc from "fast-check"
import { describe, expect, it } from "vitest"
import { computeChanges } from "../src/Changes"
import { makeSecrets } from "../src/Redaction"
import { makeRedactionKeys } from "../src/RedactionKeys"
import { compileTable } from "../src/TablePlan"
import { tables } from "../src/Tables"

type Row = Record<string, unknown>

const secrets = makeSecrets(makeRedactionKeys("changes-hash-key", "changes-tokenize-key"))
const plans = new Map([...tables].map(([name, definition]) => [name, compileTable(definition, secrets)]))
const planOf = (table: string) => plans.get(table) as NonNullable<ReturnType<typeof plans.get>>
/** The same tables under the `publish` policy for undeclared columns (all twelve withhold them). */
const publishing = new Map(
  [...tables].map(([name, definition]) => [name, compileTable({ ...definition, undeclaredColumns: "publish" }, secrets)])
)

/** The same row with its columns in the order `ranks` gives them, and an undeclared one among them. */
const reordered = (row: Row | undefined, ranks: ReadonlyArray<number>, undeclaredAt: number): Row | undefined => {
  if (row === undefined) return undefined
  const entries: Array<[string, unknown]> = Object.entries(row)
    .map((entry, i) => [entry, ranks[i % ranks.length] ?? 0] as const)
    .sort((a, b) => a[1] - b[1])
    .map(([entry]) => entry)
  entries.splice(undeclaredAt % (entries.length + 1), 0, ["drifted_column", "x"])
  return Object.fromEntries(entries)
}

const withoutColumns = (row: Row, drop: ReadonlyArray<boolean>): Row =>
  Object.fromEntries(Object.entries(row).filter((_, i) => drop[i % drop.length] !== true))

describe("change computation, whatever the order of a row's columns", () => {
  it("publishes the same changes for a row in its table's column order and in any other", () => {
    fc.assert(
      fc.property(
        changeArbitrary(),
        fc.array(fc.nat(), { minLength: 1, maxLength: 20 }),
        fc.nat(),
        fc.boolean(),
        ({ table, operation, before, after }, ranks, undeclaredAt, publishes) => {
          const plan = (publishes ? publishing : plans).get(table) as ReturnType<typeof planOf>
          const inOrder = computeChanges(plan, operation, before, after)
          const shuffled = computeChanges(
            plan,
            operation,
            reordered(before, ranks, undeclaredAt),
            reordered(after, [...ranks].reverse(), undeclaredAt + 1)
          )
          expect(shuffled._tag).toBe(inOrder._tag)
          if (shuffled._tag !== "Changes" || inOrder._tag !== "Changes") return
          const { drifted_column: drifted, ...declared } = shuffled.changes
          expect(declared).toEqual(inOrder.changes)
          expect(shuffled.entityId).toBe(inOrder.entityId)
          if (publishes) {
            // published as is from the image holding it (an UPDATE's two images hold the same value)
            expect(shuffled.withheld).toEqual([])
            expect(drifted).toEqual(operation === "INSERT" ? { new: "x" } : operation === "DELETE" ? { old: "x" } : undefined)
          } else {
            expect(shuffled.withheld).toEqual(["drifted_column"])
            expect(drifted).toBeUndefined()
          }
        }
      ),
      { numRuns: 500 }
    )
  })

  // (a conditional rule reads both images, so one image alone is no oracle for `configurations`)
  it("an UPDATE publishes each column only one image holds, as that image's value", () => {
    fc.assert(
      fc.property(
        changeArbitrary().filter((change) => change.operation === "UPDATE" && planOf(change.table).conditional.length === 0),
        fc.array(fc.boolean(), { minLength: 1, maxLength: 12 }),
        fc.array(fc.boolean(), { minLength: 1, maxLength: 12 }),
        ({ table, before, after }, dropBefore, dropAfter) => {
          const plan = planOf(table)
          const b = withoutColumns(before as Row, dropBefore)
          const a = withoutColumns(after as Row, dropAfter)
          const result = computeChanges(plan, "UPDATE", b, a)
          const olds = computeChanges(plan, "DELETE", b, undefined)
          const news = computeChanges(plan, "INSERT", undefined, a)
          if (result._tag !== "Changes" || olds._tag !== "Changes" || news._tag !== "Changes") return
          for (const [column, change] of Object.entries(olds.changes)) {
            if (!Object.hasOwn(a, column)) expect(result.changes[column], column).toEqual(change)
          }
          for (const [column, change] of Object.entries(news.changes)) {
            if (!Object.hasOwn(b, column)) expect(result.changes[column], column).toEqual(change)
          }
        }
      ),
      { numRuns: 500 }
    )
  })
})
