/**
 * Progress of a long run on stderr: a bar redrawn in place on a terminal, a plain line every
 * few seconds otherwise (CI logs), never on stdout (which carries data, e.g. `--json`).
 *
 * @example
 * ```ts
 * const progress = yield* scopedProgress({ write: (t) => process.stderr.write(t), isTTY: process.stderr.isTTY === true, label: "cdc", counted: "produced" })
 * progress.update(2815, undefined, "published 2,253 · dlq 29") // "cdc produced 2,815 · published 2,253 · dlq 29"
 * ```
 */
import type * as Clock from "effect/Clock"
import * as Effect from "effect/Effect"

export interface ProgressOptions {
  readonly write: (text: string) => void
  readonly isTTY: boolean
  readonly label: string
  /** Minimum time between plain (non-TTY) lines; default 5 s. */
  readonly plainEveryMillis?: number
  /**
   * What the count counts, named before it (`produced`: `cdc produced 2,815 · …`); without it the
   * count stands alone (`replay … 500/40,000`).
   */
  readonly counted?: string
}

export interface Progress {
  /** `total` undefined: an open-ended run (no bar, a counter). */
  readonly update: (done: number, total: number | undefined, detail?: string) => void
  readonly done: () => void
}

const width = 28

/**
 * A count as every progress line shows it, with thousands separators; for the counts of a
 * line's detail too, so that the line reads the same throughout.
 *
 * @example
 * ```ts
 * formatCount(2815) // "2,815"
 * ```
 */
export const formatCount = (count: number): string => count.toLocaleString("en-US")

/**
 * Renders one progress line (without newline): the label, a bar when the total is known, the
 * count (named by `counted`, if given), then the detail after a `·`.
 *
 * @example
 * ```ts
 * renderProgress("replay", 50, 100, "") // "replay [██████████████              ]  50% 50/100"
 * renderProgress("cdc", 2815, undefined, "published 2,253", "produced") // "cdc produced 2,815 · published 2,253"
 * ```
 */
export const renderProgress = (label: string, done: number, total: number | undefined, detail: string, counted?: string): string => {
  const named = counted ? `${counted} ` : ""
  const suffix = detail ? ` · ${detail}` : ""
  if (total === undefined || total <= 0) return `${label} ${named}${formatCount(done)}${suffix}`
  const ratio = Math.min(1, done / total)
  const filled = Math.round(ratio * width)
  const percent = String(Math.floor(ratio * 100)).padStart(3)
  return `${label} [${"█".repeat(filled)}${" ".repeat(width - filled)}] ${percent}% ${named}${formatCount(done)}/${formatCount(total)}${suffix}`
}

/**
 * A progress display reading the time from `now` (a plain log's pace), for code outside an Effect;
 * {@link scopedProgress} gives it Effect's `Clock`.
 *
 * @example
 * ```ts
 * const progress = makeProgress({ write: (t) => lines.push(t), isTTY: false, label: "cdc", now: () => clock.currentTimeMillisUnsafe() })
 * ```
 */
export const makeProgress = (options: ProgressOptions & { readonly now: () => number }): Progress => {
  let lastPlain = Number.NEGATIVE_INFINITY // the first line is printed at once
  let drawn = false
  // the newest line a plain (non-TTY) log skipped: `done` prints it, so a log ends on the final count
  let pending: string | undefined
  // the last line a plain log printed: the same again says nothing new (`dlq list` finding nothing)
  let printed: string | undefined
  return {
    update: (done, total, detail = "") => {
      const line = renderProgress(options.label, done, total, detail, options.counted)
      if (options.isTTY) {
        options.write(`\r\x1b[2K${line}`)
        drawn = true
        return
      }
      if (line === printed) {
        pending = undefined
        return
      }
      const now = options.now()
      if (now - lastPlain < (options.plainEveryMillis ?? 5_000)) {
        pending = line
        return
      }
      lastPlain = now
      pending = undefined
      printed = line
      options.write(`${line}\n`)
    },
    done: () => {
      if (drawn) options.write("\n")
      if (pending !== undefined) options.write(`${pending}\n`)
      drawn = false
      pending = undefined
    }
  }
}

/**
 * A progress display whose line is ended when its scope closes, however the work ends: a failure
 * or an interruption is then printed below the bar, not onto it.
 *
 * @example
 * ```ts
 * const written = yield* Effect.scoped(
 *   Effect.flatMap(scopedProgress({ write, isTTY, label: "replay" }), (progress) => putAll(…, (n) => progress.update(n, total)))
 * )
 * ```
 */
export const scopedProgress = (options: ProgressOptions) =>
  Effect.acquireRelease(
    Effect.clockWith((clock: Clock.Clock) => Effect.sync(() => makeProgress({ ...options, now: () => clock.currentTimeMillisUnsafe() }))),
    (progress) => Effect.sync(() => progress.done())
  )

/** A {@link scopedProgress} on this process's stderr: stdout carries data (`--json`). */
export const stderrProgress = (label: string) =>
  scopedProgress({ write: (text) => process.stderr.write(text), isTTY: process.stderr.isTTY === true, label })
