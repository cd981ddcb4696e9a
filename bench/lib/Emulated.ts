/**
 * The emulator with the project's topology on it, for the benchmark sections and the chaos run:
 * `startEmulator()` from `@cdc/testkit/Emulator` (or `AWS_ENDPOINT_URL` when set), then the same
 * provisioning `cdc start` does (`@cdc/cli`'s `Provision`, from `@cdc/topology`), and the
 * functions' environment exported to this process, since handlers read their configuration once.
 *
 * @example
 * ```ts
 * const env = await startEmulated({ stage: "bench", log })
 * env.provisioned.stream.arn
 * await env.stop()
 * ```
 */
import { type Clients, makeClients } from "@cdc/cli/local/LocalAws"
import { type Provisioned, provision } from "@cdc/cli/local/Provision"
import { emulatorEnv, startEmulator } from "@cdc/testkit/Emulator"
import { makeTopology, type Topology } from "@cdc/topology"
import * as Effect from "effect/Effect"
import { exempt } from "./SdkBoundary"

export interface Emulated {
  readonly endpoint: string
  readonly topology: Topology
  readonly provisioned: Provisioned
  /** The harness's own clients (exempt from fault injection). */
  readonly clients: Clients
  readonly stop: () => Promise<void>
}

/** Starts (or reuses) the emulator and provisions the topology of `stage` on it. */
export const startEmulated = async (options: { readonly stage: string; readonly log: (line: string) => void }): Promise<Emulated> => {
  const emulator = await startEmulator({ log: (line) => options.log(`[emulator] ${line}`) })
  Object.assign(process.env, emulatorEnv(emulator.endpoint))
  const region = process.env.AWS_REGION ?? "us-east-1"
  const topology = makeTopology({ stage: options.stage })
  const clients = makeClients()
  for (const client of Object.values(clients)) exempt(client)
  const provisioned = await Effect.runPromise(provision(clients, topology, region))
  Object.assign(process.env, provisioned.environment(topology.functions.processor), provisioned.environment(topology.functions.dlqWorker))
  return { endpoint: emulator.endpoint, topology, provisioned, clients, stop: emulator.stop }
}
