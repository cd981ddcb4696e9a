/**
 * `cdc dlq redrive`: after a fix, re-injects the archived failures matching the filters into the
 * Kinesis stream, from the raw record fetched by its coordinates, and marks each object as
 * redriven (object metadata), so a second run skips them. `--dry-run` reports what would happen.
 *
 * Records go back in their original stream order per entity, each once, and keep their event
 * ids (see `@cdc/pipeline/dlq/Redrive`).
 *
 * Exit codes: 0 every matching failure that can be put back was (or already was, or would be
 * with `--dry-run`); those that never can (expired from the stream, not redrivable) are listed in
 * the report; 1 a next run has work to do (a failed call, a key held for it, a record put but not
 * marked: see the report); 2 usage error.
 *
 * @example
 * ```sh
 * npx cdc dlq redrive --table users --category configuration --dry-run
 * npx cdc dlq redrive --table users --json
 * ```
 */
import { listEntries } from "@cdc/pipeline/dlq/ArchiveQuery"
import { isIncomplete, permanentStatuses, type RedriveReport, redrive } from "@cdc/pipeline/dlq/Redrive"
import { Command, Flag } from "effect/cli"
import * as Data from "effect/Data"
import * as Effect from "effect/Effect"
import * as Layer from "effect/Layer"
import { archiveLayer, bucketFlag, filterFlags, filterOf, jsonFlag, streamLayer, withProgressOnStderr } from "./dlqShared"
import { nonEmpty, stateDirFlag } from "./usage"

/** Some failures were not (or, in a dry run, would not be) redriven, and a next run may (exit code 1); the report says which and why. */
export class RedriveIncomplete extends Data.TaggedError("RedriveIncomplete")<{ readonly report: RedriveReport }> {
  override get message(): string {
    const { counts, items, dryRun } = this.report
    if (dryRun) return `dry run: ${counts.failed} matching failure(s) would not be redriven this run (nothing was written); run it again`
    const unmarked = items.filter((item) => item.notMarked !== undefined).length
    return `redrive incomplete: ${counts.failed} failed, ${unmarked} redriven but not marked; run it again`
  }
}

/**
 * The human-readable report.
 *
 * @example
 * ```ts
 * renderReport(report) // "redriven 3, already redriven 1, … into cdc-changes"
 * ```
 */
export const renderReport = (report: RedriveReport): string => {
  const c = report.counts
  const head = report.dryRun ? `dry run: would redrive ${c["would-redrive"]}` : `redriven ${c.redriven}`
  const problems = report.items.flatMap((item) =>
    item.status === "failed" || permanentStatuses.includes(item.status)
      ? [`  ${item.status} (${item.reason ?? "?"}): ${item.key}\n`]
      : item.notMarked !== undefined
        ? [`  redriven but not marked (${item.notMarked}; a next run puts it again, same event ids): ${item.key}\n`]
        : []
  )
  const notes = [
    c.duplicate > 0 ? `, duplicates ${c.duplicate} (same record as another failure, put once)` : "",
    c.skipped > 0 ? `, skipped ${c.skipped} (schema-drift notices: their records were published)` : ""
  ].join("")
  return `${head}, already redriven ${c["already-redriven"]}${notes}, expired ${c.unavailable}, not redrivable ${c["not-redrivable"]}, failed ${c.failed} (stream ${report.stream})\n${problems.join("")}`
}

export const dlqRedriveCommand = Command.make(
  "redrive",
  {
    ...filterFlags,
    bucket: bucketFlag,
    stateDir: stateDirFlag,
    stream: Flag.String("stream").pipe(
      nonEmpty,
      Flag.optional,
      Flag.withDescription("Stream to re-inject into (default: $CDC_STREAM_NAME, else the running `cdc start`'s)")
    ),
    dryRun: Flag.Boolean("dry-run").pipe(Flag.withDefault(false), Flag.withDescription("Report what would be redriven; write nothing")),
    json: jsonFlag
  },
  (flags) =>
    Effect.gen(function* () {
      const filter = yield* filterOf(flags)
      const layer = Layer.mergeAll(yield* archiveLayer(flags), yield* streamLayer(flags))
      const report = yield* Effect.gen(function* () {
        const entries = yield* withProgressOnStderr("dlq list", (onProgress) => listEntries(filter, onProgress))
        return yield* withProgressOnStderr(flags.dryRun ? "dlq redrive (dry run)" : "dlq redrive", (onProgress) =>
          redrive(entries, { dryRun: flags.dryRun }, onProgress)
        )
      }).pipe(Effect.provide(layer))
      process.stdout.write(flags.json ? `${JSON.stringify(report)}\n` : renderReport(report))
      if (isIncomplete(report)) return yield* new RedriveIncomplete({ report })
    })
).pipe(
  Command.withShortDescription("Re-inject archived failures into the Kinesis stream, each at most once"),
  Command.withDescription(
    "Re-inject archived failures into the Kinesis stream after a fix, marking each as redriven: a marked one is never put again (a record that fails again is archived as a new failure). " +
      "Exit 0 when every matching failure that can be put back was (or already was, or would be with --dry-run), " +
      "those that never can (expired, not redrivable) only listed; 1 when a call failed or a next run has work to do " +
      "(a failure not put back this run, or put but not marked); 2 on usage error (a bad flag or --since date, " +
      "no bucket or stream configured)."
  ),
  Command.withExamples([
    { command: "cdc dlq redrive --table users --dry-run", description: "what would be redriven" },
    { command: "cdc dlq redrive --category configuration --since 2026-01-01", description: "redrive configuration failures" }
  ])
)
