/**
 * One alert per problem per window: after an alert for a (table, category, code) problem, that
 * problem's further alerts are not sent for the window (15 minutes by default), only counted; the
 * next alert after the window says how many were not sent (`quieted`). A flood of poison records
 * (a migration writing a bad value into every row of a table) is one page, not one per DLQ batch
 * of ten. Every failure is still archived, and `npx cdc dlq list` shows them all.
 *
 * Sending is claimed, then confirmed. {@link AlertWindow.admit} claims the window for a short
 * while (`claimMillis`) and {@link AlertWindow.confirm} makes it hold for the whole window once
 * the alert was published. An alert that was claimed but not published does not silence its
 * problem: when SNS refused it, {@link AlertWindow.release} gives the claim (and the counts it
 * was to report) back at once; when the batch ran out of time or the worker died, the claim
 * lapses by itself, before SQS redelivers the message. Either way the problem's next alert is
 * sent, with the counts of those quieted meanwhile. A confirm or release that fails costs a
 * duplicate alert or a late one, never a lost one.
 *
 * The live implementation is conditional writes on the DynamoDB state table
 * (`@cdc/aws/DynamoAlertWindow`), shared by every worker invocation; {@link AlertWindow.layerMemory}
 * keeps the same rules in memory, on Effect's `Clock`, and {@link AlertWindow.layerOff} sends
 * every alert.
 *
 * @example
 * ```ts
 * const admission = yield* (yield* AlertWindow).admit(problem, alert.newlyArchived)
 * if (admission._tag === "Alert") yield* alerts.publish({ ...alert, quieted: admission.quieted })
 * ```
 */
import type { Classified } from "@cdc/domain/Classified"
import * as Clock from "effect/Clock"
import * as Context from "effect/Context"
import * as Effect from "effect/Effect"
import * as Layer from "effect/Layer"

/** What an alert is about: one window each. */
export interface Problem {
  readonly table: string
  readonly category: string
  readonly code: string
}

/** Alerts of a problem not sent since its previous alert. */
export interface Quieted {
  /** Alerts not sent. */
  readonly alerts: number
  /** Records those alerts were for that were archived for the first time (redeliveries not counted again). */
  readonly records: number
}

/** Whether to send an alert now. */
export type Admission =
  | {
      readonly _tag: "Alert"
      readonly windowStartedAt: number
      readonly windowEndsAt: number
      /** Counts of the alerts quieted since the problem's previous alert, if any were. */
      readonly quieted: Quieted | undefined
    }
  | { readonly _tag: "Quiet"; readonly windowEndsAt: number }

export interface AlertWindowOptions {
  /** How long a problem stays quiet after an alert. */
  readonly windowMillis: number
  /** How long an unconfirmed claim quiets the problem: longer than a publish with its retries, shorter than SQS's redelivery. */
  readonly claimMillis: number
}

/** The deployed figures: a 15-minute window, and a claim that lapses long before the DLQ's 6-minute visibility timeout. */
export const defaultAlertWindowOptions: AlertWindowOptions = { windowMillis: 15 * 60_000, claimMillis: 60_000 }

/** A problem's window as stored (the DynamoDB item has the same fields). */
export interface WindowState {
  readonly windowStartedAt: number
  readonly windowEndsAt: number
  /** The alert that opened the window was published. */
  readonly confirmed: boolean
  readonly claimEndsAt: number
  readonly quietAlerts: number
  readonly quietRecords: number
}

/**
 * Whether a problem's window keeps its alerts quiet at `now`: within the window, and its alert
 * published or still being published.
 *
 * @example
 * ```ts
 * isQuiet({ windowStartedAt: 0, windowEndsAt: 900_000, confirmed: false, claimEndsAt: 60_000, quietAlerts: 0, quietRecords: 0 }, 61_000) // false
 * ```
 */
export const isQuiet = (state: WindowState, now: number): boolean =>
  state.windowEndsAt > now && (state.confirmed || state.claimEndsAt > now)

/**
 * The counts a new window's alert reports: those of the window it replaces, if any were quieted.
 *
 * @example
 * ```ts
 * quietedOf({ quietAlerts: 2, quietRecords: 20 }) // { alerts: 2, records: 20 }
 * ```
 */
