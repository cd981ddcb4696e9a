/**
 * The CoreDB change simulator: realistic INSERT/UPDATE/DELETE traffic over the twelve tables,
 * encoded as AWS DMS Kinesis JSON, as the DMS task would write it to the stream.
 *
 * - Tables are drawn with the relative volumes of the reference design (`audit_logs` ~1M/day …
 *   `configurations` ~100/day); operations only among those the table definition lists.
 * - Rows have a life: an UPDATE or DELETE changes a row that an earlier INSERT created (the
 *   before-image is that row), so per-key order matters and is observable. The partition key is
 *   `<table>-<key>`, which keeps every key on one shard, in order.
 * - A few DDL control records: a column is added to a table, appears (undeclared) in its rows for
 *   a while, then is dropped again, exercising the schema drift handling.
 * - A small rate of malformed records (broken JSON, an unknown table, a wrong value type) that must
 *   end in the DLQ without blocking anything.
 *
 * Deterministic for a seed: randomness comes from Effect's `Random` (run under `Random.withSeed`).
 * Each record says what the pipeline should do with it, for the headless accounting.
 *
 * @example
 * ```ts
 * const simulator = makeChangeSimulator({ malformedRate: 0.005 })
 * const records = yield* simulator.next(500).pipe(Random.withSeed(42))
 * ```
 */
import { type TableDefinition, tableNames, tables } from "@cdc/domain/Tables"
import type { Change, ChangeOperation } from "@cdc/testkit/Changes"
import { dmsControlRecord, toDmsRecord } from "@cdc/testkit/InputShapes"
import { type Row, rowArbitrary } from "@cdc/testkit/Rows"
import { sensitiveValues } from "@cdc/testkit/SensitiveValues"
import * as Clock from "effect/Clock"
import * as Effect from "effect/Effect"
import * as Random from "effect/Random"
import fc from "fast-check"

/** What the pipeline is expected to do with a record. */
export type Expectation = "publish" | "skip" | "reject"

export interface SimulatedRecord {
  readonly partitionKey: string
  /** The Kinesis record data: DMS JSON text (or broken text for a malformed record). */
  readonly data: string
  readonly table: string
  readonly kind: "data" | "control" | "malformed"
  readonly expect: Expectation
  /** For a data record, the row it changes as `table#key`, as the producer knows it. */
  readonly entity?: string
  /**
   * For a record cut mid-way (no JSON to read them from), the protected values of its row that
   * are still whole in its text: what a leak check must not find anywhere.
   */
  readonly protectedValues?: ReadonlyArray<string>
}

/** Average daily changes per table, from the reference design's table of monitored tables. */
export const referenceVolumes: Readonly<Record<string, number>> = {
  users: 50_000,
  orders: 200_000,
  products: 10_000,
  sessions: 500_000,
  transactions: 150_000,
  inventory: 80_000,
  customers: 30_000,
  shipments: 100_000,
  returns: 20_000,
  reviews: 15_000,
  audit_logs: 1_000_000,
  configurations: 100
}

export interface SimulatorOptions {
  /** Share of malformed records; default 0.5 %. */
  readonly malformedRate?: number
  /** One schema change (add-column, later drop-column) every this many data records; default 1,500. */
  readonly ddlEvery?: number
  /** Live rows kept per table for later UPDATE/DELETE; default 2,000. */
  readonly liveRowsPerTable?: number
  /**
   * Every table equally often, instead of CoreDB's volumes (where `configurations` is about one
   * change in 20,000): for runs that must see every table, such as the chaos suite's leak scan.
   */
  readonly uniformTables?: boolean
}

export interface ChangeSimulator {
  /** The next `count` records of the traffic. */
  readonly next: (count: number) => Effect.Effect<ReadonlyArray<SimulatedRecord>>
}

const definitionOf = (table: string): TableDefinition => tables.get(table)!

/** Operation weights: most rows are updated several times, few are deleted. */
const operationWeights: Readonly<Record<ChangeOperation, number>> = { INSERT: 0.35, UPDATE: 0.55, DELETE: 0.1 }

/** The column a simulated DDL adds for a while (never declared in the table definition). */
/** The column the simulated DDL adds, undeclared in the table definition (schema drift). */
export const driftColumn = "loyalty_tier"
/** Long and distinctive enough to serve as a canary: an undeclared column's value is withheld. */
export const driftValue = "tier-platinum-7"
const driftLifetime = 200

const pick = <A>(weighted: ReadonlyArray<readonly [A, number]>, roll: number): A => {
  const total = weighted.reduce((sum, [, weight]) => sum + weight, 0)
  let threshold = roll * total
  for (const [value, weight] of weighted) {
    threshold -= weight
    if (threshold < 0) return value
  }
  return weighted[weighted.length - 1]![0]
}

const dmsTime = (millis: number) => new Date(millis).toISOString().replace("T", " ").replace("Z", "000")

/**
 * A new simulator with its own row state. Call `next` repeatedly within one seeded `Random`.
 */
