/**
 * The options of a local pipeline run (`cdc start`) and their defaults, apart from the pipeline
 * itself: the command reads them for its flags and help without loading the emulator harness,
 * the simulator and the AWS clients.
 *
 * @example
 * ```ts
 * const options: LocalRunOptions = { ...defaultLocalRunOptions, headless: true, changes: 100 }
 * ```
 */
import { defaultStateDir } from "./LocalEndpoint"

export interface LocalRunOptions {
  /** Topology stage of the local resources; default `local`. */
  readonly stage: string
  /** Wallboard port; 0 picks a free one. */
  readonly port: number
  readonly headless: boolean
  /** Stop producing after this many changes; unbounded when undefined. */
  readonly changes: number | undefined
  /** Changes per second; 0 writes as fast as the stream accepts. */
  readonly rate: number
  readonly seed: number
  readonly exitWhenDrained: boolean
  /** Give up draining after this long without progress. */
  readonly drainTimeoutSeconds: number
  /** Positions and function logs live here; default `.cdc`. */
  readonly stateDir: string
}

export const defaultLocalRunOptions: LocalRunOptions = {
  stage: "local",
  port: 8787,
  headless: false,
  changes: undefined,
  rate: 20,
  seed: 42,
  exitWhenDrained: false,
  drainTimeoutSeconds: 60,
  stateDir: defaultStateDir
}