export const quietedOf = (previous: Pick<WindowState, "quietAlerts" | "quietRecords"> | undefined): Quieted | undefined =>
  previous === undefined || previous.quietAlerts === 0 ? undefined : { alerts: previous.quietAlerts, records: previous.quietRecords }

export class AlertWindow extends Context.Service<
  AlertWindow,
  {
    /** Claims the problem's window and says to alert, or counts the alert as quieted. */
    readonly admit: (problem: Problem, records: number) => Effect.Effect<Admission, Classified>
    /** The claimed alert was published: its window now holds until its end. */
    readonly confirm: (problem: Problem, admission: Admission & { readonly _tag: "Alert" }) => Effect.Effect<void, Classified>
    /** The claimed alert was not published: the claim ends now, and the counts it was to report are kept for the next. */
    readonly release: (problem: Problem, admission: Admission & { readonly _tag: "Alert" }) => Effect.Effect<void, Classified>
  }
>()("@cdc/pipeline/dlq/AlertWindow") {
  /** The rules of this module in memory, on Effect's `Clock`; `store.windows` holds the state for assertions. */
  static readonly layerMemory = (
    store: MemoryAlertWindowStore = makeMemoryAlertWindowStore(),
    options: AlertWindowOptions = defaultAlertWindowOptions
  ) =>
    Layer.succeed(
      AlertWindow,
      AlertWindow.of({
        admit: (problem, records) =>
          Effect.flatMap(Clock.currentTimeMillis, (now) => {
            const key = problemKey(problem)
            const state = store.windows.get(key)
            if (state !== undefined && isQuiet(state, now)) {
              store.windows.set(key, { ...state, quietAlerts: state.quietAlerts + 1, quietRecords: state.quietRecords + records })
              return Effect.succeed<Admission>({ _tag: "Quiet", windowEndsAt: state.windowEndsAt })
            }
            const next = openedAt(now, options)
            store.windows.set(key, next)
            return Effect.succeed<Admission>({
              _tag: "Alert",
              windowStartedAt: now,
              windowEndsAt: next.windowEndsAt,
              quieted: quietedOf(state)
            })
          }),
        confirm: (problem, admission) =>
          Effect.sync(() => {
            const key = problemKey(problem)
            const state = store.windows.get(key)
            if (state?.windowStartedAt === admission.windowStartedAt) store.windows.set(key, { ...state, confirmed: true })
          }),
        release: (problem, admission) =>
          Effect.flatMap(Clock.currentTimeMillis, (now) =>
            Effect.sync(() => {
              const key = problemKey(problem)
              const state = store.windows.get(key)
              if (state?.windowStartedAt !== admission.windowStartedAt || state.confirmed) return
              store.windows.set(key, {
                ...state,
                claimEndsAt: now,
                quietAlerts: state.quietAlerts + (admission.quieted?.alerts ?? 0),
                quietRecords: state.quietRecords + (admission.quieted?.records ?? 0)
              })
            })
          )
      })
    )

  /** No window: every alert is sent (`CDC_ALERT_WINDOW_MINUTES=0`). */
  static readonly layerOff = Layer.succeed(
    AlertWindow,
    AlertWindow.of({
      admit: () =>
        Effect.map(
          Clock.currentTimeMillis,
          (now): Admission => ({ _tag: "Alert", windowStartedAt: now, windowEndsAt: now, quieted: undefined })
        ),
      confirm: () => Effect.void,
      release: () => Effect.void
    })
  )
}

/**
 * The state of a window opened at `now`: claimed, not yet confirmed, nothing quieted.
 *
 * @example
 * ```ts
 * openedAt(0, defaultAlertWindowOptions).claimEndsAt // 60000
 * ```
 */
export const openedAt = (now: number, options: AlertWindowOptions): WindowState => ({
  windowStartedAt: now,
  windowEndsAt: now + options.windowMillis,
  confirmed: false,
  claimEndsAt: now + Math.min(options.claimMillis, options.windowMillis),
  quietAlerts: 0,
  quietRecords: 0
})

/** One key per problem (a table name is whatever the record said: the key is its JSON, not a joined string that two problems could share). */
export const problemKey = (problem: Problem): string => JSON.stringify([problem.table, problem.category, problem.code])

export interface MemoryAlertWindowStore {
  readonly windows: Map<string, WindowState>
}

export const makeMemoryAlertWindowStore = (): MemoryAlertWindowStore => ({ windows: new Map() })
