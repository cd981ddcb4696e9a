/**
 * The outputs of a streaming command (`cdc dry-run`'s entries and rejects): writes that wait for
 * `drain` when a buffer is full, and the first error of any output ending the run.
 *
 * Without the second half a full disk or a closed file would go unnoticed: a write that fails
 * emits `error` and never `drain`, so the run would either wait forever or carry on and exit 0
 * with its output lost.
 *
 * @example
 * ```ts
 * const outputs = watchOutputs({ out: process.stdout, rejects })
 * await outputs.write("out", `${line}\n`)
 * await outputs.finish() // rejects with OutputFailed if any write failed
 * ```
 */
import type { Writable } from "node:stream"
import * as Data from "effect/Data"

/** An output refused a write (`ENOSPC`, `EBADF`, …): which one, and the system's code. */
export class OutputFailed<Name extends string = string> extends Data.TaggedError("OutputFailed")<{
  readonly output: Name
  readonly code: string
}> {}

export interface Outputs<Name extends string> {
  /** Writes `text`; the promise (only when the buffer is full) settles on `drain` or on a failure. */
  readonly write: (output: Name, text: string) => Promise<void> | undefined
  /** Ends the outputs (the process's own stdout and stderr are only flushed) and reports a failure seen on any. */
  readonly finish: () => Promise<void>
}

const isStdio = (stream: Writable) => stream === process.stdout || stream === process.stderr

/**
 * Watches the named streams for errors from now on.
 *
 * @example
 * ```ts
 * const outputs = watchOutputs({ out: process.stdout })
 * ```
 */
export const watchOutputs = <Name extends string>(streams: Readonly<Record<Name, Writable>>): Outputs<Name> => {
  let failure: OutputFailed<Name> | undefined
  let fail: (error: OutputFailed<Name>) => void = () => undefined
  const failed = new Promise<never>((_, reject) => {
    fail = reject
  })
  failed.catch(() => undefined) // observed through `write` and `finish`
  const names = Object.keys(streams) as Array<Name>
  const failWith = (output: Name) => (error: NodeJS.ErrnoException) => {
    // the stream's first error is the cause (ENOSPC); writes after it fail with ERR_STREAM_DESTROYED
    const cause: NodeJS.ErrnoException = streams[output].errored ?? error
    failure ??= new OutputFailed({ output, code: cause.code ?? "EIO" })
    fail(failure)
  }
  const detach = names.map((output) => {
    const listener = failWith(output)
    streams[output].on("error", listener)
    return () => streams[output].off("error", listener)
  })
  const settled = (event: Promise<void>) => Promise.race([event, failed])
  const drained = (stream: Writable) => settled(new Promise((resolve) => stream.once("drain", () => resolve())))
  // a file's last write may fail while it ends: `end` hands that error to its callback before `error` is emitted
  const ended = (output: Name) =>
    settled(new Promise((resolve) => streams[output].end((error?: Error | null) => (error ? failWith(output)(error) : resolve()))))

  return {
    write: (output, text) => {
      if (failure !== undefined) return Promise.reject(failure)
      const stream = streams[output]
      return stream.write(text) ? undefined : drained(stream)
    },
    finish: async () => {
      for (const output of names) {
        const stream = streams[output]
        if (!isStdio(stream)) await ended(output)
        else if (stream.writableNeedDrain) await drained(stream)
      }
      // the process's own stdout and stderr are not ended: an error of their last write comes on the next tick
      await new Promise((resolve) => setImmediate(resolve))
      if (failure !== undefined) throw failure
      // only now: a failed stream may still emit `error`, which without a listener would crash the process
      for (const off of detach) off()
    }
  }
}
