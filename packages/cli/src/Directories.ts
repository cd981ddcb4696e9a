/**
 * Creating a directory and its missing parents, as `mkdir -p` does, for the directories the CLI
 * is given (`cdc schema --out`, `cdc start --state-dir`).
 *
 * Node's own `mkdirSync(dir, { recursive: true })` never returns for some paths it cannot create:
 * under `/proc` (`/proc/x`) every attempt fails with `ENOENT` and it retries the parent, which
 * exists, forever. Creating one level at a time from the root makes that an error like any other.
 *
 * @example
 * ```ts
 * makeDirectories("./catalog/v1") // creates ./catalog and ./catalog/v1 when missing
 * makeDirectories("/proc/x") // throws an error whose code is ENOENT
 * ```
 */
import { mkdirSync, statSync } from "node:fs"
import path from "node:path"

/** The system's error for a path that exists and is no directory, as `mkdir -p` reports it. */
const notADirectory = (dir: string): NodeJS.ErrnoException =>
  Object.assign(new Error(`ENOTDIR: not a directory, mkdir '${dir}'`), { code: "ENOTDIR", path: dir })

/**
 * Creates `dir` and each missing ancestor, one level at a time. Throws the system's error (with
 * its `code`: `ENOENT`, `EACCES`, `ENOTDIR`, …) for the first level that cannot be created.
 */
export const makeDirectories = (dir: string): void => {
  const levels: Array<string> = []
  for (let current = path.resolve(dir); ; current = path.dirname(current)) {
    levels.unshift(current)
    if (path.dirname(current) === current) break
  }
  for (const level of levels) {
    try {
      mkdirSync(level)
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== "EEXIST") throw error
      if (!statSync(level).isDirectory()) throw notADirectory(level)
    }
  }
}
