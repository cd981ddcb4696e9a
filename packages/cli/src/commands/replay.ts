/**
 * `cdc replay FILE`: pushes NDJSON change records (any input shape, see `local/ReplayInput.ts`)
 * into the stream with `PutRecords` (≤ 500 per call, failed entries retried), with a progress bar
 * on stderr. Targets the running `cdc start` (its emulator and stream) by default; with
 * `--stream NAME` it writes to that stream wherever the AWS SDK points (real AWS with your
 * credentials, or `AWS_ENDPOINT_URL`).
 *
 * Exit codes: 0 all written (a file with no record, or blank lines only, writes nothing and
 * makes no call), 1 a write failed (the report says from which line to resume with
 * `--from-line`), the file cannot be read or holds a record Kinesis would refuse (or a Kinesis
 * record's data that is not base64; then nothing is written), 2 usage error (no file argument, no target, a `--from-line` below 1 or past the file's
 * last line), 130 interrupted by Ctrl-C (143 SIGTERM), with the same report as a failed write.
 *
 * @example
 * ```sh
 * npx cdc replay examples/changes.ndjson                       # into the running `npm start`
 * npx cdc replay examples/changes.ndjson --stream cdc-pipeline-prod-changes --json
 * ```
 */
import * as Clock from "effect/Clock"
import { Argument, Command, Flag } from "effect/cli"
import * as Data from "effect/Data"
import * as Effect from "effect/Effect"
import * as Option from "effect/Option"
import { awsHint } from "../AwsHints"
import { type LocalEndpoint, readLocalEndpoint, startHint, useLocalEndpoint } from "../local/LocalEndpoint"
import { stderrProgress } from "../local/Progress"
import { replayBlocks, replaySource, scanReplayFile } from "../local/ReplayFile"
import { jsonLine } from "../Printable"
import { nonEmpty, stateDirFlag, usageError } from "./usage"

const usage = (message: string) => usageError("replay", message)

/**
 * Lines that cannot be written (exit code 1): records Kinesis would refuse, and Kinesis records
 * whose data is not base64. Checked before the first write, as a refused record
 * fails its `PutRecords` call without naming it, after the calls before it were written.
 */
export class ReplayRecordsRefused extends Data.TaggedError("ReplayRecordsRefused")<{
  readonly file: string
  /** The first of them (see `maxProblemsKept`). */
  readonly problems: ReadonlyArray<string>
  /** How many lines cannot be written. */
  readonly count: number
}> {
  override get message(): string {
    const shown = this.problems.slice(0, 10).map((problem) => `\n  ${problem}`)
    const more = this.count > shown.length ? `\n  … and ${this.count - shown.length} more` : ""
    return `cdc replay: ${this.file} holds ${this.count} line(s) that cannot be written; nothing was written:${shown.join("")}${more}`
  }
}

/**
 * Where to resume a replay stopped after `written` records. An interrupted replay waits for the
 * answer of the request under way, so `written` counts what it placed. What may go again on
 * resuming: records of a failed request that Kinesis placed anyway (a timeout's), and records of
 * the last request that were placed behind an entry Kinesis had refused and not yet taken; they
 * go again under new event ids, after their earlier copy, so each entity still ends on its newest
 * change.
 */
const resumeAdvice = (
  stopped: { readonly file: string; readonly resumeLine: number; readonly written: number },
  request: "failed" | "interrupted"
) => {
  const { file, resumeLine } = stopped
  const again =
    request === "failed" ? ` (records of line ${resumeLine} on that the failed request wrote go again, under new event ids)` : ""
  // nothing placed (a stream that does not exist, no credentials): no progress to resume, the same
  // command. A failed request may still have placed some of its records (`PutRecords` answers per
  // record, and `written` counts the lines before the first refused one): not "none was written".
  if (stopped.written === 0) {
    const command = `\`cdc replay ${file}${resumeLine > 1 ? ` --from-line ${resumeLine}` : ""}\``
    return request === "failed"
      ? `no line is known to be written; once the problem is fixed, run ${command} again${again}`
      : `no record was written; run ${command} again`
  }
  return `every line before ${resumeLine} is written; resume with \`cdc replay ${file} --from-line ${resumeLine}\`${again}`
}

/**
 * A write failed after its retries (exit code 1): every record before `resumeLine` is in the
 * stream, and `--from-line resumeLine` writes the rest (see {@link resumeAdvice}).
 */
