/**
 * The secret keys of the keyed protection actions: `HASH` (HMAC-SHA256) and `TOKENIZE` (a
 * separate HMAC key, so a token cannot be matched against a hash). Read once at the edge from
 * `CDC_HASH_KEY` / `CDC_TOKENIZE_KEY` as `Redacted` values (a linked secret in the cloud).
 *
 * When unset (or empty), documented DEVELOPMENT defaults are used so `npx cdc dry-run` and local
 * runs work out of the box. They are public (they are in this file): never rely on them in
 * production, where the stack sets real secrets (and the functions log a warning at start-up
 * when they run on a default, see {@link developmentKeysInUse}).
 *
 * @example
 * ```ts
 * const keys = yield* redactionKeysConfig
 * const path = makeRecordPath({ keys, sourcePrefix, eventBusName })
 * ```
 */
import * as Config from "effect/Config"
import { SourceError } from "effect/ConfigProvider"
import * as Redacted from "effect/Redacted"
import { developmentHashKey, developmentTokenizeKey, minimumRedactionKeyLength } from "./RedactionKeyRules"

export interface RedactionKeys {
  readonly hashKey: Redacted.Redacted<string>
  readonly tokenizeKey: Redacted.Redacted<string>
}

export { developmentHashKey, developmentTokenizeKey, minimumRedactionKeyLength } from "./RedactionKeyRules"

/**
 * Builds keys from plain strings (tests, tools).
 *
 * @example
 * ```ts
 * const keys = makeRedactionKeys("hash-secret", "token-secret")
 * ```
 */
export const makeRedactionKeys = (hashKey: string, tokenizeKey: string): RedactionKeys => ({
  hashKey: Redacted.make(hashKey),
  tokenizeKey: Redacted.make(tokenizeKey)
})

/** The development keys (see the module doc: not for production). */
export const developmentRedactionKeys: RedactionKeys = makeRedactionKeys(developmentHashKey, developmentTokenizeKey)

type KeyVariable = "CDC_HASH_KEY" | "CDC_TOKENIZE_KEY"

/** The variables whose key passes `test`, given with its variable's development default. */
const variablesWhere = (keys: RedactionKeys, test: (key: string, development: string) => boolean): ReadonlyArray<KeyVariable> => [
  ...(test(Redacted.value(keys.hashKey), developmentHashKey) ? (["CDC_HASH_KEY"] as const) : []),
  ...(test(Redacted.value(keys.tokenizeKey), developmentTokenizeKey) ? (["CDC_TOKENIZE_KEY"] as const) : [])
]

/**
 * The variables whose key is the public development default: unset, or set but empty or blank
 * (Effect's configuration reads an empty variable as unset), e.g. a secret that came out blank.
 *
 * @example
 * ```ts
 * developmentKeysInUse(developmentRedactionKeys) // ["CDC_HASH_KEY", "CDC_TOKENIZE_KEY"]
 * developmentKeysInUse(makeRedactionKeys("h", "t")) // []
 * ```
 */
export const developmentKeysInUse = (keys: RedactionKeys): ReadonlyArray<KeyVariable> =>
  variablesWhere(keys, (key, development) => key === development)

/**
 * The variables whose key is set (not a development default) but shorter than
 * {@link minimumRedactionKeyLength}.
 *
 * @example
 * ```ts
 * shortKeysInUse(makeRedactionKeys("hunter2", "0123456789abcdef0123456789abcdef")) // ["CDC_HASH_KEY"]
 * ```
 */
export const shortKeysInUse = (keys: RedactionKeys): ReadonlyArray<KeyVariable> =>
  variablesWhere(keys, (key, development) => key !== development && key.length < minimumRedactionKeyLength)

/**
 * Why two keys may not be used together, or `undefined` when they may: the spec wants TOKENIZE's
 * key separate from HASH's. Under one key a token is the first 12 hex digits of the value's hash,
 * so a token could be matched against a hash and the two columns joined.
 *
 * @example
 * ```ts
 * sameKeysProblem(makeRedactionKeys("k", "k")) // "CDC_HASH_KEY and CDC_TOKENIZE_KEY hold the same key: …"
 * ```
 */
export const sameKeysProblem = (keys: RedactionKeys): string | undefined =>
  Redacted.value(keys.hashKey) === Redacted.value(keys.tokenizeKey)
    ? "CDC_HASH_KEY and CDC_TOKENIZE_KEY hold the same key: a token could then be matched against a hash; give TOKENIZE a key of its own"
    : undefined

/** One key; blank (a secret that came out as spaces or a newline) counts as unset, as empty does. */
const keyConfig = (name: string, development: string): Config.Config<Redacted.Redacted<string>> =>
  Config.Redacted(name).pipe(
    Config.map((key) => (Redacted.value(key).trim() === "" ? Redacted.make(development) : key)),
    Config.withDefault(Redacted.make(development))
  )

/**
 * `CDC_HASH_KEY` and `CDC_TOKENIZE_KEY`, falling back to the development defaults; refused (a
 * `ConfigError` naming the variables, never their values) when both hold the same key.
 */
export const redactionKeysConfig: Config.Config<RedactionKeys> = Config.all({
  hashKey: keyConfig("CDC_HASH_KEY", developmentHashKey),
  tokenizeKey: keyConfig("CDC_TOKENIZE_KEY", developmentTokenizeKey)
}).pipe(
  Config.flatMap((keys) => {
    const problem = sameKeysProblem(keys)
    return problem === undefined ? Config.succeed(keys) : Config.fail(new SourceError({ message: problem }))
  })
)
