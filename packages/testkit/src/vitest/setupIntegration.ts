/**
 * Runs in every integration test worker before the tests: points the AWS SDK at the emulator
 * started by ./globalSetup.ts, with dummy credentials.
 */
import { inject } from "vitest"
import { emulatorEnv } from "../Emulator"

Object.assign(process.env, emulatorEnv(inject("awsEndpoint")))
