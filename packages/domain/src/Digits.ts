/**
 * Numbers printed by table lookup on the record path: timestamps' fields and decimals' cents,
 * where `String(n).padStart(2, "0")` per field cost more than the rest of the printing.
 *
 * @example
 * ```ts
 * import { twoDigitText } from "@cdc/domain/Digits"
 * twoDigitText[7] // "07"
 * ```
 */

/** The two-digit text of 0–99 (`"00"` … `"99"`), by index. */
export const twoDigitText: ReadonlyArray<string> = Array.from({ length: 100 }, (_, n) => String(n).padStart(2, "0"))
