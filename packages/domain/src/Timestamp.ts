/**
 * Source timestamps to ISO-8601 UTC (`ISO_DATE`). Accepted: DMS's `YYYY-MM-DD HH:MM:SS[.ffffff]`
 * (UTC), ISO-8601 with `T` and an optional zone (`Z`, `±hh:mm`, `±hhmm`, `±hh`), seconds and
 * fraction optional, a date alone (midnight UTC), and epoch millis (number or digit string, a
 * fraction allowed). Sub-millisecond digits are cut: ISO_DATE has millisecond precision.
 *
 * @example
 * ```ts
 * toIsoTimestamp("2024-01-15 10:30:00.123456") // "2024-01-15T10:30:00.123Z"
 * toIsoTimestamp(1705314600123)                // "2024-01-15T10:30:00.123Z"
 * ```
 */

import { twoDigitText } from "./Digits"

/**
 * ISO-8601 / RFC 3339 in their extended forms: a date alone (a SQL `DATE`: midnight UTC), or a
 * date and a time of minutes or seconds, with a `.` or `,` fraction, and an offset `Z`, `±hh:mm`,
 * `±hhmm` or `±hh` (`T` and `Z` in either case, as RFC 3339 allows).
 */
const pattern = /^(\d{4})-(\d{2})-(\d{2})(?:[ Tt](\d{2}):(\d{2})(?::(\d{2})(?:[.,](\d{1,9}))?)?([Zz]|[+-]\d{2}(?::?\d{2})?)?)?$/

/**
 * 0000-01-01T00:00:00.000Z and 10000-01-01: the instants ISO_DATE can write with four year
 * digits and no sign, as the published schema's pattern requires. A Date reaches further
 * (`+010000-…`), but such a text would break every consumer validating against the catalog.
 */
export const timestampRange = { from: -62_167_219_200_000, to: 253_402_300_800_000 } as const

const inRange = (millis: number): number | undefined => (millis >= timestampRange.from && millis < timestampRange.to ? millis : undefined)

/** 400 years, in which the Gregorian calendar repeats exactly. */
const gregorianCycle = { years: 400, millis: 12_622_780_800_000 }

/** Epoch millis as text: digits, an optional sign and fraction (no exponent, no blank). */
const epochText = /^(-?\d{1,16})(?:\.(\d+))?$/

/** Epoch millis of a source timestamp; `undefined` when it is not one, or not within {@link timestampRange}. */
export const toEpochMillis = (value: unknown): number | undefined => {
  // a fraction is below ISO_DATE's precision: floored, as a DMS text's microseconds are cut
  // (floored, not rounded toward zero, so a time before 1970 stays the instant it names)
  if (typeof value === "number") return Number.isFinite(value) ? inRange(Math.floor(value)) : undefined
  if (typeof value !== "string") return undefined
  const match = pattern.exec(value)
  if (match === null) {
    const epoch = epochText.exec(value)
    if (epoch === null) return undefined
    // the fraction cut from the text, not from a double: "…123.99999999" would round up to …124
    const [, whole = "", fraction = ""] = epoch
    return toEpochMillis(Number(whole) - (whole.startsWith("-") && /[1-9]/.test(fraction) ? 1 : 0))
  }
  const [, y, mo, d, h = "00", mi = "00", s = "00", fraction = "", zone] = match
  const year = Number(y)
  const month = Number(mo)
  const day = Number(d)
  // Date.UTC reads years 0–99 as 1900–1999: those are computed 400 years (a whole Gregorian cycle) on
  const shift = year < 100 ? gregorianCycle : { years: 0, millis: 0 }
  const millis =
    Date.UTC(year + shift.years, month - 1, day, Number(h), Number(mi), Number(s), Number(fraction.padEnd(3, "0").slice(0, 3))) -
    shift.millis
  // Date.UTC rolls over (Feb 30 → Mar 2): refuse what does not round-trip.
  const check = new Date(millis)
  if (check.getUTCFullYear() !== year || check.getUTCMonth() !== month - 1 || check.getUTCDate() !== day) {
    return undefined
  }
  if (Number(h) > 23 || Number(mi) > 59 || Number(s) > 59) return undefined
  if (zone === undefined || zone === "Z" || zone === "z") return inRange(millis)
  const sign = zone.startsWith("-") ? -1 : 1
  const offsetHours = Number(zone.slice(1, 3))
  const offsetMinutes = zone.length > 3 ? Number(zone.slice(-2)) : 0
  // ISO 8601 / RFC 3339 offsets: hours 00–23, minutes 00–59 (+99:99 is no zone, not a shift)
  if (offsetHours > 23 || offsetMinutes > 59) return undefined
  const offset = offsetHours * 60 + offsetMinutes
  // an offset can carry 0000-01-01 or 9999-12-31 out of the range
  return inRange(millis - sign * offset * 60_000)
}

