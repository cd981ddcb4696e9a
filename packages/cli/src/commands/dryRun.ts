/**
 * `cdc dry-run [FILE]`: runs the pure record path over NDJSON change records (FILE or stdin) and
 * prints, one JSON line each, the EventBridge entries that would be published. Rejected records
 * go to stderr (or `--rejects FILE`) as JSON lines with their line number, coordinates and typed
 * reason, never their values. Progress and the summary go to stderr: stdout holds only entries.
 *
 * Exit codes: 0 when the input was read to the end (rejections included), 2 on a usage error,
 * 1 on an I/O error.
 *
 * @example
 * ```sh
 * npx cdc dry-run examples/changes.ndjson --rejects rejects.ndjson > entries.ndjson
 * ```
 */
import { createReadStream, createWriteStream, fstatSync, statSync, type WriteStream } from "node:fs"
import type { Readable, Writable } from "node:stream"
import { makeRecordPath, type RecordOutcome } from "@cdc/domain/RecordPath"
import { redactionKeysConfig } from "@cdc/domain/RedactionKeys"
import { entrySize, isOversized, maxRequestBytes } from "@cdc/pipeline/Chunker"
import { OversizedEntryError } from "@cdc/pipeline/PipelineErrors"
import { sourcePrefixConfig } from "@cdc/pipeline/RecordPath"
import * as Clock from "effect/Clock"
import * as Config from "effect/Config"
import { Argument, Command, Flag } from "effect/cli"
import * as Data from "effect/Data"
import * as Effect from "effect/Effect"
import * as Option from "effect/Option"
import { maxLineBytes, ndjsonLines } from "../NdjsonLines"
import { OutputFailed, watchOutputs } from "../Outputs"
import { jsonLine, printableJson } from "../Printable"
import { type DriftTally, makeDriftTally } from "../SchemaDrift"
import { nonEmpty, usageError } from "./usage"

/** Reading the input or writing an output failed (exit code 1). */
export class DryRunIoError extends Data.TaggedError("DryRunIoError")<{
  readonly operation: "read" | "write"
  readonly path: string
  readonly code: string
}> {
  override get message(): string {
    return `cdc dry-run: cannot ${this.operation} ${this.path} (${this.code})`
  }
}

/** A rejects line: the line number, the error's tag, category, code and message, coordinates. */
const errorLine = (
  line: number,
  error: { readonly _tag: string; readonly category: string; readonly code: string; readonly message: string },
  coordinates: object,
  extra: object = {}
): string =>
  // a message or coordinates may quote a record's text (an unknown table's name): printable, as on any terminal line
  printableJson(
    JSON.stringify({ line, error: error._tag, category: error.category, code: error.code, message: error.message, coordinates, ...extra })
  )

/** What one line became on the rejects stream: coordinates and reason, never a value. */
export const rejectLine = (line: number, outcome: Extract<RecordOutcome, { _tag: "Reject" }>): string => {
  const error = outcome.error
  return errorLine(line, error, error.coordinates, "column" in error ? { column: error.column } : {})
}

/**
 * The rejects line of an event too large for a PutEvents request: the processor dead-letters it
 * (`oversized`) after the record path, so the dry run does as the pipeline would.
 */
const oversizedLine = (line: number, outcome: Extract<RecordOutcome, { _tag: "Publish" }>): string =>
  errorLine(line, new OversizedEntryError({ bytes: entrySize(outcome.entry), limit: maxRequestBytes }), { table: outcome.table })

/** A line longer than the dry run reads (see ../NdjsonLines): no record is that long. */
export class LineTooLongError extends Data.TaggedError("LineTooLongError")<{ readonly bytes: number; readonly limit: number }> {
  readonly category = "poison" as const
  readonly code = "line-too-long"
  override get message(): string {
    return `line of ${this.bytes} bytes, longer than the ${this.limit} bytes a line may have; not read`
  }
}

export interface DryRunCounts {
  lines: number
  /** Empty or whitespace-only lines: no record, not counted as one. */
  blank: number
  published: number
  skipped: number
  /** Skipped records by reason (`operation-not-published`, `control-record`). */
  skippedBy: Record<string, number>
  rejected: number
  /** Undeclared columns withheld and DDL control records, by name (never a value). */
  readonly drift: DriftTally
}

/**
 * Runs the record path over NDJSON lines; the testable core of the command. Rejects with
 * {@link OutputFailed} (`output` "out" or "rejects") when an output refuses a write: the run
 * stops there, as its output would be incomplete. Ends `rejects` unless it is stderr.
 *
 * @example
 * ```ts
 * const counts = await dryRunStream({
 *   input, out: process.stdout, rejects: process.stderr, path, processedAtMillis: Date.now(), progress: () => {}
 * })
 * ```
 */
