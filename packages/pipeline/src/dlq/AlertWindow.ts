/**
 * One alert per problem per window: after an alert for a (table, category, code) problem (a
 * schema drift's also by its columns, see `windowKey`), that
 * problem's further alerts are not sent for the window (15 minutes by default), only counted; the
 * next alert after the window says how many were not sent (`quieted`). A flood of poison records
 * (a migration writing a bad value into every row of a table) is one page, not one per DLQ batch
 * of ten. Every failure is still archived, and `npx cdc dlq list` shows them all.
 *
 * Sending is claimed, then confirmed. {@link AlertWindow.admit} claims the window for a short
 * while (`claimMillis`) and {@link AlertWindow.confirm} makes it hold for the whole window once
 * the alert was published. An alert that was claimed but not published does not silence its
 * problem: when SNS refused it, {@link AlertWindow.release} ends the claim at once; when the
 * batch ran out of time or the worker died, the claim lapses by itself, before SQS redelivers the
 * message. Either way the problem's next alert is sent, and the counts the unpublished one was
 * to report are kept in the window until an alert that reports them is confirmed. A confirm or
 * release that fails costs a duplicate alert or a late one, never a lost one or lost counts.
 * Each alert claims under a token of its own, so a retried claim whose first write landed (the
 * answer lost) finds its own claim instead of counting itself as quieted, and a retried alert
 * that was counted as quieted finds its count instead of counting itself twice.
 *
 * The live implementation is conditional writes on the DynamoDB state table
 * (`@cdc/aws/DynamoAlertWindow`), shared by every worker invocation; {@link AlertWindow.layerMemory}
 * keeps the same rules in memory, on Effect's `Clock`, and {@link AlertWindow.layerOff} sends
 * every alert.
 *
 * @example
 * ```ts
 * const admission = yield* (yield* AlertWindow).admit(problem, alert.newlyArchived, claimId)
 * if (admission._tag === "Alert") yield* alerts.publish({ ...alert, quieted: admission.quieted })
 * ```
 */
import type { Classified } from "@cdc/domain/Classified"
import * as Clock from "effect/Clock"
import * as Context from "effect/Context"
import * as Effect from "effect/Effect"
import * as Layer from "effect/Layer"
import { type Problem, windowKey } from "./Problem"

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
      /** The claim's token, as the caller gave it: confirm and release name the claim by it. */
      readonly claimId: string
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
  readonly claimId: string
  readonly windowStartedAt: number
  readonly windowEndsAt: number
  /** The alert that opened the window was published. */
  readonly confirmed: boolean
  readonly claimEndsAt: number
  /** Alerts quieted in this window, and their newly archived records. */
  readonly quietAlerts: number
  readonly quietRecords: number
  /**
   * The counts the window's own alert reports, kept until it is confirmed: an alert claimed and
   * never published (refused, interrupted, its worker dead) leaves them to the next claim.
   */
  readonly reportingAlerts: number
  readonly reportingRecords: number
  /**
   * The token of the alert last counted as quieted (`""` before any): asked again, it is quiet
   * without being counted again. Kept when a window opens, so a retry that comes after the next
   * window was opened (which reports that count) is not counted in it either.
   */
  readonly lastQuietId: string
}

/**
 * Whether a problem's window keeps its alerts quiet at `now`: within the window, and its alert
 * published or still being published.
 *
 * @example
 * ```ts
 * isQuiet({ ...openedAt(0, "c-1", undefined, defaultAlertWindowOptions) }, 61_000) // false: claimed, never confirmed
 * ```
 */
export const isQuiet = (state: WindowState, now: number): boolean =>
  state.windowEndsAt > now && (state.confirmed || state.claimEndsAt > now)

/**
 * The counts an alert reports, if any alert was quieted.
 *
 * @example
 * ```ts
 * quietedOf(2, 20) // { alerts: 2, records: 20 }
 * ```
 */
export const quietedOf = (alerts: number, records: number): Quieted | undefined => (alerts === 0 ? undefined : { alerts, records })

/**
 * The state of a window claimed at `now` by `claimId`, over `previous`: nothing quieted yet, and
 * to report, what `previous` quieted, plus what it was to report itself if its alert never went
 * out (unconfirmed).
 *
 * @example
 * ```ts
 * openedAt(0, "c-1", undefined, defaultAlertWindowOptions).claimEndsAt // 60000
 * ```
 */
