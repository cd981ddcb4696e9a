/**
 * While `cdc start` runs, `.cdc/local.json` says where its emulator listens and which stream it
 * reads, so `cdc replay FILE` (another process) can write to the running local pipeline without
 * being told the endpoint. Removed when `cdc start` stops.
 *
 * @example
 * ```ts
 * yield* announceLocalEndpoint(".cdc", { endpoint: "http://127.0.0.1:4566", stream: "cdc-pipeline-local-changes" })
 * readLocalEndpoint(".cdc") // { endpoint, stream, pid } or undefined
 * ```
 */
import { mkdirSync, readFileSync, rmSync, writeFileSync } from "node:fs"
import path from "node:path"
import { Effect } from "effect"

export interface LocalEndpoint {
  readonly endpoint: string
  readonly stream: string
  readonly pid: number
}

const fileOf = (stateDir: string) => path.join(stateDir, "local.json")

const alive = (pid: number) => {
  try {
    process.kill(pid, 0)
    return true
  } catch {
    return false
  }
}

/** The running local pipeline, if its process is still alive. */
export const readLocalEndpoint = (stateDir: string): LocalEndpoint | undefined => {
  try {
    const parsed = JSON.parse(readFileSync(fileOf(stateDir), "utf8")) as Partial<LocalEndpoint>
    if (typeof parsed.endpoint !== "string" || typeof parsed.stream !== "string" || typeof parsed.pid !== "number") return undefined
    return alive(parsed.pid) ? (parsed as LocalEndpoint) : undefined
  } catch {
    return undefined
  }
}

/** Writes the file for the lifetime of the current scope. */
export const announceLocalEndpoint = (stateDir: string, where: { readonly endpoint: string; readonly stream: string }) =>
  Effect.acquireRelease(
    Effect.sync(() => {
      mkdirSync(stateDir, { recursive: true })
      writeFileSync(fileOf(stateDir), `${JSON.stringify({ ...where, pid: process.pid } satisfies LocalEndpoint)}\n`)
    }),
    () => Effect.sync(() => rmSync(fileOf(stateDir), { force: true }))
  )
