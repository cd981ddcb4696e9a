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
import { writeFile } from "node:fs/promises"
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
 * Writes the catalog to a directory; returns the files written.
 *
 * @example
 * ```ts
 * const files = await writeCatalog("./catalog", eventCatalog())
 * ```
 */
export const writeCatalog = async (dir: string, catalog: ReturnType<typeof eventCatalog>): Promise<ReadonlyArray<string>> => {
  makeDirectories(dir)
  const files = [join(dir, "index.json")]
  await writeFile(files[0] as string, `${JSON.stringify(catalog.index, null, 2)}\n`)
  for (const entry of catalog.schemas) {
    const file = join(dir, entry.file)
    await writeFile(file, `${JSON.stringify(entry.schema, null, 2)}\n`)
    files.push(file)
  }
  return files
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
      const files = yield* Effect.tryPromise({
        try: () => writeCatalog(dir, catalog),
        catch: (cause) => new SchemaWriteError({ path: dir, code: (cause as NodeJS.ErrnoException).code ?? "EIO" })
      })
      process.stderr.write(`schema: wrote ${files.length} files to ${dir}\n`)
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
