/**
 * The lines of the file `cdc replay` writes, read twice without holding the file: once to check
 * every record before anything is written ({@link scanReplayFile}), once to write them, a block
 * at a time ({@link replayBlocks}). A regular file is read from disk each time, so its size is not
 * bounded by memory or by V8's longest string (≈ 512 MiB); anything else (a pipe, `/dev/stdin`)
 * can be read once only, and is held, line by line, after its first read.
 *
 * @example
 * ```ts
 * const source = replaySource("changes.ndjson")
 * const scan = await scanReplayFile(source, 1)
 * for await (const block of replayBlocks(source, 1, { records: 10_000, bytes: 32 * 1024 * 1024 })) write(block.records)
 * ```
 */
import { createReadStream, statSync } from "node:fs"
import { type NdjsonLine, ndjsonLines } from "../NdjsonLines"
import { maxRecordBytes, type ReplayRecord, recordProblem, toReplayRecord } from "./ReplayInput"

/** One line of the file, numbered as an editor numbers it (from 1). */
export interface NumberedLine {
  readonly number: number
  readonly line: NdjsonLine
}

export interface ReplaySource {
  /** The file's lines, from the first; each call reads them again. */
  readonly lines: () => AsyncIterable<NumberedLine>
}

/**
 * The longest line read: a Kinesis record holds at most 1 MiB, a line of base64 data 4/3 of that.
 * A longer one is refused unread (see `ndjsonLines`).
 */
export const maxReplayLineBytes = 2 * maxRecordBytes

async function* numbered(input: AsyncIterable<Buffer | string>): AsyncGenerator<NumberedLine> {
  let number = 0
  for await (const line of ndjsonLines(input, maxReplayLineBytes)) yield { number: ++number, line }
}

const isRegularFile = (path: string): boolean => {
  try {
    return statSync(path).isFile()
  } catch {
    // missing or unreadable: the first read fails with the system's code
    return false
  }
}

/**
 * The file changed between its reads: what was checked is not what would be written. Its `code`
 * is what the report names, as a system error's would be.
 */
export class ReplayFileChanged extends Error {
  readonly code = "changed-since-checked"
}

const stamp = (path: string) => {
  const stat = statSync(path)
  return `${stat.ino}/${stat.size}/${stat.mtimeMs}`
}

/** The lines of `path`, readable as often as asked (see the module doc). */
export const replaySource = (path: string): ReplaySource => {
  if (isRegularFile(path)) {
    let first: string | undefined
    return {
      lines: async function* () {
        // a file written to meanwhile would have its new lines written unchecked
        const now = stamp(path)
        if (first !== undefined && now !== first) throw new ReplayFileChanged(`${path} changed since it was checked`)
        first ??= now
        yield* numbered(createReadStream(path))
      }
    }
  }
  let held: Array<NumberedLine> | undefined
  return {
    lines: async function* () {
      if (held !== undefined) return yield* held
      const read: Array<NumberedLine> = []
      for await (const line of numbered(createReadStream(path))) {
        read.push(line)
        yield line
      }
      held = read
    }
  }
}

/** A record to write, with the line it came from. */
export interface NumberedRecord {
  readonly number: number
  readonly record: ReplayRecord
}

/** Why a line holds no record to write, or `undefined`; `record` is what it holds otherwise. */
const recordOf = ({ number, line }: NumberedLine): { readonly problem: string } | { readonly record: ReplayRecord } | undefined => {
  if (line._tag === "TooLong") return { problem: `line of ${line.bytes} bytes, longer than any record Kinesis takes (not read)` }
  const text = line.text.trim()
  if (text.length === 0) return undefined
  const record = toReplayRecord(text, number)
  const problem = recordProblem(record)
  return problem === undefined ? { record: record as ReplayRecord } : { problem }
}

/** The refused lines kept for the report: the count covers them all. */
export const maxProblemsKept = 10_000

export interface ReplayScan {
  /** Lines in the file, as an editor numbers them (a final newline ends the last line). */
  readonly lineCount: number
  /** Records to write from `fromLine` on. */
  readonly records: number
  /** Records to write by input shape. */
  readonly shapes: Readonly<Record<string, number>>
  /** `line N: why`, for the first {@link maxProblemsKept} lines that cannot be written. */
  readonly problems: ReadonlyArray<string>
  readonly problemCount: number
}

/**
 * Reads the whole file once: its line count, and from `fromLine` on the records to write and
 * the lines that cannot be written (which stop the run before anything is written).
 */
export const scanReplayFile = async (source: ReplaySource, fromLine: number): Promise<ReplayScan> => {
  let lineCount = 0
  let records = 0
  let problemCount = 0
  const shapes: Record<string, number> = {}
  const problems: Array<string> = []
  for await (const numberedLine of source.lines()) {
    lineCount = numberedLine.number
    if (numberedLine.number < fromLine) continue
    const outcome = recordOf(numberedLine)
    if (outcome === undefined) continue
    if ("problem" in outcome) {
      problemCount++
      if (problems.length < maxProblemsKept) problems.push(`line ${numberedLine.number}: ${outcome.problem}`)
      continue
    }
    records++
    shapes[outcome.record.shape] = (shapes[outcome.record.shape] ?? 0) + 1
  }
  return { lineCount, records, shapes, problems, problemCount }
}

/** Up to `size` records, in file order, and the line after the last line read for them. */
export interface ReplayBlock {
  readonly records: ReadonlyArray<NumberedRecord>
  readonly nextLine: number
}

/** A block's limits: records, and bytes of their lines (a record of a line takes up to 1 MiB). */
export interface BlockSize {
  readonly records: number
  readonly bytes: number
}

/**
 * The records from `fromLine` on, a block at a time (the file is read as the blocks are taken),
 * each closed at `size.records` records or once its lines reach `size.bytes`. The lines were
 * scanned before: a line that now cannot be written means the file changed
 * ({@link ReplayFileChanged}).
 */
export async function* replayBlocks(source: ReplaySource, fromLine: number, size: BlockSize): AsyncGenerator<ReplayBlock> {
  let block: Array<NumberedRecord> = []
  let bytes = 0
  let nextLine = fromLine
  for await (const numberedLine of source.lines()) {
    if (numberedLine.number < fromLine) continue
    nextLine = numberedLine.number + 1
    const outcome = recordOf(numberedLine)
    if (outcome === undefined) continue
    if ("problem" in outcome) throw new ReplayFileChanged(`line ${numberedLine.number} changed since it was checked`)
    block.push({ number: numberedLine.number, record: outcome.record })
    bytes += numberedLine.line._tag === "Line" ? numberedLine.line.text.length : 0
    if (block.length >= size.records || bytes >= size.bytes) {
      yield { records: block, nextLine }
      block = []
      bytes = 0
    }
  }
  if (block.length > 0) yield { records: block, nextLine }
}
