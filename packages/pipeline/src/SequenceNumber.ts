/**
 * Kinesis sequence numbers are decimal integers of up to 129 digits (the API's pattern is
 * `0|([1-9]\d{0,128})`; today they are 56 digits long). Compared as strings, "9" > "10", which is
 * the reference design's checkpoint bug; a DynamoDB Number holds only 38 digits.
 *
 * So they are compared as integers here (`BigInt`), and stored for DynamoDB's conditional update
 * as a fixed-width, zero-padded string: for decimal strings of equal length, DynamoDB's string
 * order (UTF-8 bytes) is the numeric order, so `ConditionExpression: seqKey < :seqKey` compares
 * integers.
 *
 * @example
 * ```ts
 * compareSequenceNumbers("9", "10") // -1
 * sequenceKey("10") < sequenceKey("9") // false
 * ```
 */

/** Width of {@link sequenceKey}: the longest sequence number the Kinesis API allows. */
export const sequenceKeyWidth = 129

const digits = /^\d{1,129}$/

/** True when `value` is a sequence number this module can order. */
export const isSequenceNumber = (value: string): boolean => digits.test(value)

/** -1, 0 or 1 as `a` is below, equal to or above `b`, numerically. */
export const compareSequenceNumbers = (a: string, b: string): -1 | 0 | 1 => {
  const x = BigInt(a)
  const y = BigInt(b)
  return x < y ? -1 : x > y ? 1 : 0
}

/** The zero-padded, fixed-width form whose string order is the numeric order. */
export const sequenceKey = (sequenceNumber: string): string => sequenceNumber.padStart(sequenceKeyWidth, "0")