const daysIn = [31, 29, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31]
const digitAt = (text: string, index: number) => {
  const c = text.charCodeAt(index) - 48
  return c >= 0 && c <= 9 ? c : -1
}
const twoDigits = (text: string, index: number) => {
  const a = digitAt(text, index)
  const b = digitAt(text, index + 1)
  return a < 0 || b < 0 ? -1 : a * 10 + b
}

/**
 * The UTC forms DMS and ISO writers emit most (`YYYY-MM-DD[ T]HH:MM:SS[.f…][Z]`), rewritten by
 * slicing, without building a Date (measured: the Date round-trip was the costliest step of the
 * record path). Anything else returns `undefined` and takes the general path.
 */
const fastUtcIso = (text: string): string | undefined => {
  const length = text.length
  if (length < 19 || length > 30) return undefined
  const sep = text.charCodeAt(10)
  if (text.charCodeAt(4) !== 45 || text.charCodeAt(7) !== 45 || (sep !== 32 && sep !== 84)) return undefined
  if (text.charCodeAt(13) !== 58 || text.charCodeAt(16) !== 58) return undefined
  const century = twoDigits(text, 0)
  const yearOfCentury = twoDigits(text, 2)
  // checked apart: -1 for a non-digit pair would otherwise pass as arithmetic (20·100 − 1 = 1999)
  if (century < 10 || yearOfCentury < 0) return undefined
  const year = century * 100 + yearOfCentury
  const month = twoDigits(text, 5)
  const day = twoDigits(text, 8)
  const hour = twoDigits(text, 11)
  const minute = twoDigits(text, 14)
  const second = twoDigits(text, 17)
  if (month < 1 || month > 12 || day < 1 || hour < 0 || hour > 23 || minute < 0 || minute > 59) {
    return undefined
  }
  if (second < 0 || second > 59 || day > (daysIn[month - 1] as number)) return undefined
  if (month === 2 && day === 29 && !(year % 4 === 0 && (year % 100 !== 0 || year % 400 === 0))) return undefined
  let end = length
  if (text.charCodeAt(length - 1) === 90) end--
  let millis = "000"
  if (end > 19) {
    // at most 9 fraction digits, as the general pattern allows, with or without the Z
    if (text.charCodeAt(19) !== 46 || end === 20 || end > 29) return undefined
    for (let i = 20; i < end; i++) if (digitAt(text, i) < 0) return undefined
    // already the published form (as ISO writers emit it): the text itself, nothing rebuilt
    if (length === 24 && end === 23 && sep === 84) return text
    if (end >= 23) return `${text.slice(0, 10)}T${text.slice(11, 23)}Z`
    millis = text.slice(20, end).padEnd(3, "0")
  }
  return `${text.slice(0, 10)}T${text.slice(11, 19)}.${millis}Z`
}

/** ISO-8601 UTC text of a source timestamp; `undefined` when it is not one. */
export const toIsoTimestamp = (value: unknown): string | undefined => {
  if (typeof value === "string") {
    const fast = fastUtcIso(value)
    if (fast !== undefined) return fast
  }
  const millis = toEpochMillis(value)
  return millis === undefined ? undefined : isoOfMillis(millis)
}

/** 1970-01-01 and 10000-01-01: the range where ISO_DATE has four year digits and no sign. */
const fastRange = { from: 0, to: 253_402_300_800_000 }
const dayMillis = 86_400_000

