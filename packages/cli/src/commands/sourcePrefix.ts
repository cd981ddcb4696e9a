/**
 * `CDC_SOURCE_PREFIX` as the commands that print events read it (`dry-run`, `schema`): the
 * `Source` prefix of the entries and of the catalog, default `cdc-pipeline`. A prefix that
 * `cdc start` and the deploy refuse is refused here too, as any invalid `CDC_*` variable is
 * (`cdc: invalid configuration: …`, exit 2), rather than printing entries and schemas that no
 * deployed pipeline could publish.
 *
 * @example
 * ```ts
 * const prefix = yield* sourcePrefix // "cdc-pipeline" unless CDC_SOURCE_PREFIX is set
 * ```
 */
import { defaultSourcePrefix, sourcePrefixProblem } from "@cdc/topology/Topology"
import * as Config from "effect/Config"
import { SourceError } from "effect/ConfigProvider"

export const sourcePrefix: Config.Config<string> = Config.String("CDC_SOURCE_PREFIX").pipe(
  Config.withDefault(defaultSourcePrefix),
  Config.flatMap((prefix) => {
    const problem = sourcePrefixProblem(prefix)
    return problem === undefined ? Config.succeed(prefix) : Config.fail(new SourceError({ message: `CDC_SOURCE_PREFIX: ${problem}` }))
  })
)
