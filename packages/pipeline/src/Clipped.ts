/**
 * Text a record decides (an unknown table's name, undeclared column names, a message quoting
 * them), bounded where it is copied into a message with a size limit: SQS and SNS refuse, for
 * good, a message over their limit, so unbounded text would make the message undeliverable.
 *
 * @example
 * ```ts
 * clipped("x".repeat(300), 256) // "xxx…x… (44 more characters)"
 * clipped("users", 256) // "users"
 * ```
 */
export const clipped = (text: string, max: number): string =>
  text.length <= max ? text : `${text.slice(0, max)}… (${text.length - max} more characters)`

/** Names a record decides (a table, a column, a partition key): longer than any real one. */
export const maxNameLength = 256

/** An operator-facing message quoting such names. */
export const maxMessageLength = 2_000
