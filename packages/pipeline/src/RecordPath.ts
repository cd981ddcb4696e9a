/**
 * The domain's record path (decode → classify → transform → redact → encode) as a service, so
 * unit tests of the batch program can swap it and the handler configures it once per cold start.
 *
 * @example
 * ```ts
 * const path = yield* RecordPath
 * const outcome = path.fromKinesis(record, processedAtMillis) // Publish | Skip | Reject
 * ```
 */
import { type RecordPath as DomainRecordPath, makeRecordPath } from "@cdc/domain/RecordPath"
import {
  developmentKeysInUse,
  minimumRedactionKeyLength,
  type RedactionKeys,
  redactionKeysConfig,
  shortKeysInUse
} from "@cdc/domain/RedactionKeys"
import { defaultSourcePrefix, sourcePrefixProblem } from "@cdc/domain/SourcePrefix"
import * as Config from "effect/Config"
import { SourceError } from "effect/ConfigProvider"
import * as Context from "effect/Context"
import * as Effect from "effect/Effect"
import * as Layer from "effect/Layer"

export type { PublishedEntry, RecordOutcome } from "@cdc/domain/RecordPath"

export class RecordPath extends Context.Service<RecordPath, DomainRecordPath>()("@cdc/pipeline/RecordPath") {}

export interface RecordPathOptions {
  readonly keys: RedactionKeys
  readonly sourcePrefix: string
  readonly eventBusName: string
}

/**
 * `CDC_SOURCE_PREFIX` (default `cdc-pipeline`), refused (a `ConfigError` naming the variable) when
 * no deployed pipeline could publish under it (`@cdc/domain/SourcePrefix`): the functions, `cdc
 * dry-run` and `cdc schema` read it through this one `Config`.
 */
export const sourcePrefixConfig: Config.Config<string> = Config.String("CDC_SOURCE_PREFIX").pipe(
  Config.withDefault(defaultSourcePrefix),
  Config.flatMap((prefix) => {
    const problem = sourcePrefixProblem(prefix)
    return problem === undefined ? Config.succeed(prefix) : Config.fail(new SourceError({ message: `CDC_SOURCE_PREFIX: ${problem}` }))
  })
)

/** `CDC_EVENT_BUS_NAME` (required). */
export const eventBusNameConfig = Config.String("CDC_EVENT_BUS_NAME")

/**
 * Logs a warning naming the variables (never a key) whose redaction key is the public
 * development default, and one naming those whose key is too short to resist trying every key;
 * both functions run it when they read the keys at cold start (the deploy refuses both).
 *
 * @example
 * ```ts
 * yield* warnOnWeakKeys(yield* redactionKeysConfig)
 * ```
 */
export const warnOnWeakKeys = (keys: RedactionKeys): Effect.Effect<void> =>
  Effect.gen(function* () {
    const defaults = developmentKeysInUse(keys)
    if (defaults.length > 0) {
      yield* Effect.logWarning(
        `${defaults.join(" and ")} unset or empty: HASH / TOKENIZE use the public development key; set real keys before real data`
      )
    }
    const short = shortKeysInUse(keys)
    if (short.length > 0) {
      yield* Effect.logWarning(
        `${short.join(" and ")} shorter than ${minimumRedactionKeyLength} characters: a short key can be found by trying every key; set a long random one`
      )
    }
  })

/** The real record path with fixed options. */
export const layer = (options: RecordPathOptions): Layer.Layer<RecordPath> => Layer.succeed(RecordPath, makeRecordPath(options))

/**
 * The real record path configured from the environment (bus name, source prefix, redaction keys).
 * A key left to its public development default is logged as a warning (the variable's name only):
 * hashes and tokens made with it can be reversed by anyone who tries the likely values.
 */
export const layerConfig: Layer.Layer<RecordPath, Config.ConfigError> = Layer.effect(
  RecordPath,
  Effect.gen(function* () {
    const options = yield* Config.all({ keys: redactionKeysConfig, sourcePrefix: sourcePrefixConfig, eventBusName: eventBusNameConfig })
    yield* warnOnWeakKeys(options.keys)
    return makeRecordPath(options)
  })
)
