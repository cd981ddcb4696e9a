/**
 * What makes a redaction key unfit for real data, as plain values: the public development keys
 * and the shortest key that is not reported as weak. Plain TypeScript without `effect`, so that
 * the deploy (`sst.config.ts`, through `@cdc/topology`) refuses exactly what the functions warn
 * about (`./RedactionKeys`, which reads the keys through Effect `Config`).
 *
 * @example
 * ```ts
 * [developmentHashKey, developmentTokenizeKey].includes(key) // a public key: protects nothing
 * key.length < minimumRedactionKeyLength                      // short enough to try them all
 * ```
 */

/** Development default of `CDC_HASH_KEY`. NOT FOR PRODUCTION: it is public. */
export const developmentHashKey = "cdc-dev-hash-key-not-for-production"
/** Development default of `CDC_TOKENIZE_KEY`. NOT FOR PRODUCTION: it is public. */
export const developmentTokenizeKey = "cdc-dev-tokenize-key-not-for-production"

/**
 * The shortest redaction key that is not reported as weak: the deploy refuses shorter ones and the
 * functions warn about them. A short key can be found by trying every key against one known value
 * and its hash; `openssl rand -hex 32` gives 64 characters.
 */
export const minimumRedactionKeyLength = 32
