/**
 * Generators of CoreDB changes (one change of one row, independent of the input shape it is later
 * encoded in, see `./InputShapes`): fast-check arbitraries per table and operation
 * ({@link changeArbitrary}) and deterministic seeded samples over all twelve tables
 * ({@link sampleChanges}): same seed, same data.
 *
 * @example
 * ```ts
 * import { sampleChanges } from "@cdc/testkit/Changes"
 * import { toDmsRecord, toKinesisRecord } from "@cdc/testkit/InputShapes"
 * const records = sampleChanges(100, 42).map((change, i) => toKinesisRecord(toDmsRecord(change), { index: i }))
 * ```
 */
import { tableNames } from "@cdc/domain/Tables"
import fc from "fast-check"
import { definitionOf } from "./internal/tableDefinition"
import { type Row, rowArbitrary, timeMillis } from "./Rows"

export type ChangeOperation = "INSERT" | "UPDATE" | "DELETE"

/** One change of one row, independent of the input shape it is later encoded in. */
export interface Change {
  readonly table: string
  readonly operation: ChangeOperation
  /** The row before the change (UPDATE, DELETE). */
  readonly before?: Row | undefined
  /** The row after the change (INSERT, UPDATE). */
  readonly after?: Row | undefined
  /** Source change time, epoch millis. */
  readonly changeTimeMillis: number
  readonly transactionId: string
}

const transactionId = fc.integer({ min: 1, max: 2 ** 31 }).map(String)

/** A change of `table` by `operation`: UPDATE regenerates at least one non-key column. */
export const changeOfArbitrary = (table: string, operation: ChangeOperation): fc.Arbitrary<Change> => {
  const definition = definitionOf(table)
  const others = definition.columns.filter((c) => c.name !== definition.keyColumn)
  const base = { table, operation }
  const time = fc.tuple(timeMillis, transactionId)
  switch (operation) {
    case "INSERT":
      return fc
        .tuple(rowArbitrary(table), time)
        .map(([after, [changeTimeMillis, txn]]) => ({ ...base, after, changeTimeMillis, transactionId: txn }))
    case "DELETE":
      return fc
        .tuple(rowArbitrary(table), time)
        .map(([before, [changeTimeMillis, txn]]) => ({ ...base, before, changeTimeMillis, transactionId: txn }))
    case "UPDATE":
      return fc
        .tuple(rowArbitrary(table), fc.subarray(others, { minLength: 1 }), rowArbitrary(table), time)
        .map(([before, changed, fresh, [changeTimeMillis, txn]]) => {
          const after: Record<string, unknown> = { ...before }
          for (const column of changed) after[column.name] = fresh[column.name]
          return { ...base, before, after, changeTimeMillis, transactionId: txn }
        })
  }
}

/**
 * Any change of `table` (any operation, published or not), or of any table when omitted.
 *
 * @example
 * ```ts
 * fc.assert(fc.property(changeArbitrary(), (change) => tables.has(change.table)))
 * ```
 */
export const changeArbitrary = (table?: string): fc.Arbitrary<Change> =>
  (table === undefined ? fc.constantFrom(...tableNames) : fc.constant(table)).chain((t) =>
    fc.constantFrom<ChangeOperation>("INSERT", "UPDATE", "DELETE").chain((op) => changeOfArbitrary(t, op))
  )

/** A change whose operation the table publishes. */
export const publishedChangeArbitrary = (table?: string): fc.Arbitrary<Change> =>
  (table === undefined ? fc.constantFrom(...tableNames) : fc.constant(table)).chain((t) =>
    fc.constantFrom(...definitionOf(t).operations).chain((op) => changeOfArbitrary(t, op))
  )

/**
 * `count` published changes cycling through all twelve tables and their published operations,
 * deterministic for a seed.
 *
 * @example
 * ```ts
 * const changes = sampleChanges(1200, 42) // 100 per table
 * ```
 */
export const sampleChanges = (count: number, seed = 1): ReadonlyArray<Change> => {
  const plan = tableNames.flatMap((table) => definitionOf(table).operations.map((operation) => ({ table, operation })))
  const perKind = Math.ceil(count / plan.length)
  const byKind = plan.map(({ table, operation }, index) =>
    fc.sample(changeOfArbitrary(table, operation), { seed: seed + index, numRuns: perKind })
  )
  const out: Array<Change> = []
  for (let i = 0; out.length < count; i++) {
    const kind = byKind[i % plan.length] as ReadonlyArray<Change>
    out.push(kind[Math.floor(i / plan.length)] as Change)
  }
  return out
}
