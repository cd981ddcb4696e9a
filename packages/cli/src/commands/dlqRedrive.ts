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
 * marked: see the report); 2 usage error; 130 interrupted (143 SIGTERM, 129 SIGHUP), with an
 * account of how far it got (see {@link interruptedRedrive}).
 *
 * @example
 * ```sh
 * npx cdc dlq redrive --table users --category configuration --dry-run
 * npx cdc dlq redrive --table users --json
 * ```
 */
import { type ListFilter, listEntries } from "@cdc/pipeline/dlq/ArchiveQuery"
import { checkStream, isIncomplete, permanentStatuses, type RedriveReport, redriveToCheckedStream } from "@cdc/pipeline/dlq/Redrive"
import { Command, Flag } from "effect/cli"
import * as Data from "effect/Data"
import * as Effect from "effect/Effect"
import * as Layer from "effect/Layer"
import { jsonLine } from "../Printable"
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

/**
 * The `--json` document: the report with every item field written, `null` where it has no value
 * (a failure not redriven has no new position), as `cdc dlq list --json` writes its entries, so
 * that a script reads the same keys from every item.
 *
 * @example
 * ```ts
 * redriveJson(report).items[0].sequenceNumber // null unless the record was put back
 * ```
 */
export const redriveJson = (report: RedriveReport) => ({
  stream: report.stream,
  dryRun: report.dryRun,
  counts: report.counts,
  items: report.items.map((item) => ({
    key: item.key,
    table: item.table,
    code: item.code ?? null,
    status: item.status,
    shardId: item.shardId ?? null,
    sequenceNumber: item.sequenceNumber ?? null,
    reason: item.reason ?? null,
    duplicateOf: item.duplicateOf ?? null,
    notMarked: item.notMarked ?? null
  }))
})

/** Where a redrive stood when it was interrupted: listing the archive, or putting failures back. */
export type RedriveStage =
  | { readonly _tag: "Listing" }
  | { readonly _tag: "Redriving"; readonly dryRun: boolean; readonly handled: number; readonly matching: number }

/**
 * What an interrupted redrive prints (the command exits 130, or 143 on SIGTERM): how far it got,
 * and that running it again finishes it. A failure is marked right after its record is put, and
 * a marked one is never put again; one put but not yet marked is put again by the next run, with
 * the same event ids (consumers deduplicate on them).
 *
 * @example
 * ```ts
 * interruptedRedrive({ _tag: "Redriving", dryRun: false, handled: 40, matching: 100 }).line
 * // "cdc dlq redrive: interrupted after 40 of 100 matching failure(s) handled; …"
 * ```
 */
export const interruptedRedrive = (stage: RedriveStage) => {
  if (stage._tag === "Listing") {
    return {
      line: "cdc dlq redrive: interrupted while listing the archive; nothing was put back",
      json: { interrupted: true, stage: "listing" }
    }
  }
  const { dryRun, handled, matching } = stage
  return {
    line: dryRun
      ? `cdc dlq redrive: dry run interrupted after ${handled} of ${matching} matching failure(s); nothing was written`
      : `cdc dlq redrive: interrupted after ${handled} of ${matching} matching failure(s) handled; ` +
        "each failure put back was marked as it went (a marked one is never put again; one put but not yet marked is put again, " +
        "with the same event ids): run the same command again to finish",
    json: { interrupted: true, stage: "redriving", dryRun, handled, matching }
  }
}

/**
 * Lists the archived failures matching `filter` and redrives them, with progress on stderr, then
 * prints the report (fails with {@link RedriveIncomplete} when a next run has work to do).
 * Interrupted, it prints {@link interruptedRedrive}'s account instead.
 *
 * @example
 * ```ts
 * yield* redriveArchived({ table: "users" }, { dryRun: true, json: false }).pipe(Effect.provide(layer))
 * ```
 */
export const redriveArchived = (filter: ListFilter, options: { readonly dryRun: boolean; readonly json: boolean }) =>
  Effect.suspend(() => {
    // how far this run got, for the account of an interruption
    let stage: RedriveStage = { _tag: "Listing" }
    return Effect.gen(function* () {
      // a stream that cannot be written to fails the run before the archive is read, dry run too
      yield* checkStream
      const entries = yield* withProgressOnStderr("dlq list", (onProgress) => listEntries(filter, onProgress))
      stage = { _tag: "Redriving", dryRun: options.dryRun, handled: 0, matching: entries.length }
      return yield* withProgressOnStderr(options.dryRun ? "dlq redrive (dry run)" : "dlq redrive", (onProgress) =>
        redriveToCheckedStream(entries, { dryRun: options.dryRun }, (handled, matching) => {
          stage = { _tag: "Redriving", dryRun: options.dryRun, handled, matching }
          return onProgress(handled, matching)
        })
      )
    }).pipe(
      // outside the progress's scope: the account is printed below the ended bar, not onto it
      Effect.onInterrupt(() =>
        Effect.sync(() => {
          const account = interruptedRedrive(stage)
          process.stderr.write(`${account.line}\n`)
          if (options.json) process.stdout.write(jsonLine(account.json))
        })
      ),
      Effect.flatMap((report) => {
        process.stdout.write(options.json ? jsonLine(redriveJson(report)) : renderReport(report))
        return isIncomplete(report) ? Effect.fail(new RedriveIncomplete({ report })) : Effect.void
      })
    )
  })

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
      yield* redriveArchived(filter, flags).pipe(Effect.provide(layer))
    })
).pipe(
  Command.withShortDescription("Re-inject archived failures into the Kinesis stream, each at most once"),
  Command.withDescription(
    "Re-inject archived failures into the Kinesis stream after a fix, marking each as redriven: a marked one is never put again (a record that fails again is archived as a new failure). " +
      "Exit 0 when every matching failure that can be put back was (or already was, or would be with --dry-run), " +
      "those that never can (expired, not redrivable) only listed; 1 when a call failed or a next run has work to do " +
      "(a failure not put back this run, or put but not marked); 2 on usage error (a bad flag or --since date, " +
      "no bucket or stream configured); 130 when interrupted by Ctrl-C (143 by SIGTERM, 129 by SIGHUP), saying how far it got: " +
      "running it again finishes it."
  ),
  Command.withExamples([
    { command: "cdc dlq redrive --table users --dry-run", description: "what would be redriven" },
    { command: "cdc dlq redrive --category configuration --since 2026-01-01", description: "redrive configuration failures" }
  ])
)
