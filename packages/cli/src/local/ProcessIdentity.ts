/**
 * Which process wrote a state file (`start.lock`, `local.json`), told apart from a later process
 * that happens to get the same pid. Pids are reused, soon in a container or after a reboot, so a
 * pid alone would keep a crashed `cdc start`'s lock "held" by whatever runs under its number now.
 * Where the system says when a process started (Linux's `/proc/<pid>/stat`), that start time goes
 * with the pid; elsewhere the pid alone is what can be checked.
 *
 * @example
 * ```ts
 * const me = currentProcess() // { pid: 4242, started: "1234567" } on Linux
 * isRunning(me) // true
 * ```
 */
import { readFileSync } from "node:fs"

export interface ProcessIdentity {
  readonly pid: number
  /** The kernel's start time of the process (clock ticks after boot), where it can be read. */
  readonly started?: string
}

/**
 * When process `pid` started, as `/proc/<pid>/stat` says (its 22nd field), or `undefined` where
 * that cannot be read (no such process, not Linux).
 */
export const startTimeOf = (pid: number): string | undefined => {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, "utf8")
    // the command name (field 2) is in parentheses and may hold spaces: count after its end
    const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ")
    const started = fields[19] // field 22; fields[0] is field 3
    return started !== undefined && /^[0-9]+$/.test(started) ? started : undefined
  } catch {
    return undefined
  }
}

/** This process. */
export const currentProcess = (): ProcessIdentity => {
  const started = startTimeOf(process.pid)
  return started === undefined ? { pid: process.pid } : { pid: process.pid, started }
}

/**
 * Whether the process that wrote `who` is still running: its pid is alive (a process of another
 * user counts) and, when both start times are known, it is the same process.
 */
export const isRunning = (who: ProcessIdentity): boolean => {
  try {
    process.kill(who.pid, 0)
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== "EPERM") return false
  }
  if (who.started === undefined) return true
  const started = startTimeOf(who.pid)
  return started === undefined || started === who.started
}

/** `pid[ started]`: the text of a lock file. */
export const formatIdentity = (who: ProcessIdentity): string => (who.started === undefined ? `${who.pid}` : `${who.pid} ${who.started}`)

/** A lock file's text read back (a bare pid from older versions too), or `undefined`. */
export const parseIdentity = (text: string): ProcessIdentity | undefined => {
  const [pidText, started, ...rest] = text.trim().split(" ")
  const pid = Number(pidText)
  if (!Number.isInteger(pid) || pid <= 0 || rest.length > 0) return undefined
  if (started === undefined) return { pid }
  return /^[0-9]+$/.test(started) ? { pid, started } : undefined
}