export const openedAt = (now: number, claimId: string, previous: WindowState | undefined, options: AlertWindowOptions): WindowState => {
  const carried = previous !== undefined && !previous.confirmed
  return {
    claimId,
    windowStartedAt: now,
    windowEndsAt: now + options.windowMillis,
    confirmed: false,
    claimEndsAt: now + Math.min(options.claimMillis, options.windowMillis),
    quietAlerts: 0,
    quietRecords: 0,
    reportingAlerts: (previous?.quietAlerts ?? 0) + (carried ? previous.reportingAlerts : 0),
    reportingRecords: (previous?.quietRecords ?? 0) + (carried ? previous.reportingRecords : 0),
    lastQuietId: previous?.lastQuietId ?? ""
  }
}

/** The admission of the claim `state` holds. */
export const claimed = (state: WindowState): Admission => ({
  _tag: "Alert",
  claimId: state.claimId,
  windowStartedAt: state.windowStartedAt,
  windowEndsAt: state.windowEndsAt,
  quieted: quietedOf(state.reportingAlerts, state.reportingRecords)
})

/**
 * The decision for an alert at `now`, and the state after it. A claim asked again with its own
 * token (a retried call whose first write landed) is the same claim, not a quieted alert; a
 * quieted alert asked again is quiet, and not counted again.
 *
 * @example
 * ```ts
 * admitted(undefined, 0, 3, "c-1", defaultAlertWindowOptions).admission._tag // "Alert"
 * ```
 */
export const admitted = (
  state: WindowState | undefined,
  now: number,
  records: number,
  claimId: string,
  options: AlertWindowOptions
): { readonly admission: Admission; readonly next: WindowState } => {
  if (state !== undefined && isQuiet(state, now)) {
    if (state.claimId === claimId && !state.confirmed) return { admission: claimed(state), next: state }
    const quiet = { _tag: "Quiet", windowEndsAt: state.windowEndsAt } as const
    if (state.lastQuietId === claimId) return { admission: quiet, next: state }
    const next = { ...state, quietAlerts: state.quietAlerts + 1, quietRecords: state.quietRecords + records, lastQuietId: claimId }
    return { admission: quiet, next }
  }
  const next = openedAt(now, claimId, state, options)
  return { admission: claimed(next), next }
}

export class AlertWindow extends Context.Service<
  AlertWindow,
  {
    /**
     * Claims the problem's window under `claimId` (one token per alert, the same on a retry) and
     * says to alert, or counts the alert as quieted.
     */
    readonly admit: (problem: Problem, records: number, claimId: string) => Effect.Effect<Admission, Classified>
    /** The claimed alert was published: its window now holds until its end, and its counts are reported. */
    readonly confirm: (problem: Problem, admission: Admission & { readonly _tag: "Alert" }) => Effect.Effect<void, Classified>
    /** The claimed alert was not published: the claim ends now (its counts stay, for the next claim to report). */
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
        admit: (problem, records, claimId) =>
          Effect.map(Clock.currentTimeMillis, (now) => {
            const key = windowKey(problem)
            const { admission, next } = admitted(store.windows.get(key), now, records, claimId, options)
            store.windows.set(key, next)
            return admission
          }),
        confirm: (problem, admission) =>
          Effect.sync(() => {
            const key = windowKey(problem)
            const state = store.windows.get(key)
            if (state?.claimId === admission.claimId)
              store.windows.set(key, { ...state, confirmed: true, reportingAlerts: 0, reportingRecords: 0 })
          }),
        release: (problem, admission) =>
          Effect.flatMap(Clock.currentTimeMillis, (now) =>
            Effect.sync(() => {
              const key = windowKey(problem)
              const state = store.windows.get(key)
              if (state?.claimId === admission.claimId && !state.confirmed) store.windows.set(key, { ...state, claimEndsAt: now })
            })
          )
      })
    )

  /** No window: every alert is sent (`CDC_ALERT_WINDOW_MINUTES=0`). */
  static readonly layerOff = Layer.succeed(
    AlertWindow,
    AlertWindow.of({
      admit: (_problem, _records, claimId) =>
        Effect.map(
          Clock.currentTimeMillis,
          (now): Admission => ({ _tag: "Alert", claimId, windowStartedAt: now, windowEndsAt: now, quieted: undefined })
        ),
      confirm: () => Effect.void,
      release: () => Effect.void
    })
  )
}

export interface MemoryAlertWindowStore {
  readonly windows: Map<string, WindowState>
}

export const makeMemoryAlertWindowStore = (): MemoryAlertWindowStore => ({ windows: new Map() })
