/**
 * What may be logged of an unexpected failure: the kinds of what went wrong (error tags, codes,
 * defect class names), never messages or stacks. A defect's message can quote data (a thrown
 * `TypeError` may name a value, an SDK error may echo a request), and every log line is public.
 *
 * @example
 * ```ts
 * Effect.catchCause((cause) => Effect.logError("batch failed unexpectedly", safeCause(cause)))
 * // { failures: ["AwsError:ThrottlingException"], defects: ["TypeError"], interrupted: false }
 * ```
 */
import * as Cause from "effect/Cause"

export interface SafeCause {
  readonly failures: ReadonlyArray<string>
  readonly defects: ReadonlyArray<string>
  readonly interrupted: boolean
}

const nameOf = (value: unknown): string => {
  if (typeof value !== "object" || value === null) return typeof value
  const record = value as { _tag?: unknown; code?: unknown; name?: unknown; constructor?: { name?: unknown } }
  const kind = typeof record._tag === "string" ? record._tag : typeof record.name === "string" ? record.name : "object"
  return typeof record.code === "string" && /^[A-Za-z0-9_.-]{1,64}$/.test(record.code) ? `${kind}:${record.code}` : kind
}

/** The loggable summary of a cause. */
export const safeCause = <E>(cause: Cause.Cause<E>): SafeCause => ({
  failures: cause.reasons.filter(Cause.isFailReason).map((reason) => nameOf(reason.error)),
  defects: cause.reasons.filter(Cause.isDieReason).map((reason) => nameOf(reason.defect)),
  interrupted: cause.reasons.some((reason) => !Cause.isFailReason(reason) && !Cause.isDieReason(reason))
})