export class ReplayIncomplete extends Data.TaggedError("ReplayIncomplete")<{
  readonly file: string
  readonly stream: string
  readonly written: number
  /** The first line not known to be written: where `--from-line` resumes. */
  readonly resumeLine: number
  /** What failed: the AWS error's name, never its message. */
  readonly problem: string
  /**
   * The state directory of the `cdc start` written to, when that run has stopped meanwhile: the
   * records went to its emulator, which a new `cdc start` may not have.
   */
  readonly startStopped?: string | undefined
}> {
  override get message(): string {
    const hint = awsHint(this.problem)
    const failed = `cdc replay: writing to ${this.stream} failed (${this.problem}${hint === undefined ? "" : `; ${hint}`}) after ${this.written} record(s)`
    if (this.startStopped === undefined) return `${failed}: ${resumeAdvice(this, "failed")}`
    // earlier runs of a resumed replay wrote there too: a new, empty stream needs the whole file
    return (
      `${failed}; the \`cdc start\` of ${this.startStopped} that took them has stopped, and they went with its emulator: ` +
      `into a new \`cdc start\` with its own emulator, replay the file from its first line (\`cdc replay ${this.file}\`); ` +
      `into the same emulator (AWS_ENDPOINT_URL), ${resumeAdvice(this, "failed")}`
    )
  }
}

/** Whether `now` (what the state directory announces now) is the very `cdc start` the replay began writing to. */
const isSameStart = (then: LocalEndpoint, now: LocalEndpoint | undefined): boolean =>
  now !== undefined && now.pid === then.pid && now.started === then.started && now.endpoint === then.endpoint

/** The `--json` document of a replay that stopped before the end: what was written, where to resume, why. */
const stoppedJson = (
  stopped: { readonly stream: string; readonly written: number; readonly resumeLine: number; readonly startStopped?: string | undefined },
  error: string
) => ({
  stream: stopped.stream,
  written: stopped.written,
  resumeFromLine: stopped.resumeLine,
  error,
  // the `cdc start` written to has stopped: `resumeFromLine` holds only for the same emulator
  ...(stopped.startStopped === undefined ? {} : { startStopped: true })
})

/**
 * The report of a replay stopped by Ctrl-C (or SIGTERM) while writing: the command is interrupted,
 * not failed (the exit code is the signal's, 130), so this is printed, not raised: what a failed
 * write reports, `error` being `"Interrupted"` in the JSON.
 *
 * @example
 * ```ts
 * interruptedReport({ file: "c.ndjson", stream: "s", written: 500, resumeLine: 501 }).line
 * // "cdc replay: interrupted after 500 record(s) written to s: every line before 501 is written; resume with …"
 * ```
 */
export const interruptedReport = (stopped: { file: string; stream: string; written: number; resumeLine: number }) => ({
  line: `cdc replay: interrupted after ${stopped.written} record(s) written to ${stopped.stream}: ${resumeAdvice(stopped, "interrupted")}`,
  json: stoppedJson(stopped, "Interrupted")
})

/** A block read from the file and written before the next is read (see ./local/ReplayFile): what the command holds. */
const blockSize = { records: 10_000, bytes: 32 * 1024 * 1024 }

/** The NDJSON file could not be read (exit code 1). */
export class ReplayInputError extends Data.TaggedError("ReplayInputError")<{ readonly file: string; readonly code: string }> {
  override get message(): string {
    return `cdc replay: cannot read ${this.file}: ${this.code}`
  }
}

