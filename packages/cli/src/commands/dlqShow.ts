/**
 * `cdc dlq show ID`: one archived failure in full. It is already redacted: coordinates, the typed
 * reason, the redacted event when one was built; never a value in clear.
 *
 * Exit codes: 0 shown, 1 not found or unreadable, 2 usage error, 130 interrupted (143 SIGTERM).
 *
 * @example
 * ```sh
 * npx cdc dlq show dl_5c0f8e…            # by id (the object's file name)
 * npx cdc dlq show failed-events/users/2026/01/14/dl_5c0f8e….json --json
 * npx cdc dlq show s3://<bucket>/failed-events/users/2026/01/14/dl_5c0f8e….json   # as an alert lists it
 * ```
 */
import { Archive } from "@cdc/pipeline/dlq/Archive"
import type { ArchivedFailure } from "@cdc/pipeline/dlq/ArchivedFailure"
import { findKey } from "@cdc/pipeline/dlq/ArchiveQuery"
import { retrying } from "@cdc/pipeline/RetryPolicy"
import { Argument, Command } from "effect/cli"
import * as Effect from "effect/Effect"
import { jsonLine, printable, printableJson } from "../Printable"
import { archiveLayer, bucketFlag, jsonFlag } from "./dlqShared"
import { stateDirFlag } from "./usage"

/**
 * The human-readable view: a summary, then the archived JSON, with the characters a terminal
 * would act on escaped (names in it come from records: see ../Printable).
 *
 * @example
 * ```ts
 * renderFailure(key, failure, undefined) // "failed-events/users/…\n  poison/invalid-json on users …"
 * ```
 */
export const renderFailure = (key: string, failure: ArchivedFailure, redrivenAt: string | undefined): string =>
  [
    ...[
      key,
      `  ${failure.category}/${failure.code} on ${failure.table} (${failure.kind}, ${failure.errorTag})`,
      `  ${failure.message}`,
      `  record: ${failure.coordinates.shardId ?? "?"}/${failure.coordinates.sequenceNumber ?? "?"}${failure.coordinates.partitionKey ? ` key ${failure.coordinates.partitionKey}` : ""}`,
      `  archived ${failure.archivedAt}${redrivenAt ? `, redriven ${redrivenAt}` : ""}`
    ].map(printable),
    printableJson(JSON.stringify(failure, null, 2)),
    ""
  ].join("\n")

export const dlqShowCommand = Command.make(
  "show",
  {
    id: Argument.String("id").pipe(
      Argument.filter(
        (id: string) => id.length > 0,
        () => "an id or a key, not an empty value"
      ),
      Argument.withDescription("The failure's id (its file name without .json), its full key, or its s3:// location")
    ),
    bucket: bucketFlag,
    stateDir: stateDirFlag,
    json: jsonFlag
  },
  (flags) =>
    Effect.gen(function* () {
      const layer = yield* archiveLayer(flags)
      yield* Effect.gen(function* () {
        const archive = yield* Archive
        const key = yield* findKey(flags.id)
        const failure = yield* retrying("dlq-send", archive.get(key))
        const entry = yield* retrying("dlq-send", archive.describe(key))
        process.stdout.write(
          flags.json
            ? jsonLine({ key, location: archive.location(key), redrivenAt: entry.redrivenAt ?? null, failure })
            : renderFailure(key, failure, entry.redrivenAt)
        )
      }).pipe(Effect.provide(layer))
    })
).pipe(
  Command.withShortDescription("Show one archived failure in full (redacted)"),
  Command.withDescription(
    "Show one archived failure in full (redacted). " +
      "Exit 0 when shown; 1 when no archived failure has that id, key or location, or a call failed; " +
      "2 on usage error (an empty id, no archive bucket configured); 130 when interrupted by Ctrl-C (143 by SIGTERM)."
  ),
  Command.withExamples([
    { command: "cdc dlq show dl_5c0f8e…", description: "by id, as `cdc dlq list --json` lists it" },
    { command: "cdc dlq show failed-events/users/2026/01/14/dl_5c0f8e….json --json", description: "by key, as JSON" },
    {
      command: "cdc dlq show s3://<bucket>/failed-events/users/2026/01/14/dl_5c0f8e….json",
      description: "by the location an alert lists"
    }
  ])
)
