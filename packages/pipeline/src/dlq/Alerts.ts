/**
 * Alerts for the failures an operator must act on (the `alertableCategories`: poison,
 * configuration, schema drift; and the {@link alertableCodes}: records lost to the stream's
 * retention): one alert per distinct problem, that is per (table, category, code), per DLQ batch,
 * with counts and archive locations. Never a value: an alert is built from archive metadata only.
 *
 * Delivery is at least once: a batch redelivered after a failed publish alerts again (the
 * `newlyArchived` count then says 0 of them are new).
 *
 * The live implementation is SNS (`@cdc/aws/SnsAlerts`); {@link Alerts.layerMemory} records alerts.
 *
 * @example
 * ```ts
 * for (const alert of groupAlerts(archived)) yield* (yield* Alerts).publish(alert)
 * ```
 */
import { alertableCategories, type Classified, type ErrorCategory } from "@cdc/domain/Classified"
import * as Context from "effect/Context"
import * as Effect from "effect/Effect"
import * as Layer from "effect/Layer"
import { clipped, maxMessageLength, maxNameLength } from "../Clipped"
import { wireJson } from "../WireJson"
import type { Quieted } from "./AlertWindow"
import type { PutResult } from "./Archive"
import type { ArchivedFailure, ArchiveKind } from "./ArchivedFailure"
import { problemKey } from "./Problem"

/** At most this many archive locations are listed in one alert (the count is always exact). */
export const maxLocationsPerAlert = 20

export interface Alert {
  readonly table: string
  readonly category: ErrorCategory
  readonly code: string
  /** Distinct failed records of this problem in the batch. */
  readonly count: number
  /** How many of them were archived by this batch (the rest were duplicates or redeliveries). */
  readonly newlyArchived: number
  readonly kinds: ReadonlyArray<ArchiveKind>
  readonly locations: ReadonlyArray<string>
  /** Locations left out of `locations` to keep the alert small. */
  readonly moreLocations: number
  /** The operator-facing explanation of the first failure (never a value). */
  readonly message: string
  /** The columns the failures name (schema drift: every undeclared column of the group, not only the first's). */
  readonly columns: ReadonlyArray<string>
  /** Alerts of the problem not sent since its previous alert (see ./AlertWindow). */
  readonly quieted?: Quieted | undefined
  /** Until when (epoch millis) the problem's further alerts are counted instead of sent. */
  readonly quietUntil?: number | undefined
}

/**
 * Codes that alert whatever their category. `records-expired` is `permanent` (nothing can redrive
 * a record the stream no longer holds), a category that does not alert, yet it is data loss: only
 * an operator can recover it (from the source database), so they must hear of it.
 */
export const alertableCodes: ReadonlySet<string> = new Set(["records-expired"])

/** Whether a failure is one an operator must act on. */
const isAlertable = (failure: ArchivedFailure): boolean => alertableCategories.has(failure.category) || alertableCodes.has(failure.code)

/** One archived failure, as the alert grouping sees it. */
export interface ArchivedItem {
  readonly failure: ArchivedFailure
  readonly put: PutResult
  readonly location: string
}

/**
 * Groups a batch's archived failures into alerts: alertable categories and codes only, one alert per
 * (table, category, code), each record counted once even if delivered twice in the batch.
 *
 * @example
 * ```ts
 * groupAlerts([poisonUsers1, poisonUsers2, transientOrders]) // [{ table: "users", category: "poison", count: 2, ... }]
 * ```
 */
export const groupAlerts = (items: ReadonlyArray<ArchivedItem>): ReadonlyArray<Alert> => {
  const groups = new Map<string, Map<string, ArchivedItem>>()
  for (const item of items) {
    if (!isAlertable(item.failure)) continue
    const problem = problemKey(item.failure)
    const byKey = groups.get(problem) ?? new Map<string, ArchivedItem>()
    const seen = byKey.get(item.put.key)
    if (!seen || (!seen.put.created && item.put.created)) byKey.set(item.put.key, item)
    groups.set(problem, byKey)
  }
  return [...groups.values()].map((byKey) => {
    const members = [...byKey.values()]
    const first = members[0] as ArchivedItem
    const locations = members.map((member) => member.location).sort()
    return {
      table: first.failure.table,
      category: first.failure.category,
      code: first.failure.code,
      count: members.length,
      newlyArchived: members.filter((member) => member.put.created).length,
      kinds: [...new Set(members.map((member) => member.failure.kind))].sort(),
      locations: locations.slice(0, maxLocationsPerAlert),
      moreLocations: Math.max(0, locations.length - maxLocationsPerAlert),
      message: first.failure.message,
      columns: [...new Set(members.flatMap((member) => member.failure.columns ?? []))].sort()
    }
  })
}

