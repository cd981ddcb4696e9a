/**
 * Digits on the record path, read and printed by character code: timestamps' fields and
 * decimals' cents printed by table lookup, where `String(n).padStart(2, "0")` per field cost
 * more than the rest of the printing; digits recognised without a regular expression.
 *
 * @example
 * ```ts
 * import { isDigitCode, twoDigitText } from "@cdc/domain/Digits"
 * twoDigitText[7] // "07"
 * isDigitCode("7".charCodeAt(0)) // true
 * ```
 */

/** The two-digit text of 0–99 (`"00"` … `"99"`), by index. */
export const twoDigitText: ReadonlyArray<string> = Array.from({ length: 100 }, (_, n) => String(n).padStart(2, "0"))

/** Whether a UTF-16 code unit (`text.charCodeAt(i)`) is an ASCII digit, `0`–`9`. */
export const isDigitCode = (code: number): boolean => code >= 48 && code <= 57
