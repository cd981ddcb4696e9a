/**
 * Creating a directory and its missing parents, as `mkdir -p` does, for the directories the CLI
 * is given (`cdc schema --out`, `cdc start --state-dir`).
 *
 * Node's own `mkdirSync(dir, { recursive: true })` never returns for some paths it cannot create:
 * under `/proc` (`/proc/x`) every attempt fails with `ENOENT` and it retries the parent, which
 * exists, forever. Here a level is retried once after its parent was made, and then fails.
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
 * Creates `dir` and each missing ancestor (deepest first, as `mkdir -p`). Throws the system's
 * error (with its `code`: `ENOENT`, `EACCES`, `ENOTDIR`, …) for the first level that cannot be
 * created.
 */
export const makeDirectories = (dir: string): void => {
  const target = path.resolve(dir)
  try {
    mkdirSync(target)
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code
    if (code === "EEXIST") {
      if (!statSync(target).isDirectory()) throw notADirectory(target)
      return
    }
    const parent = path.dirname(target)
    if (code !== "ENOENT" || parent === target) throw error
    makeDirectories(parent)
    mkdirSync(target) // once: a parent that exists and still refuses it is an error, not a loop
  }
}
