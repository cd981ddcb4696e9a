/**
 * `CDC_SOURCE_PREFIX` as the commands that print events read it (`dry-run`, `schema`): the
 * `Source` prefix of the entries and of the catalog, default `cdc-pipeline`. A prefix that
 * `cdc start` and the deploy refuse is refused here too (exit 2), rather than printing entries and
 * schemas that no deployed pipeline could publish.
 *
 * @example
 * ```ts
 * const prefix = yield* sourcePrefix("schema") // "cdc-pipeline" unless CDC_SOURCE_PREFIX is set
 * ```
 */
import { defaultSourcePrefix, sourcePrefixProblem } from "@cdc/topology/Topology"
import { Config, Effect } from "effect"
import { usageError } from "./usage"

export const sourcePrefix = (command: string) =>
  Effect.gen(function* () {
    const prefix = yield* Config.String("CDC_SOURCE_PREFIX").pipe(Config.withDefault(defaultSourcePrefix))
    const problem = sourcePrefixProblem(prefix)
    if (problem !== undefined) return yield* usageError(command, `CDC_SOURCE_PREFIX: ${problem}`)
    return prefix
  })