/**
 * `new Date(millis).toISOString()`, by integer arithmetic (civil date from day number, after
 * Howard Hinnant's `civil_from_days`) in the range 1970–9999, where a Date and its generic
 * formatter cost more than the rest of the value's coercion; other years take the Date.
 *
 * @example
 * ```ts
 * isoOfMillis(1705314600123) // "2024-01-15T10:30:00.123Z"
 * ```
 */
export const isoOfMillis = (millis: number): string => {
  if (millis < fastRange.from || millis >= fastRange.to || !Number.isInteger(millis)) return new Date(millis).toISOString()
  const days = Math.floor(millis / dayMillis)
  let rest = millis - days * dayMillis
  const z = days + 719_468
  const era = Math.floor(z / 146_097)
  const dayOfEra = z - era * 146_097
  const yearOfEra = Math.floor(
    (dayOfEra - Math.floor(dayOfEra / 1460) + Math.floor(dayOfEra / 36_524) - Math.floor(dayOfEra / 146_096)) / 365
  )
  const dayOfYear = dayOfEra - (365 * yearOfEra + Math.floor(yearOfEra / 4) - Math.floor(yearOfEra / 100))
  const monthIndex = Math.floor((5 * dayOfYear + 2) / 153) // March = 0
  const day = dayOfYear - Math.floor((153 * monthIndex + 2) / 5) + 1
  const month = monthIndex < 10 ? monthIndex + 3 : monthIndex - 9
  const year = yearOfEra + era * 400 + (month <= 2 ? 1 : 0)
  const hour = Math.floor(rest / 3_600_000)
  rest -= hour * 3_600_000
  const minute = Math.floor(rest / 60_000)
  rest -= minute * 60_000
  const second = Math.floor(rest / 1000)
  const ms = rest - second * 1000
  const t = twoDigitText
  return `${t[Math.floor(year / 100)]}${t[year % 100]}-${t[month]}-${t[day]}T${t[hour]}:${t[minute]}:${t[second]}.${Math.floor(ms / 100)}${t[ms % 100]}Z`
}

/**
 * Days from 1970-01-01 to a proleptic Gregorian date, by integer arithmetic (Howard Hinnant's
 * `days_from_civil`, the inverse of the computation in {@link isoOfMillis}); like `Date.UTC`, a
 * day past the month's end counts on into the next month.
 */
const daysFromCivil = (year: number, month: number, day: number): number => {
  const y = month <= 2 ? year - 1 : year
  const era = Math.floor(y / 400)
  const yearOfEra = y - era * 400
  const dayOfYear = Math.floor((153 * (month > 2 ? month - 3 : month + 9) + 2) / 5) + day - 1
  const dayOfEra = yearOfEra * 365 + Math.floor(yearOfEra / 4) - Math.floor(yearOfEra / 100) + dayOfYear
  return era * 146_097 + dayOfEra - 719_468
}

/**
 * Epoch millis of an ISO_DATE text as {@link toIsoTimestamp} writes it
 * (`YYYY-MM-DDTHH:MM:SS.mmmZ`), read by position instead of by `Date.parse`'s general grammar,
 * and computed without `Date.UTC` (a call into the runtime that cost as much as the reading).
 *
 * @example
 * ```ts
 * millisOfIso("2024-01-15T10:30:00.123Z") // 1705314600123
 * ```
 */
export const millisOfIso = (iso: string): number => {
  const year = twoDigits(iso, 0) * 100 + twoDigits(iso, 2)
  // years 0–99 (which Date.UTC would read as 1900–1999 anyway) and extended years take Date.parse
  if (iso.length !== 24 || year < 100) return Date.parse(iso)
  return (
    daysFromCivil(year, twoDigits(iso, 5), twoDigits(iso, 8)) * dayMillis +
    twoDigits(iso, 11) * 3_600_000 +
    twoDigits(iso, 14) * 60_000 +
    twoDigits(iso, 17) * 1000 +
    twoDigits(iso, 20) * 10 +
    digitAt(iso, 22)
  )
}
