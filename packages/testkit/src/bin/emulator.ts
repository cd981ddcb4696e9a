/**
 * `npm run emulator`: the local AWS emulator on its own, until Ctrl-C, for pointing other tools
 * at it (`AWS_ENDPOINT_URL=… npx cdc dlq list`, the AWS CLI, a test run that should reuse it).
 *
 * Options: `--port N` (default: a free port). Exit codes: 0 stopped (Ctrl-C, SIGTERM, SIGHUP),
 * 1 moto failed to start or exited on its own, 2 usage error. Run through `npm run`, npm
 * reports a stop by a signal itself (130, 143, 129), whatever this script exits with.
 */
import { parseArgs } from "node:util"
import { emulatorEnv, startEmulator } from "../Emulator"

const usage = `usage: npm run emulator -- [--port N]
  Runs the local AWS emulator (moto) until Ctrl-C; prints the export lines that point AWS SDKs
  and tools at it on stdout.
  --port N   the port to listen on, 1 to 65535 (default: a free port)
Exit codes: 0 stopped, 1 moto failed or exited on its own, 2 usage error
(through npm run, a stop by Ctrl-C or a signal is npm's 130, 143 or 129).`

const args = (() => {
  try {
    return parseArgs({ options: { port: { type: "string" }, help: { type: "boolean" } } }).values
  } catch (error) {
    process.stderr.write(`emulator: ${(error as Error).message}\n${usage}\n`)
    return process.exit(2)
  }
})()
if (args.help) {
  process.stdout.write(`${usage}\n`)
  process.exit(0)
}
// decimal digits only: Number() would also take "1e4", "0x50" and " 80"
const port = args.port === undefined ? undefined : /^[0-9]{1,5}$/.test(args.port) ? Number(args.port) : Number.NaN
if (port !== undefined && !(port > 0 && port < 65536)) {
  process.stderr.write(`emulator: --port takes a port number, 1 to 65535\n${usage}\n`)
  process.exit(2)
}

const emulator = await startEmulator({ endpoint: undefined, ...(port === undefined ? {} : { port }) }).catch((error: Error) => {
  // one line (see EmulatorError), not a stack
  process.stderr.write(`emulator: ${error.message}\n`)
  return process.exit(1)
})
const env = emulatorEnv(emulator.endpoint)
process.stdout.write(
  `${Object.entries(env)
    .map(([name, value]) => `export ${name}=${value}`)
    .join("\n")}\n`
)
process.stderr.write("emulator running; Ctrl-C stops it\n")
let stopping = false
const stop = async () => {
  stopping = true
  await emulator.stop()
  process.exit(0)
}
for (const signal of ["SIGINT", "SIGTERM", "SIGHUP"] as const) process.on(signal, stop)
// moto gone on its own (killed, crashed): say so and fail, rather than end as if stopped
void emulator.exited.then(() => {
  if (stopping) return
  process.stderr.write("emulator: moto_server exited unexpectedly\n")
  process.exit(1)
})
