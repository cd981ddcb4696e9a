/**
 * The `Source` prefix of published events (`CDC_SOURCE_PREFIX`): an entry of table `users` has
 * `Source` `<prefix>.users`, which the bus's rules and archive match. One rule for every reader of
 * the variable (the processor, the DLQ worker, `cdc dry-run`, `cdc schema`, `cdc start` and the
 * deploy), so that none of them accepts a prefix under which a deployed pipeline could not
 * publish. Plain TypeScript without `effect`: `sst.config.ts` loads it through `@cdc/topology`.
 *
 * @example
 * ```ts
 * sourcePrefixProblem("cdc-pipeline") // undefined
 * sourcePrefixProblem("aws.cdc")      // 'source prefix "aws.cdc" is reserved: …'
 * ```
 */

/** The prefix when `CDC_SOURCE_PREFIX` is unset. */
export const defaultSourcePrefix = "cdc-pipeline"

/**
 * The longest prefix: EventBridge takes a `Source` of up to 256 characters, and the longest table
 * name (`configurations`) and its dot leave 241 (a test checks the sum against the tables).
 */
export const maxSourcePrefixLength = 241

/**
 * Why `prefix` cannot be the `Source` prefix of published events, or `undefined` when it can. The
 * rules match `<prefix>.<table>`, so a prefix is a plain dotted name; `aws` and `aws.…` are AWS's
 * own sources, which `PutEvents` refuses from an account.
 *
 * @example
 * ```ts
 * sourcePrefixProblem("Bad Prefix") // 'source prefix "Bad Prefix" must be letters, digits, ".", "_" or "-"'
 * ```
 */
export const sourcePrefixProblem = (prefix: string): string | undefined => {
  if (prefix.length > maxSourcePrefixLength) {
    return `source prefix of ${prefix.length} characters is longer than the ${maxSourcePrefixLength} an event's Source leaves it`
  }
  if (!/^[A-Za-z0-9][A-Za-z0-9._-]*$/.test(prefix)) return `source prefix "${prefix}" must be letters, digits, ".", "_" or "-"`
  if (/^aws(?:\.|$)/i.test(prefix)) return `source prefix "${prefix}" is reserved: sources starting with "aws." are AWS's own`
  return undefined
}
