/**
 * `cdc schema [--out DIR]`: the event catalog consumers validate against: the JSON Schema of
 * every published event type, generated from the domain Schemas. Without `--out`, the whole
 * catalog is printed to stdout as one JSON document; with it, one `<eventType>.schema.json` per
 * event type plus `index.json` are written to DIR.
 *
 * @example
 * ```sh
 * npx cdc schema --out ./catalog
 * ```
 */
import { lstat, readFile, rm, writeFile } from "node:fs/promises"
import { join } from "node:path"
import { eventCatalog } from "@cdc/domain/Catalog"
import { sourcePrefixConfig } from "@cdc/pipeline/RecordPath"
import { Command, Flag } from "effect/cli"
import * as Data from "effect/Data"
import * as Effect from "effect/Effect"
import * as Option from "effect/Option"
import { makeDirectories } from "../Directories"
import { nonEmpty } from "./usage"

/** Writing the catalog failed (exit code 1). */
export class SchemaWriteError extends Data.TaggedError("SchemaWriteError")<{ readonly path: string; readonly code: string }> {
  override get message(): string {
    return `cdc schema: cannot write ${this.path} (${this.code})`
  }
}

/**
 * The schema files an earlier `index.json` in `dir` lists: what an earlier `cdc schema --out`
 * wrote there. Only an index this command wrote (its title) is read, only plain file names
 * `<eventType>.schema.json` are taken, never a path.
 */
const listedBefore = async (dir: string, title: string): Promise<ReadonlyArray<{ readonly eventType: string; readonly file: string }>> => {
  try {
    const index = JSON.parse(await readFile(join(dir, "index.json"), "utf8")) as {
      title?: unknown
      eventTypes?: ReadonlyArray<{ eventType?: unknown; file?: unknown }>
    }
    if (index.title !== title) return []
    return (index.eventTypes ?? []).flatMap(({ eventType, file }) =>
      typeof eventType === "string" && file === `${eventType}.schema.json` && /^[A-Za-z0-9._-]+\.schema\.json$/.test(file)
        ? [{ eventType, file }]
        : []
    )
  } catch {
    return []
  }
}

/**
 * Whether `file` is a regular file holding a schema this command writes for `eventType` (the
 * draft it declares, and `eventType` as the one value of its `eventType`): a file of the user's
 * own that an index happens to list, or a symbolic link, is left alone.
 */
const writtenByUs = async (file: string, eventType: string): Promise<boolean> => {
  try {
    if (!(await lstat(file)).isFile()) return false
    const schema = JSON.parse(await readFile(file, "utf8")) as {
      $schema?: unknown
      properties?: { eventType?: { enum?: unknown } }
    }
    const values = schema.properties?.eventType?.enum
    return (
      schema.$schema === "https://json-schema.org/draft/2020-12/schema" &&
      Array.isArray(values) &&
      values.length === 1 &&
      values[0] === eventType
    )
  } catch {
    return false
  }
}

/**
 * Writes the catalog to a directory: the schemas, then `index.json`, so that a run that fails
 * part way leaves the earlier index beside the schemas it lists; then removes the schema files the
 * earlier index listed that the catalog no longer has (an event type no table publishes any more),
 * which a consumer loading `*.schema.json` would otherwise still load. Other files are left alone.
 * Returns the files written and removed.
 *
 * @example
 * ```ts
 * const { written, removed } = await writeCatalog("./catalog", eventCatalog())
 * ```
 */
export const writeCatalog = async (
  dir: string,
  catalog: ReturnType<typeof eventCatalog>
): Promise<{ readonly written: ReadonlyArray<string>; readonly removed: ReadonlyArray<string> }> => {
  makeDirectories(dir)
  const before = await listedBefore(dir, catalog.index.title)
  const written: Array<string> = []
  for (const entry of catalog.schemas) {
    const file = join(dir, entry.file)
    await writeFile(file, `${JSON.stringify(entry.schema, null, 2)}\n`)
    written.push(file)
  }
  written.push(join(dir, "index.json"))
  await writeFile(join(dir, "index.json"), `${JSON.stringify(catalog.index, null, 2)}\n`)
  const current = new Set(catalog.schemas.map((entry) => entry.file))
  const removed: Array<string> = []
  for (const { eventType, file } of before) {
    if (current.has(file) || !(await writtenByUs(join(dir, file), eventType))) continue
    await rm(join(dir, file), { force: true })
    removed.push(join(dir, file))
  }
  return { written, removed }
}

export const schemaCommand = Command.make(
  "schema",
  {
    out: nonEmpty(Flag.String("out"), "a directory").pipe(
      Flag.withDescription("directory to write <eventType>.schema.json files and index.json into (default: print to stdout)"),
      Flag.optional
    )
  },
  (flags) =>
    Effect.gen(function* () {
      const catalog = eventCatalog({ sourcePrefix: yield* sourcePrefixConfig })
      if (Option.isNone(flags.out)) {
        process.stdout.write(`${JSON.stringify(catalog, null, 2)}\n`)
        return
      }
      const dir = flags.out.value
      const { written, removed } = yield* Effect.tryPromise({
        try: () => writeCatalog(dir, catalog),
        catch: (cause) => new SchemaWriteError({ path: dir, code: (cause as NodeJS.ErrnoException).code ?? "EIO" })
      })
      const stale = removed.length === 0 ? "" : `, removed ${removed.length} an earlier index listed that the catalog no longer has`
      process.stderr.write(`schema: wrote ${written.length} files to ${dir}${stale}\n`)
    })
).pipe(
  Command.withShortDescription("Print or write the JSON Schema catalog of every published event type"),
  Command.withDescription(
    "Print or write the JSON Schema (draft 2020-12) of every published event type: the catalog consumers validate " +
      "the EventBridge Detail against. Exit 0 on success, 2 on usage error, 1 on I/O error."
  ),
  Command.withExamples([
    { command: "cdc schema > catalog.json", description: "the whole catalog as one JSON document" },
    { command: "cdc schema --out ./catalog", description: "one file per event type plus index.json" }
  ])
)
