/**
 * Vitest global setup of the `integration` project: one emulator for the whole run, started
 * before the first test file and stopped after the last. Test files receive its endpoint through
 * `inject("awsEndpoint")` (see ./setupIntegration.ts), never through a hard-coded port.
 */
import type { TestProject } from "vitest/node"
import { startEmulator } from "../Emulator"

declare module "vitest" {
  export interface ProvidedContext {
    awsEndpoint: string
    /**
     * True when the run started the emulator itself (not one at `AWS_ENDPOINT_URL`): then it is
     * moto as `motoServer.py` runs it, whose DynamoDB conditional writes are atomic.
     */
    awsEmulatorOwned: boolean
  }
}

export default async function setup(project: TestProject): Promise<() => Promise<void>> {
  const emulator = await startEmulator()
  project.provide("awsEndpoint", emulator.endpoint)
  project.provide("awsEmulatorOwned", emulator.owned)
  return emulator.stop
}
