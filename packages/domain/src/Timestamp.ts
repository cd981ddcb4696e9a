/**
 * Source timestamps to ISO-8601 UTC (`ISO_DATE`). Accepted: DMS's `YYYY-MM-DD HH:MM:SS[.ffffff]`
 * (UTC), ISO-8601 with `T` and an optional zone, and epoch millis (number or digit string).
 * Sub-millisecond digits are truncated: ISO_DATE has millisecond precision.
 *
 * @example
 * ```ts
 * toIsoTimestamp("2024-01-15 10:30:00.123456") // "2024-01-15T10:30:00.123Z"
 * toIsoTimestamp(1705314600123)                // "2024-01-15T10:30:00.123Z"
 * ```
 */

const pattern = /^(\d{4})-(\d{2})-(\d{2})[ T](\d{2}):(\d{2}):(\d{2})(?:\.(\d{1,9}))?(Z|[+-]\d{2}:?\d{2})?$/
const maxMillis = 8.64e15

/** Epoch millis of a source timestamp; `undefined` when it is not one. */
export const toEpochMillis = (value: unknown): number | undefined => {
  if (typeof value === "number") {
    return Number.isInteger(value) && Math.abs(value) <= maxMillis ? value : undefined
  }
  if (typeof value !== "string") return undefined
  const match = pattern.exec(value)
  if (match === null) {
    return /^\d{1,16}$/.test(value) ? toEpochMillis(Number(value)) : undefined
  }
  const [, y, mo, d, h, mi, s, fraction = "", zone] = match
  const year = Number(y)
  const month = Number(mo)
  const day = Number(d)
  const millis = Date.UTC(year, month - 1, day, Number(h), Number(mi), Number(s), Number(fraction.padEnd(3, "0").slice(0, 3)))
  // Date.UTC rolls over (Feb 30 → Mar 2): refuse what does not round-trip.
  const check = new Date(millis)
  if (check.getUTCFullYear() !== year || check.getUTCMonth() !== month - 1 || check.getUTCDate() !== day) {
    return undefined
  }
  if (Number(h) > 23 || Number(mi) > 59 || Number(s) > 59) return undefined
  if (zone === undefined || zone === "Z") return millis
  const sign = zone.startsWith("-") ? -1 : 1
  const offset = Number(zone.slice(1, 3)) * 60 + Number(zone.slice(-2))
  return millis - sign * offset * 60_000
}

/** ISO-8601 UTC text of a source timestamp; `undefined` when it is not one. */
export const toIsoTimestamp = (value: unknown): string | undefined => {
  const millis = toEpochMillis(value)
  return millis === undefined ? undefined : new Date(millis).toISOString()
}
