/**
 * While `cdc start` runs, `.cdc/local.json` says where its emulator listens, which stream it
 * reads and where it archives failures, so `cdc replay FILE` and `cdc dlq …` (other processes)
 * work against the running local pipeline without being told the endpoint. Removed when
 * `cdc start` stops.
 *
 * @example
 * ```ts
 * yield* announceLocalEndpoint(".cdc", { endpoint: "http://127.0.0.1:4566", stream: "cdc-pipeline-local-changes", archiveBucket: "cdc-pipeline-local-dlq-archive" })
 * readLocalEndpoint(".cdc") // { endpoint, stream, pid } or undefined
 * ```
 */
import { existsSync, readdirSync, readFileSync, rmdirSync, rmSync, statSync, writeFileSync } from "node:fs"
import path from "node:path"
import * as Data from "effect/Data"
import * as Effect from "effect/Effect"
import { makeDirectories } from "../Directories"
import { currentProcess, formatIdentity, isRunning, type ProcessIdentity, parseIdentity } from "./ProcessIdentity"

export interface LocalEndpoint {
  readonly endpoint: string
  readonly stream: string
  /** The DLQ archive bucket (absent in files of older versions). */
  readonly archiveBucket?: string
  /** The region its resources were made in (absent in files of older versions: `us-east-1`). */
  readonly region?: string
  readonly pid: number
  /** When that process started (see ./ProcessIdentity; absent in older files and off Linux). */
  readonly started?: string
}

/** Where `cdc start` keeps its state (and this file) unless told otherwise. */
export const defaultStateDir = ".cdc"

const fileOf = (stateDir: string) => path.join(stateDir, "local.json")

/**
 * How to start the local pipeline that a command run with `--state-dir stateDir` would find: for
 * a usage error that found none.
 *
 * @example
 * ```ts
 * startHint(".cdc") // "no running `cdc start` announced in .cdc/local.json (start one with `npm start`)"
 * ```
 */