export const dryRunStream = async (options: {
  readonly input: Readable
  readonly out: Writable
  readonly rejects: Writable
  readonly progress: (counts: DryRunCounts) => void
  readonly path: ReturnType<typeof makeRecordPath>
  readonly processedAtMillis: number
  /** The longest line read (default 64 MiB); a longer one is rejected as `line-too-long`. */
  readonly maxLineBytes?: number
}): Promise<DryRunCounts> => {
  const counts: DryRunCounts = { lines: 0, blank: 0, published: 0, skipped: 0, skippedBy: {}, rejected: 0, drift: makeDriftTally() }
  const outputs = watchOutputs({ out: options.out, rejects: options.rejects })
  const limit = options.maxLineBytes ?? maxLineBytes
  for await (const line of ndjsonLines(options.input, limit)) {
    counts.lines++
    if (line._tag === "TooLong") {
      counts.rejected++
      await outputs.write("rejects", `${errorLine(counts.lines, new LineTooLongError({ bytes: line.bytes, limit }), {})}\n`)
      continue
    }
    // a byte order mark (editors on Windows write one) is not part of the first record
    const text = counts.lines === 1 && line.text.charCodeAt(0) === 0xfeff ? line.text.slice(1) : line.text
    if (text.trim().length === 0) {
      counts.blank++
      continue
    }
    const outcome = options.path.fromPayload(text, {}, options.processedAtMillis)
    counts.drift.add(outcome)
    let pending: Promise<void> | undefined
    if (outcome._tag === "Publish" && isOversized(outcome.entry)) {
      counts.rejected++
      pending = outputs.write("rejects", `${oversizedLine(counts.lines, outcome)}\n`)
    } else if (outcome._tag === "Publish") {
      counts.published++
      // a published value is the record's text too: printable, so that `cdc dry-run FILE` on a
      // terminal cannot be driven by it; the escapes are JSON's own, so a parser reads the same entry
      pending = outputs.write("out", jsonLine(outcome.entry))
    } else if (outcome._tag === "Reject") {
      counts.rejected++
      pending = outputs.write("rejects", `${rejectLine(counts.lines, outcome)}\n`)
    } else {
      counts.skipped++
      counts.skippedBy[outcome.reason] = (counts.skippedBy[outcome.reason] ?? 0) + 1
    }
    if (pending !== undefined) await pending
    if (counts.lines % 50_000 === 0) options.progress(counts)
  }
  await outputs.finish()
  return counts
}

/** Whether stdin is a directory (`cdc dry-run < dir`): Node's stdin just ends on one, as if empty. */
const stdinIsDirectory = (): boolean => {
  try {
    return fstatSync(0).isDirectory()
  } catch {
    return false
  }
}

const openStdin = Effect.suspend(() => {
  if (stdinIsDirectory()) return Effect.fail(new DryRunIoError({ operation: "read", path: "stdin", code: "EISDIR" }))
  // typed `cdc dry-run` with no FILE waits on the terminal: say so, rather than seem to hang
  if (process.stdin.isTTY) process.stderr.write("dry-run: reading NDJSON from stdin (end with Ctrl-D; a FILE argument reads a file)\n")
  return Effect.succeed(process.stdin as Readable)
})

/** `-`, as for most tools, names stdin. */
const inputPath = (file: Option.Option<string>): Option.Option<string> => Option.filter(file, (path) => path !== "-")

const openInput = (file: Option.Option<string>): Effect.Effect<Readable, DryRunIoError> =>
  Option.match(inputPath(file), {
    onNone: () => openStdin,
    onSome: (path) =>
      Effect.callback<Readable, DryRunIoError>((resume) => {
        const stream = createReadStream(path)
        stream.once("error", (cause: NodeJS.ErrnoException) =>
          resume(Effect.fail(new DryRunIoError({ operation: "read", path, code: cause.code ?? "EIO" })))
        )
        stream.once("readable", () => resume(Effect.succeed(stream)))
      })
  })

const openRejects = (file: Option.Option<string>): Effect.Effect<Writable, DryRunIoError> =>
  Option.match(file, {
    onNone: () => Effect.succeed(process.stderr as Writable),
    onSome: (path) =>
      Effect.callback<Writable, DryRunIoError>((resume) => {
        const stream: WriteStream = createWriteStream(path)
        stream.once("error", (cause: NodeJS.ErrnoException) =>
          resume(Effect.fail(new DryRunIoError({ operation: "write", path, code: cause.code ?? "EIO" })))
        )
        stream.once("ready", () => resume(Effect.succeed(stream)))
      })
  })

/**
 * Whether `--rejects` names the regular file the input is read from: FILE (a link or `./`
 * spelling included), or the file stdin is redirected from (`< in.ndjson`). Opening it for the
 * rejects would truncate the input. False when either is missing or not a regular file (a
 * `/dev/null` on both sides loses nothing).
 */
