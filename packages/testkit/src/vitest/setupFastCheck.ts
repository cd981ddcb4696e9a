/**
 * Runs in every test worker (both projects): gives fast-check one seed, so a run of the suite is
 * reproducible and CI is deterministic. `FC_SEED=<integer>` picks another seed; `FC_SEED=random`
 * lets fast-check draw one per property (it prints the seed of any failure, to pass back here).
 * Calls that pass their own `seed` keep it.
 *
 * @example
 * ```sh
 * FC_SEED=random npm test -- --project unit   # explore new inputs
 * FC_SEED=-487735499 npm test -- --project unit packages/domain
 * ```
 */
import fc from "fast-check"

/** The suite's seed when `FC_SEED` is unset. */
export const defaultSeed = 20_261_129

const requested = process.env.FC_SEED
if (requested !== "random") {
  const seed = requested === undefined || requested === "" ? defaultSeed : Number(requested)
  if (!Number.isInteger(seed)) throw new Error(`FC_SEED must be an integer or "random", got ${JSON.stringify(requested)}`)
  fc.configureGlobal({ ...fc.readConfigureGlobal(), seed })
}
