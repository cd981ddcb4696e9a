/**
 * A problem: what the DLQ's failures are grouped, alerted and listed by (table, category, code).
 * Alerts are one per problem per batch (./Alerts) and per window (./AlertWindow).
 *
 * @example
 * ```ts
 * problemKey(failure) === problemKey(alert) // the failure is one the alert is about
 * ```
 */

/** What an alert is about: a table, an error category and a code. */
export interface Problem {
  readonly table: string
  readonly category: string
  readonly code: string
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
