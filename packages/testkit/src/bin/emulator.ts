/**
 * `npm run emulator`: the local AWS emulator on its own, until Ctrl-C, for pointing other tools
 * at it (`AWS_ENDPOINT_URL=… npx cdc dlq list`, the AWS CLI, a test run that should reuse it).
 *
 * Options: `--port N` (default: a free port).
 */
import { emulatorEnv, startEmulator } from "../Emulator"

const portIndex = process.argv.indexOf("--port")
const port = portIndex >= 0 ? Number(process.argv[portIndex + 1]) : undefined
if (port !== undefined && !(Number.isInteger(port) && port > 0 && port < 65536)) {
  process.stderr.write("usage: npm run emulator -- [--port N]\n")
  process.exit(2)
}

const emulator = await startEmulator({ endpoint: undefined, ...(port === undefined ? {} : { port }) })
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
