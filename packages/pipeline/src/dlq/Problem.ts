/**
 * A problem: what the DLQ's failures are grouped and alerted by (table, category, code; a schema
 * drift's window by its columns too).
 * Alerts are one per problem per batch (./Alerts) and per window (./AlertWindow).
 *
 * @example
 * ```ts
 * problemKey(failure) === problemKey(alert) // the failure is one the alert is about
 * ```
 */

/** What an alert is about: a table, an error category and a code (and a drift's columns). */
export interface Problem {
  readonly table: string
  readonly category: string
  readonly code: string
  /** The columns a `schema-drift` problem names (undeclared, or a DDL's): part of its {@link windowKey}. */
  readonly columns?: ReadonlyArray<string> | undefined
}

/**
 * One key per problem. A table name is whatever the record said, so the key is the triple's JSON,
 * not a joined string that two problems could share.
 *
 * @example
 * ```ts
 * problemKey({ table: "users", category: "poison", code: "invalid-json" }) // '["users","poison","invalid-json"]'
 * ```
 */
export const problemKey = (problem: Problem): string => JSON.stringify([problem.table, problem.category, problem.code])

/**
 * The key of a problem's alert window (./AlertWindow): {@link problemKey}, and for a schema
 * drift its columns, sorted, each once. A batch's drift alert names every column its notices
 * name; a set of columns not alerted yet opens a window of its own, so a column first seen while
 * the table's last drift alert keeps its window quiet is alerted, not only counted.
 *
 * @example
 * ```ts
 * windowKey({ table: "users", category: "schema-drift", code: "undeclared-columns", columns: ["b", "a"] })
 * // '["users","schema-drift","undeclared-columns",["a","b"]]'
 * ```
 */
export const windowKey = (problem: Problem): string =>
  problem.category === "schema-drift" && problem.columns !== undefined && problem.columns.length > 0
    ? JSON.stringify([problem.table, problem.category, problem.code, [...new Set(problem.columns)].sort()])
    : problemKey(problem)