/**
 * The subject line of an alert (SNS: at most 100 printable ASCII characters).
 *
 * @example
 * ```ts
 * alertSubject(alert) // "CDC DLQ poison/invalid-json on users: 3 records"
 * alertSubject({ ...alert, quieted: { alerts: 9, records: 90 } }) // "CDC DLQ poison/invalid-json on users: 3 records (+90 since the last alert)"
 * ```
 */
export const alertSubject = (alert: Alert): string =>
  `CDC DLQ ${alert.category}/${alert.code} on ${alert.table}: ${alert.count} record${alert.count === 1 ? "" : "s"}${
    alert.quieted === undefined
      ? ""
      : alert.quieted.records > 0
        ? ` (+${alert.quieted.records} since the last alert)`
        : ` (${alert.quieted.alerts} held since the last alert)`
  }`
    .replace(/[^\x20-\x7e]/g, "?")
    .slice(0, 100)

/**
 * The alert's message body: JSON an operator (or a chat integration) can read.
 *
 * @example
 * ```ts
 * JSON.parse(alertBody(alert)).archive.locations[0] // "s3://bucket/failed-events/users/…"
 * ```
 */
export const alertBody = (alert: Alert): string => {
  // a table name is whatever the record said (an unknown table's may be 100 KB): bounded, so the
  // body stays far below SNS's 256 KiB, which refuses for good what is larger
  const table = clipped(alert.table, maxNameLength)
  const columns = alert.columns.slice(0, maxColumnsPerAlert).map((column) => clipped(column, maxNameLength))
  return wireJson({
    service: "cdc-pipeline",
    // lost records are as urgent as poison: both need an operator before the source moves on
    severity: alert.category === "poison" || alertableCodes.has(alert.code) ? "high" : "medium",
    problem: {
      table,
      category: alert.category,
      code: clipped(alert.code, maxNameLength),
      message: clipped(alert.message, maxMessageLength),
      ...(columns.length === 0 ? {} : { columns, moreColumns: alert.columns.length - columns.length })
    },
    count: alert.count,
    newlyArchived: alert.newlyArchived,
    kinds: alert.kinds,
    archive: { locations: alert.locations, moreLocations: alert.moreLocations },
    ...(alert.quieted === undefined
      ? {}
      : {
          quieted: { alerts: alert.quieted.alerts, records: alert.quieted.records }
        }),
    ...(alert.quietUntil === undefined ? {} : { quietUntil: new Date(alert.quietUntil).toISOString() }),
    // pasted into a shell: the name quoted; a clipped one would name another table, so it is left out
    hint: `npx cdc dlq list${table === alert.table ? ` --table ${shellQuoted(table)}` : ""} --category ${alert.category}`
  })
}

const maxColumnsPerAlert = 50

/** One shell word: single-quoted unless plainly safe. */
const shellQuoted = (word: string): string => (/^[A-Za-z0-9_./=-]+$/.test(word) ? word : `'${word.replaceAll("'", "'\\''")}'`)

export class Alerts extends Context.Service<
  Alerts,
  {
    readonly publish: (alert: Alert) => Effect.Effect<void, Classified>
  }
>()("@cdc/pipeline/dlq/Alerts") {
  /** Records published alerts in `store.published`; `store.failPublish` injects faults. */
  static readonly layerMemory = (store: MemoryAlertStore = makeMemoryAlertStore()) =>
    Layer.succeed(
      Alerts,
      Alerts.of({
        publish: (alert) =>
          Effect.suspend(() => {
            const fault = store.failPublish?.(alert)
            if (fault) return Effect.fail(fault)
            store.published.push(alert)
            return Effect.void
          })
      })
    )
}

export interface MemoryAlertStore {
  readonly published: Array<Alert>
  failPublish: ((alert: Alert) => Classified | undefined) | undefined
}

export const makeMemoryAlertStore = (): MemoryAlertStore => ({ published: [], failPublish: undefined })
