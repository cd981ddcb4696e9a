/**
 * The local AWS emulator: moto's server, installed on first use into the ignored virtualenv
 * `.venv/` of the repository and started on a free loopback port. It exits with the process that
 * started it, even one killed with SIGKILL (see `motoServer.py`).
 *
 * Real AWS SDK clients are pointed at it through the SDK's standard `AWS_ENDPOINT_URL`, so the
 * code under test is the code that runs in the cloud. When `AWS_ENDPOINT_URL` is already set
 * (a LocalStack or moto the user runs), nothing is installed or started.
 *
 * @example
 * ```ts
 * const emulator = await startEmulator({ log: (line) => console.error(line) })
 * process.env.AWS_ENDPOINT_URL = emulator.endpoint
 * // … real SDK calls …
 * await emulator.stop()
 * ```
 */
import { type ChildProcess, spawn, spawnSync } from "node:child_process"
import { existsSync } from "node:fs"
import path from "node:path"
import { fileURLToPath } from "node:url"

/** The pinned moto release: the emulator's behaviour is part of what the tests assert. */
export const MOTO_VERSION = "5.2.5"

/** The repository root (this file lives in packages/testkit/src). */
export const repoRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..", "..", "..")

const venv = path.join(repoRoot, ".venv")
const motoServer = path.join(venv, "bin", "moto_server")
/** moto's server, run so that it exits with the process that started it (see motoServer.py). */
const motoServerScript = fileURLToPath(new URL("./motoServer.py", import.meta.url))
const motoStamp = path.join(venv, `moto-${MOTO_VERSION}.installed`)

/** A running (or user-provided) emulator. */
export interface Emulator {
  readonly endpoint: string
  /** True when this process started the emulator and will stop it. */
  readonly owned: boolean
  /** The emulator's process id when this process started it. */
  readonly pid: number | undefined
  readonly stop: () => Promise<void>
  /** Settles when the emulator this process started has exited, for whatever reason (never for a given one). */
  readonly exited: Promise<void>
}

export interface EmulatorOptions {
  /** Where progress lines go (installation, start-up). Defaults to stderr. */
  readonly log?: (line: string) => void
  /** An endpoint to use instead of starting one; defaults to `process.env.AWS_ENDPOINT_URL`. */
  readonly endpoint?: string | undefined
  /** Port to listen on; defaults to a free one. */
  readonly port?: number
}

/**
 * A typed failure of the emulator harness, with what the user can do about it: one line, the
 * harness's account and moto's last word on it (`moto_server exited (1) during start-up: cannot
 * listen on 127.0.0.1:5000: Address already in use`); moto's whole output, when there is one,
 * in `output` (a Python traceback is no message to print).
 */
export class EmulatorError extends Error {
  override readonly name = "EmulatorError"
  constructor(
    message: string,
    readonly output?: string
  ) {
    const last = output
      ?.split("\n")
      .map((line) => line.trim())
      .filter(Boolean)
      .at(-1)
    super(last === undefined ? message : `${message}: ${last}`)
  }
}

const defaultLog = (line: string) => process.stderr.write(`[emulator] ${line}\n`)

/** Dummy credentials and a region, so real SDK clients sign requests the emulator accepts. */
export const emulatorEnv = (endpoint: string): Record<string, string> => ({
  AWS_ENDPOINT_URL: endpoint,
  AWS_ACCESS_KEY_ID: process.env.AWS_ACCESS_KEY_ID ?? "testing",
  AWS_SECRET_ACCESS_KEY: process.env.AWS_SECRET_ACCESS_KEY ?? "testing",
  AWS_REGION: process.env.AWS_REGION ?? "us-east-1"
})

/** Installs moto into `.venv/` unless the pinned version is already there. */
export function ensureMoto(log: (line: string) => void = defaultLog): string {
  if (existsSync(motoStamp) && existsSync(motoServer)) return motoServer
  const python = findPython()
  log(`installing moto[server]==${MOTO_VERSION} into .venv/ (first run only, about a minute)`)
  run(python, ["-m", "venv", venv], "create the virtualenv .venv/")
  run(
    path.join(venv, "bin", "python"),
    ["-m", "pip", "install", "--quiet", "--disable-pip-version-check", `moto[server]==${MOTO_VERSION}`],
    `pip install moto[server]==${MOTO_VERSION}`
  )
  spawnSync("touch", [motoStamp])
  return motoServer
}

function findPython(): string {
  for (const candidate of ["python3", "python"]) {
    const probe = spawnSync(candidate, ["-c", "import sys, venv; print(sys.version_info[0])"], { encoding: "utf8" })
    if (probe.status === 0 && probe.stdout.trim() === "3") return candidate
  }
  throw new EmulatorError(
    "Python 3 (with the venv module) is needed for the local AWS emulator (moto) but was not found on PATH. " +
      "Install it (Debian/Ubuntu: apt-get install python3 python3-venv; macOS: brew install python), " +
      "or set AWS_ENDPOINT_URL to an emulator you already run."
  )
}

