/**
 * What every failure of the pipeline carries so it can be routed without looking at record
 * values: the DLQ decides to retry, park or alert from these fields alone.
 *
 * Every tagged error of the project (domain errors here, AWS errors in `@cdc/aws`, pipeline
 * errors in `@cdc/pipeline`) implements {@link Classified}. Messages are written for operators
 * and never contain a value of a record: only table and column names, positions and codes.
 *
 * @example
 * ```ts
 * if (error.retryable) retry() else deadLetter({ category: error.category, code: error.code })
 * ```
 */

/**
 * - `poison`: the record itself is bad (undecodable, wrong type); retrying cannot help.
 * - `configuration`: the pipeline is not configured for it (unknown table, invalid definition).
 * - `schema-drift`: CoreDB's schema moved away from the table definition (undeclared columns, DDL).
 * - `throttling`: AWS asked us to slow down; retry with backoff.
 * - `transient`: 5xx, timeouts, network; retry with backoff.
 * - `permanent`: AWS rejected the request for good (validation, access, oversized entry).
 */
export type ErrorCategory = "poison" | "configuration" | "schema-drift" | "throttling" | "transient" | "permanent"

/** All categories, in a stable order (for metrics dimensions and CLI filters). */
export const errorCategories: ReadonlyArray<ErrorCategory> = [
  "poison",
  "configuration",
  "schema-drift",
  "throttling",
  "transient",
  "permanent"
]

/** The categories the DLQ worker raises an alert for. */
export const alertableCategories: ReadonlySet<ErrorCategory> = new Set(["poison", "configuration", "schema-drift"])

/** Where a record came from: enough to fetch it again from Kinesis, never its content. */
export interface RecordCoordinates {
  readonly streamArn?: string | undefined
  readonly shardId?: string | undefined
  readonly sequenceNumber?: string | undefined
  readonly partitionKey?: string | undefined
  /** Epoch millis at which Kinesis accepted the record. */
  readonly arrivalTime?: number | undefined
  /** Source table, when it could be read before the failure. */
  readonly table?: string | undefined
}

/** The routing fields every project error has (see the module doc). */
export interface Classified {
  readonly _tag: string
  readonly category: ErrorCategory
  /** A short, stable, kebab-case reason used as metric dimension and DLQ reason, e.g. `invalid-json`. */
  readonly code: string
  readonly retryable: boolean
  /** Operator-facing text; never a record value. */
  readonly message: string
}
