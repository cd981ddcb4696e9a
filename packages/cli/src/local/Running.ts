/**
 * One local run's resources, as the parts of `cdc start` share them: options, topology, clients,
 * what was provisioned, the live statistics, the ledger of produced changes, the pollers'
 * positions, the captured function logs, and the run's background-task launcher.
 */
import type { AwsError } from "@cdc/aws/AwsError"
import type { Topology } from "@cdc/topology"
import type * as Effect from "effect/Effect"
import type * as Fiber from "effect/Fiber"
import type * as Scope from "effect/Scope"
import type { FunctionLogs } from "./FunctionLogs"
import type { Ledger } from "./Ledger"
import type { LiveStats } from "./LiveStats"
import type { Clients } from "./LocalAws"
import type { EmulatorExitedError } from "./LocalPipeline"
import type { LocalRunOptions } from "./LocalRunOptions"
import type { PositionStore } from "./PositionStore"
import type { Provisioned } from "./Provision"
import type { PutRecordsExhaustedError } from "./StreamWriter"

export interface Running {
  readonly options: LocalRunOptions
  readonly topology: Topology
  readonly clients: Clients
  readonly provisioned: Provisioned
  readonly stats: LiveStats
  readonly ledger: Ledger
  readonly positions: PositionStore
  readonly logs: FunctionLogs
  /** Settles when the emulator this run started exits (none when the run uses AWS_ENDPOINT_URL's). */
  readonly emulatorExited?: Promise<void>
  /** Forks a task into the run's scope; its failure ends the whole run (nothing fails silently). */
  readonly background: <A, R>(
    task: Effect.Effect<A, BackgroundError, R>
  ) => Effect.Effect<Fiber.Fiber<A | undefined, never>, never, R | Scope.Scope>
}

/** What a background task may fail with; it ends the run. */
export type BackgroundError = AwsError | PutRecordsExhaustedError | EmulatorExitedError