export const startHint = (stateDir: string): string =>
  `no running \`cdc start\` announced in ${fileOf(stateDir)} (start one with ${
    stateDir === defaultStateDir ? "`npm start`" : `\`npx cdc start --state-dir ${stateDir}\``
  })`

/** The running local pipeline, if its process is still alive. */
export const readLocalEndpoint = (stateDir: string): LocalEndpoint | undefined => {
  try {
    const parsed = JSON.parse(readFileSync(fileOf(stateDir), "utf8")) as Partial<LocalEndpoint>
    if (typeof parsed.endpoint !== "string" || typeof parsed.stream !== "string" || typeof parsed.pid !== "number") return undefined
    if (parsed.started !== undefined && typeof parsed.started !== "string") return undefined
    if (parsed.region !== undefined && typeof parsed.region !== "string") return undefined
    return isRunning(parsed as LocalEndpoint) ? (parsed as LocalEndpoint) : undefined
  } catch {
    return undefined
  }
}

/** The state directory (`--state-dir`) cannot hold the run's files: which, and the system's code. */
export class StateDirError extends Data.TaggedError("StateDirError")<{ readonly stateDir: string; readonly code: string }> {
  override get message(): string {
    return `cdc start: cannot write the state directory ${this.stateDir} (${this.code}); choose another with --state-dir`
  }
}

const lockOf = (stateDir: string) => path.join(stateDir, "start.lock")

/** The process a lock file names, or `undefined` (unreadable, gone meanwhile, not a lock). */
const lockOwner = (lock: string): ProcessIdentity | undefined => {
  try {
    return parseIdentity(readFileSync(lock, "utf8"))
  } catch {
    return undefined
  }
}

/**
 * Claims a state dir for one `cdc start`, for the lifetime of the current scope, before anything
 * starts: `local.json` is written only once the emulator is up and the resources provisioned, so
 * a second start on the same dir in those seconds would not see the first. `start.lock` is
 * created exclusively with this process's identity (pid and start time); a lock whose process is
 * gone (a crash), or whose pid another process has since been given, is taken over. Succeeds
 * with `undefined` when claimed, or with the pid of the live `cdc start` that holds it. A state
 * dir this claim created is removed again at the scope's end if the run left nothing in it (a
 * refused `--port`, say): its empty files and directories, then itself, if that empties it;
 * nothing with content is removed.
 *
 * @example
 * ```ts
 * const other = yield* claimStateDir(".cdc")
 * if (other !== undefined) return yield* usageError("start", `another cdc start (pid ${other}) is running`)
 * ```
 */
export const claimStateDir = (stateDir: string) =>
  Effect.map(
    Effect.acquireRelease(
      Effect.try({
        try: (): { readonly other: number | undefined; readonly created: boolean } => {
          const created = !existsSync(stateDir)
          makeDirectories(stateDir)
          const lock = lockOf(stateDir)
          for (let attempt = 0; ; attempt++) {
            try {
              writeFileSync(lock, `${formatIdentity(currentProcess())}\n`, { flag: "wx" })
              return { other: undefined, created }
            } catch (error) {
              if ((error as NodeJS.ErrnoException).code !== "EEXIST" || attempt === 2) throw error
            }
            const owner = lockOwner(lock)
            if (owner !== undefined && owner.pid !== process.pid && isRunning(owner)) return { other: owner.pid, created }
            rmSync(lock, { force: true }) // stale: its process is gone
          }
        },
        // an unusable state directory (a file in its place, no permission) stops the start here
        catch: (cause) => new StateDirError({ stateDir, code: (cause as NodeJS.ErrnoException).code ?? "EIO" })
      }),
      ({ other, created }) =>
        Effect.sync(() => {
          if (other === undefined && lockOwner(lockOf(stateDir))?.pid === process.pid) rmSync(lockOf(stateDir), { force: true })
          if (created) removeHollow(stateDir)
        })
    ),
    ({ other }) => other
  )

/** Removes the empty files under `directory`, then each directory left empty, itself included. */
const removeHollow = (directory: string): void => {
  try {
    for (const entry of readdirSync(directory, { withFileTypes: true })) {
      const at = path.join(directory, entry.name)
      if (entry.isDirectory()) removeHollow(at)
      else if (entry.isFile() && statSync(at).size === 0) rmSync(at)
    }
    rmdirSync(directory)
  } catch {
    // something with content in it, or gone: kept as it is
  }
}

/**
 * Writes the file for the lifetime of the current scope, and removes it only if it is still this
 * process's: a second `cdc start` on the same state dir must not take the first one's file away
 * (`cdc start` refuses to run then, see {@link claimStateDir}).
 */
export const announceLocalEndpoint = (
  stateDir: string,
  where: { readonly endpoint: string; readonly stream: string; readonly archiveBucket: string; readonly region: string }
) =>
  Effect.acquireRelease(
    Effect.sync(() => {
      makeDirectories(stateDir)
      writeFileSync(fileOf(stateDir), `${JSON.stringify({ ...where, ...currentProcess() } satisfies LocalEndpoint)}\n`)
    }),
    () =>
      Effect.sync(() => {
        if (readLocalEndpoint(stateDir)?.pid === process.pid) rmSync(fileOf(stateDir), { force: true })
      })
  )

/**
 * Points this process's AWS SDK clients at a running local pipeline's emulator: its endpoint and
 * region, and fake credentials. These replace what the shell has set: the pipeline lives at that
 * endpoint in that region only, and a shell set up for AWS (`AWS_REGION=eu-west-1`, an
 * `AWS_ENDPOINT_URL` of another emulator) found nothing there; a user's real credentials are
 * not sent to the emulator either. Naming a stream or bucket is how to target anything else.
 *
 * @example
 * ```ts
 * const local = readLocalEndpoint(".cdc")
 * if (local) useLocalEndpoint(local)
 * ```
 */
export const useLocalEndpoint = (local: LocalEndpoint): void => {
  process.env.AWS_ENDPOINT_URL = local.endpoint
  process.env.AWS_REGION = local.region ?? "us-east-1"
  process.env.AWS_ACCESS_KEY_ID = "testing"
  process.env.AWS_SECRET_ACCESS_KEY = "testing"
  delete process.env.AWS_SESSION_TOKEN
}