export const replayCommand = Command.make(
  "replay",
  {
    file: Argument.String("file").pipe(Argument.withDescription("NDJSON file: one change record per line, any input shape")),
    stream: Flag.String("stream").pipe(
      nonEmpty,
      Flag.optional,
      Flag.withDescription("Target stream, by name or ARN (default: the running `cdc start`'s stream)")
    ),
    stateDir: stateDirFlag,
    fromLine: Flag.Int("from-line").pipe(
      Flag.withDefault(1),
      Flag.withDescription(
        "Skip the lines before line N (resumes a replay whose write failed or was interrupted; default 1); past the file's last line: usage error"
      )
    ),
    json: Flag.Boolean("json").pipe(Flag.withDefault(false), Flag.withDescription("Print the result as JSON"))
  },
  (flags) =>
    Effect.gen(function* () {
      if (flags.fromLine < 1) return yield* usage("--from-line takes a line number, 1 or more")
      // read twice, never held whole: once to check every record, once to write them (./local/ReplayFile)
      const source = replaySource(flags.file)
      const unreadable = (error: unknown) =>
        // an I/O error (exit 1), as for `cdc dry-run`; a usage error is a missing argument or target
        new ReplayInputError({ file: flags.file, code: (error as NodeJS.ErrnoException).code ?? "error" })
      const scan = yield* Effect.tryPromise({ try: () => scanReplayFile(source, flags.fromLine), catch: unreadable })
      // a line past the end is a mistake (another file, a typo), not a replay of nothing
      if (flags.fromLine > 1 && flags.fromLine > scan.lineCount)
        return yield* usage(`--from-line ${flags.fromLine} is past the end of ${flags.file}, which has ${scan.lineCount} line(s)`)
      let streamName = Option.getOrUndefined(flags.stream)
      // the `cdc start` written to, as it was when the replay began
      let localStart: LocalEndpoint | undefined
      if (streamName === undefined) {
        const local = readLocalEndpoint(flags.stateDir)
        localStart = local
        if (local === undefined) return yield* usage(`${startHint(flags.stateDir)}, or pass --stream NAME to write to AWS`)
        useLocalEndpoint(local)
        streamName = local.stream
      }
      if (scan.problemCount > 0) {
        if (flags.json)
          process.stdout.write(jsonLine({ stream: streamName, written: 0, refused: scan.problems, refusedLines: scan.problemCount }))
        return yield* new ReplayRecordsRefused({ file: flags.file, problems: scan.problems, count: scan.problemCount })
      }
      const startedAt = yield* Clock.currentTimeMillis
      // the leading records placed so far (after each PutRecords answer; an interruption waits for it)
      let written = 0
      // the first line not known to be written (the writes stopped before the end)
      let resumeLine = flags.fromLine
      const shards = new Set<string>()
      const target = { streamName }
      yield* Effect.gen(function* () {
        // the AWS clients are loaded here, not at the top: every other command starts without them
        const [{ makeClients }, { putAll }] = yield* Effect.promise(() =>
          Promise.all([import("../local/LocalAws"), import("../local/StreamWriter")])
        )
        const kinesis = makeClients().kinesis
        const blocks = replayBlocks(source, flags.fromLine, blockSize)
        const writeBlocks = (progress: { readonly update: (done: number, total: number) => void }) =>
          Effect.gen(function* () {
            for (;;) {
              const next = yield* Effect.tryPromise({ try: () => blocks.next(), catch: unreadable })
              if (next.done) return
              const block = next.value.records
              const base = written
              // the lines before it hold no record: the block's first is where a resume starts
              resumeLine = block[0]?.number ?? next.value.nextLine
              const placed = yield* putAll(
                kinesis,
                target,
                block.map((numbered) => numbered.record),
                (done) => {
                  written = base + done
                  resumeLine = block[done]?.number ?? next.value.nextLine
                  progress.update(written, scan.records)
                }
              )
              for (const record of placed) shards.add(record.shardId)
            }
          })
        return yield* Effect.scoped(Effect.flatMap(stderrProgress("replay"), writeBlocks)).pipe(
          Effect.ensuring(Effect.promise(() => blocks.return(undefined)))
        )
      }).pipe(
        // outside the progress's scope: the report is printed below the ended bar, not onto it
        Effect.onInterrupt(() =>
          Effect.sync(() => {
            const report = interruptedReport({ file: flags.file, stream: streamName, written, resumeLine })
            process.stderr.write(`${report.line}\n`)
            if (flags.json) process.stdout.write(jsonLine(report.json))
          })
        ),
        Effect.catch((error) => {
          const incomplete = new ReplayIncomplete({
            file: flags.file,
            stream: streamName,
            written,
            resumeLine,
            startStopped:
              localStart !== undefined && !isSameStart(localStart, readLocalEndpoint(flags.stateDir)) ? flags.stateDir : undefined,
            problem:
              error._tag === "PutRecordsExhaustedError"
                ? `${error.failed} record(s) refused: ${error.errorCode}`
                : error._tag === "ReplayInputError"
                  ? `reading ${flags.file}: ${error.code}`
                  : error.code
          })
          if (flags.json) process.stdout.write(jsonLine(stoppedJson(incomplete, incomplete.problem)))
          return Effect.fail(incomplete)
        })
      )
      const result = {
        stream: streamName,
        written,
        shards: shards.size,
        shapes: scan.shapes,
        elapsedSeconds: ((yield* Clock.currentTimeMillis) - startedAt) / 1000
      }
      if (flags.json) process.stdout.write(jsonLine(result))
      else
        process.stdout.write(
          `wrote ${result.written} record(s) to ${streamName} across ${result.shards} shard(s) in ${result.elapsedSeconds.toFixed(1)} s\n`
        )
    })
).pipe(
  Command.withShortDescription("Push NDJSON change records (any input shape) into the Kinesis stream, with a progress bar"),
  Command.withDescription(
    "Push NDJSON change records (any input shape) into the Kinesis stream, with a progress bar on stderr. " +
      "Exit 0 when every record was written; 1 when the file cannot be read, holds a record Kinesis would refuse " +
      "or Kinesis data that is not base64 " +
      "(nothing is written) or a write failed (the report gives the --from-line to resume from); 2 on usage error " +
      "(no running `cdc start` and no --stream, a --from-line below 1 or past the file's last line); " +
      "130 when interrupted by Ctrl-C (143 by SIGTERM), with the same report as a failed write."
  ),
  Command.withExamples([
    { command: "cdc replay examples/changes.ndjson", description: "into the running `cdc start`" },
    {
      command: "cdc replay examples/changes.ndjson --stream cdc-pipeline-prod-changes --json",
      description: "to AWS, with your credentials"
    }
  ])
)