export const makeChangeSimulator = (options: SimulatorOptions = {}): ChangeSimulator => {
  const malformedRate = options.malformedRate ?? 0.005
  const ddlEvery = options.ddlEvery ?? 1_500
  const liveLimit = options.liveRowsPerTable ?? 2_000
  const live = new Map<string, Array<Row>>(tableNames.map((table) => [table, []]))
  const fresh = new Map<string, Array<Row>>(tableNames.map((table) => [table, []]))
  const weights = tableNames.map((table) => [table, options.uniformTables ? 1 : (referenceVolumes[table] ?? 1)] as const)
  let keyCounter = 0
  let dataRecords = 0
  let malformedCount = 0
  let drift: { table: string; until: number } | undefined
  let ddlTable = 0

  const freshRow = (table: string) =>
    Effect.gen(function* () {
      const pool = fresh.get(table)!
      if (pool.length === 0) pool.push(...fc.sample(rowArbitrary(table), { seed: yield* Random.nextInt, numRuns: 64 }))
      const row = pool.pop()!
      // A unique key per insert, shaped like the generated one (`ord_0001234` or an integer).
      const key = definitionOf(table).keyColumn
      keyCounter += 1
      const keyValue = typeof row[key] === "number" ? keyCounter : String(row[key]).replace(/\d+$/, String(keyCounter).padStart(7, "0"))
      return { ...row, [key]: keyValue } as Row
    })

  const dataChange = (table: string, now: number) =>
    Effect.gen(function* () {
      const definition = definitionOf(table)
      const rows = live.get(table)!
      // An update-only table (inventory) starts from rows that exist before the simulation.
      if (!definition.operations.includes("INSERT") && rows.length === 0) for (let i = 0; i < 50; i++) rows.push(yield* freshRow(table))
      const possible = definition.operations.filter((operation) => operation === "INSERT" || rows.length > 0)
      const operation = pick(
        possible.map((operation) => [operation, operationWeights[operation]] as const),
        yield* Random.next
      )
      const base = { table, operation, changeTimeMillis: now, transactionId: String(1 + (yield* Random.nextIntBetween(0, 2 ** 30))) }
      let change: Change
      if (operation === "INSERT") {
        const after = yield* freshRow(table)
        if (rows.length < liveLimit) rows.push(after)
        change = { ...base, after }
      } else {
        const index = yield* Random.nextIntBetween(0, rows.length - 1)
        const before = rows[index]!
        if (operation === "DELETE") {
          rows[index] = rows[rows.length - 1]!
          rows.pop()
          change = { ...base, before }
        } else {
          const source = yield* freshRow(table)
          const candidates = definition.columns.filter((column) => column.name !== definition.keyColumn)
          const changed = yield* Random.shuffle(candidates)
          const after: Record<string, unknown> = { ...before }
          for (const column of changed.slice(0, 1 + (yield* Random.nextIntBetween(0, 2)))) after[column.name] = source[column.name]
          if ("updated_at" in after) after.updated_at = dmsTime(now)
          rows[index] = after
          change = { ...base, before, after }
        }
      }
      const record = toDmsRecord(change) as { data?: Row | null }
      if (drift?.table === table && record.data) record.data = { ...record.data, [driftColumn]: driftValue }
      const key = String((change.after ?? change.before)![definition.keyColumn])
      return {
        partitionKey: `${table}-${key}`,
        data: JSON.stringify(record),
        table,
        kind: "data",
        expect: "publish",
        entity: `${table}#${key}`
      } satisfies SimulatedRecord
    })

  const controlRecord = (table: string, operation: "add-column" | "drop-column", now: number): SimulatedRecord => ({
    partitionKey: `${table}-ddl`,
    data: JSON.stringify(dmsControlRecord({ table, operation, columns: [driftColumn], changeTimeMillis: now })),
    table,
    kind: "control",
    expect: "skip"
  })

  const malformed = (now: number) =>
    Effect.gen(function* () {
      malformedCount += 1
      const variant = yield* Random.nextIntBetween(0, 2)
      const partitionKey = `malformed-${malformedCount}`
      if (variant === 0) {
        // Cut mid-way, as a producer bug or a torn write would.
        const row = yield* freshRow("orders")
        const text = JSON.stringify(
          toDmsRecord({ table: "orders", operation: "INSERT", after: row, changeTimeMillis: now, transactionId: "1" })
        )
        const data = text.slice(0, Math.floor(text.length / 2))
        const protectedValues = sensitiveValues("orders", row).filter((value) => data.includes(JSON.stringify(value).slice(1, -1)))
        return { partitionKey, data, table: "orders", kind: "malformed", expect: "reject", protectedValues } as const
      }
      if (variant === 1) {
        const record = toDmsRecord({
          table: "legacy_accounts",
          operation: "INSERT",
          after: { account_id: malformedCount },
          changeTimeMillis: now,
          transactionId: "1"
        })
        return { partitionKey, data: JSON.stringify(record), table: "legacy_accounts", kind: "malformed", expect: "reject" } as const
      }
      const row = { ...(yield* freshRow("orders")), total_amount: "twelve pounds" }
      const record = toDmsRecord({ table: "orders", operation: "INSERT", after: row, changeTimeMillis: now, transactionId: "1" })
      return { partitionKey, data: JSON.stringify(record), table: "orders", kind: "malformed", expect: "reject" } as const
    })

  const one = Effect.gen(function* () {
    const now = yield* Clock.currentTimeMillis
    if ((yield* Random.next) < malformedRate) return [yield* malformed(now)]
    dataRecords += 1
    const out: Array<SimulatedRecord> = []
    if (drift !== undefined && dataRecords >= drift.until) {
      out.push(controlRecord(drift.table, "drop-column", now))
      drift = undefined
    }
    if (dataRecords % ddlEvery === 0) {
      const table = tableNames[ddlTable++ % tableNames.length]!
      drift = { table, until: dataRecords + driftLifetime }
      out.push(controlRecord(table, "add-column", now))
    }
    out.push(yield* dataChange(pick(weights, yield* Random.next), now))
    return out
  })

  // Records generated beyond a requested count wait for the next call: none is lost or reordered.
  let pending: Array<SimulatedRecord> = []
  return {
    next: (count) =>
      Effect.gen(function* () {
        while (pending.length < count) pending.push(...(yield* one))
        const out = pending.slice(0, count)
        pending = pending.slice(count)
        return out
      })
  }
}
