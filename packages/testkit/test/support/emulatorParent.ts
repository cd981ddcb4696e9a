/**
 * A process that starts its own emulator, prints `{"pid", "port"}` on stdout, and waits to be
 * killed: the parent Emulator.integration.test.ts kills with SIGKILL.
 */
import { startEmulator } from "../../src/Emulator"

const emulator = await startEmulator({ endpoint: undefined, log: () => {} })
process.stdout.write(`${JSON.stringify({ pid: emulator.pid, port: Number(new URL(emulator.endpoint).port) })}\n`)
// the emulator's child handle keeps this process alive until it is killed