const rejectsIsInput = (input: Option.Option<string>, rejects: string): boolean => {
  try {
    const x = Option.match(input, { onNone: () => fstatSync(0), onSome: (path) => statSync(path) })
    const y = statSync(rejects)
    return x.isFile() && x.dev === y.dev && x.ino === y.ino
  } catch {
    return false
  }
}

/** `… 3 skipped (operation-not-published 2, control-record 1) …`: why a record made no entry. */
const summary = (counts: DryRunCounts) => {
  const reasons = Object.entries(counts.skippedBy).map(([reason, n]) => `${reason} ${n}`)
  const skipped = reasons.length === 0 ? `${counts.skipped} skipped` : `${counts.skipped} skipped (${reasons.join(", ")})`
  const blank = counts.blank === 0 ? "" : ` (${counts.blank} blank)`
  return `dry-run: ${counts.lines} lines${blank}, ${counts.published} published, ${skipped}, ${counts.rejected} rejected\n${counts.drift.line("dry-run")}`
}

export const dryRunCommand = Command.make(
  "dry-run",
  {
    // a path, not `Argument.File`: a directory or an unreadable file is an I/O error (exit 1), not a usage error
    file: Argument.String("file").pipe(
      Argument.withDescription("NDJSON input, one change record per line (default, or -: stdin)"),
      Argument.optional
    ),
    rejects: nonEmpty(Flag.String("rejects"), "a file").pipe(
      Flag.withDescription("write rejected records (line, coordinates, reason; never values) here instead of stderr"),
      Flag.optional
    ),
    eventBus: Flag.String("event-bus").pipe(
      nonEmpty,
      Flag.withDescription("EventBusName of the entries (default: $CDC_EVENT_BUS_NAME or cdc-pipeline)"),
      Flag.optional
    )
  },
  (flags) =>
    Effect.gen(function* () {
      const keys = yield* redactionKeysConfig
      const prefix = yield* sourcePrefixConfig
      const defaultBus = yield* Config.String("CDC_EVENT_BUS_NAME").pipe(Config.withDefault("cdc-pipeline"))
      const eventBusName = Option.getOrElse(flags.eventBus, () => defaultBus)
      const path = makeRecordPath({ keys, sourcePrefix: prefix, eventBusName })
      const processedAtMillis = yield* Clock.currentTimeMillis
      // opening --rejects truncates it: the input would end after its first read, and the run exit 0
      const rejectsPath = Option.getOrUndefined(flags.rejects)
      if (rejectsPath !== undefined && rejectsIsInput(inputPath(flags.file), rejectsPath)) {
        const input = Option.match(inputPath(flags.file), {
          onNone: () => `the file stdin is read from (${rejectsPath})`,
          onSome: (file) => `the input file ${file}`
        })
        return yield* usageError("dry-run", `--rejects names ${input}; choose another file`)
      }
      const input = yield* openInput(flags.file)
      const rejects = yield* openRejects(flags.rejects)
      const counts = yield* Effect.tryPromise({
        try: () =>
          dryRunStream({
            input,
            out: process.stdout,
            rejects,
            path,
            processedAtMillis,
            progress: (c) => process.stderr.write(summary(c))
          }),
        catch: (cause) =>
          cause instanceof OutputFailed
            ? new DryRunIoError({
                operation: "write",
                path: cause.output === "out" ? "stdout" : Option.getOrElse(flags.rejects, () => "stderr"),
                code: cause.code
              })
            : new DryRunIoError({
                operation: "read",
                path: Option.getOrElse(inputPath(flags.file), () => "stdin"),
                code: (cause as NodeJS.ErrnoException).code ?? "EIO"
              })
      })
      process.stderr.write(summary(counts))
    })
).pipe(
  Command.withShortDescription("Show the EventBridge entries NDJSON change records would become, without any AWS call"),
  Command.withDescription(
    "Show the EventBridge entries the pipeline would publish for NDJSON change records (reference CDC events, " +
      "AWS DMS Kinesis JSON, or Lambda Kinesis records with base64 data), without any AWS call. " +
      "stdout: one entry per line; stderr (or --rejects): rejected records with line number, coordinates and " +
      "typed reason, never their values (a line over 64 MiB is rejected unread, as line-too-long). " +
      "The summary on stderr names the schema drift seen: undeclared columns withheld from the entries, DDL control records. " +
      "Exit 0 when the input was read to the end, 2 on usage error, 1 on I/O error. " +
      "Redaction keys come from CDC_HASH_KEY / CDC_TOKENIZE_KEY (development defaults otherwise)."
  ),
  Command.withExamples([
    { command: "cdc dry-run examples/changes.ndjson > entries.ndjson", description: "entries to a file, rejects on stderr" },
    {
      command: "cat examples/changes.ndjson | cdc dry-run --rejects rejects.ndjson",
      description: "read stdin, rejects to a file"
    }
  ])
)