function run(command: string, args: ReadonlyArray<string>, what: string): void {
  const result = spawnSync(command, args, { stdio: ["ignore", "ignore", "pipe"], encoding: "utf8" })
  if (result.status !== 0) {
    throw new EmulatorError(`could not ${what}: ${result.stderr?.trim().split("\n").slice(-3).join(" ") ?? "unknown error"}`)
  }
}

/**
 * The port the emulator's first stdout line announces (`listening on port N`, see motoServer.py):
 * the script binds it before moto is imported, so nothing else can take it in between.
 */
function announcedPort(child: ChildProcess, timeoutMs: number): Promise<number> {
  return new Promise((resolve, reject) => {
    let out = ""
    const timer = setTimeout(() => settle(new EmulatorError(`moto_server announced no port within ${timeoutMs} ms`)), timeoutMs)
    const onData = (chunk: Buffer) => {
      out += chunk.toString()
      const match = /^listening on port (\d+)$/m.exec(out)
      if (match !== null) settle(Number(match[1]))
    }
    const onExit = () => settle(new EmulatorError(`moto_server exited (${child.exitCode ?? child.signalCode}) during start-up`))
    function settle(outcome: number | EmulatorError) {
      clearTimeout(timer)
      child.stdout?.off("data", onData)
      child.off("exit", onExit)
      // moto's own output is not read: drained, so that a full pipe never blocks it
      child.stdout?.resume()
      if (typeof outcome === "number") resolve(outcome)
      else reject(outcome)
    }
    child.stdout?.on("data", onData)
    child.once("exit", onExit)
  })
}

async function waitUntilReady(endpoint: string, child: ChildProcess, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs
  while (Date.now() < deadline) {
    // a signal (Ctrl-C reaches the emulator too: same process group) leaves exitCode null
    if (child.exitCode !== null || child.signalCode !== null)
      throw new EmulatorError(`moto_server exited (${child.exitCode ?? child.signalCode}) during start-up`)
    try {
      const response = await fetch(`${endpoint}/moto-api/data.json`)
      if (response.ok) return
    } catch {
      // not listening yet
    }
    await new Promise((resolve) => setTimeout(resolve, 100))
  }
  throw new EmulatorError(`moto_server did not answer on ${endpoint} within ${timeoutMs} ms`)
}

/**
 * Uses `AWS_ENDPOINT_URL` when set, otherwise installs (once) and starts moto on loopback.
 * The returned `stop` ends the process this call started, and nothing else.
 */
export async function startEmulator(options: EmulatorOptions = {}): Promise<Emulator> {
  const log = options.log ?? defaultLog
  const given = options.endpoint ?? process.env.AWS_ENDPOINT_URL
  if (given) {
    log(`using the emulator at AWS_ENDPOINT_URL=${given}`)
    return { endpoint: given, owned: false, pid: undefined, stop: async () => {}, exited: new Promise<void>(() => {}) }
  }
  ensureMoto(log)
  // stdin is a pipe this process never writes to: the kernel closes it when this process ends,
  // however (SIGKILL, a crash: no exit handler runs then), and the script exits on that end of
  // file, so moto never outlives its parent as an orphan holding the port
  // (port 0: the script listens on a port the kernel picks, and announces it)
  const child = spawn(path.join(venv, "bin", "python"), [motoServerScript, "-H", "127.0.0.1", "-p", String(options.port ?? 0)], {
    stdio: ["pipe", "pipe", "pipe"],
    // the endpoint is not known yet, and moto needs none
    env: { ...process.env, ...emulatorEnv(""), AWS_ENDPOINT_URL: undefined, MOTO_ALLOW_NONEXISTENT_REGION: "true" }
  })
  // never written to; an error of the pipe (the child gone) is the child's exit, seen below
  child.stdin?.on("error", () => {})
  let stderrTail = ""
  child.stderr?.on("data", (chunk: Buffer) => {
    stderrTail = (stderrTail + chunk.toString()).slice(-2000)
  })
  const exited = new Promise<void>((resolve) => child.once("exit", () => resolve()))
  const stop = async () => {
    if (child.exitCode !== null || child.signalCode !== null) return
    child.kill("SIGTERM")
    const timer = setTimeout(() => child.kill("SIGKILL"), 3000)
    await exited
    clearTimeout(timer)
  }
  let endpoint: string
  try {
    endpoint = `http://127.0.0.1:${await announcedPort(child, 30_000)}`
    await waitUntilReady(endpoint, child, 30_000)
  } catch (error) {
    await stop()
    throw new EmulatorError((error as Error).message, stderrTail)
  }
  log(`moto ${MOTO_VERSION} listening on ${endpoint}`)
  return { endpoint, owned: true, pid: child.pid, stop, exited }
}
