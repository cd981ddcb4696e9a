/**
 * What the in-process functions print goes where Lambda would send it: not to the terminal (that
 * belongs to `cdc start`: the Wallboard URL, progress, the headless JSON summary) but to a log
 * file, `.cdc/logs/functions.log`, like CloudWatch Logs. The CloudWatch Embedded Metric Format
 * lines among them are read back, the way CloudWatch turns them into metrics, so the local runner
 * shows the processor's own figures (duplicates skipped, retries) without a side channel.
 *
 * @example
 * ```ts
 * const logs = captureFunctionLogs(".cdc/logs/functions.log")
 * logs.terminal.out("{\"produced\":3000}\n") // still reaches the real stdout
 * logs.metrics().cdc_skipped_duplicate // summed over every EMF line so far
 * logs.restore()
 * ```
 */
import { createWriteStream, openSync } from "node:fs"
import path from "node:path"
import { makeDirectories } from "../Directories"

export interface FunctionLogs {
  /** The real terminal, for the runner's own output. */
  readonly terminal: { readonly out: (text: string) => void; readonly err: (text: string) => void }
  /** Counters summed over all EMF lines; gauges (`Milliseconds`) as their latest value. */
  readonly metrics: () => Readonly<Record<string, number>>
  readonly file: string
  /** Gives stdout/stderr back and closes the file. */
  readonly restore: () => Promise<void>
}

interface EmfMetric {
  readonly Name: string
  readonly Unit?: string
}

/**
 * Adds the metric values of one log line, if it is an EMF line, to `totals`.
 *
 * @example
 * ```ts
 * const totals = {}
 * readEmfLine('{"_aws":{"CloudWatchMetrics":[{"Metrics":[{"Name":"cdc_retries","Unit":"Count"}]}]},"cdc_retries":2}', totals)
 * totals // { cdc_retries: 2 }
 * ```
 */
export const readEmfLine = (line: string, totals: Record<string, number>): void => {
  if (!line.startsWith("{") || !line.includes('"_aws"')) return
  let parsed: { _aws?: { CloudWatchMetrics?: ReadonlyArray<{ Metrics?: ReadonlyArray<EmfMetric> }> } } & Record<string, unknown>
  try {
    parsed = JSON.parse(line)
  } catch {
    return
  }
  for (const directive of parsed._aws?.CloudWatchMetrics ?? []) {
    for (const metric of directive.Metrics ?? []) {
      const value = parsed[metric.Name]
      if (typeof value !== "number") continue
      totals[metric.Name] = metric.Unit === "Count" || metric.Unit === undefined ? (totals[metric.Name] ?? 0) + value : value
    }
  }
}

type Write = typeof process.stdout.write

/**
 * Redirects this process's stdout and stderr to `file` until `restore`. Throws (the system's
 * error, e.g. `ENOTDIR`, `EISDIR`) when `file` cannot be opened for appending.
 */
export const captureFunctionLogs = (file: string): FunctionLogs => {
  makeDirectories(path.dirname(file))
  // opened here, not by the stream: a stream reports an unusable file later as an `error` event,
  // which would kill the process with a stack trace and leave the emulator it started running
  const sink = createWriteStream(file, { fd: openSync(file, "a") })
  const totals: Record<string, number> = {}
  const originalOut = process.stdout.write.bind(process.stdout) as Write
  const originalErr = process.stderr.write.bind(process.stderr) as Write
  // a write that fails later (a full disk) loses the functions' logs, said once, and not the run
  sink.once("error", (error: NodeJS.ErrnoException) => {
    originalErr(`cdc: cannot write ${file} (${error.code ?? "EIO"}); the functions' logs are lost from here on\n`)
    sink.on("error", () => undefined)
  })
  let partial = ""
  const capture = ((chunk: string | Uint8Array, ...rest: Array<unknown>) => {
    const text = typeof chunk === "string" ? chunk : Buffer.from(chunk).toString("utf8")
    sink.write(text)
    const lines = (partial + text).split("\n")
    partial = lines.pop() ?? ""
    for (const line of lines) readEmfLine(line, totals)
    const callback = rest.find((argument) => typeof argument === "function") as (() => void) | undefined
    callback?.()
    return true
  }) as Write
  process.stdout.write = capture
  process.stderr.write = capture
  return {
    terminal: { out: (text) => void originalOut(text), err: (text) => void originalErr(text) },
    metrics: () => ({ ...totals }),
    file,
    restore: () =>
      new Promise((resolve) => {
        process.stdout.write = originalOut
        process.stderr.write = originalErr
        sink.end(() => resolve())
      })
  }
}
