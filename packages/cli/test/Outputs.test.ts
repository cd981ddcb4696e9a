import { createWriteStream, existsSync } from "node:fs"
import { PassThrough, Writable } from "node:stream"
import { describe, expect, it } from "vitest"
import { OutputFailed, watchOutputs } from "../src/Outputs"

/** A file-like output: accepts `accept` writes, then fails every write with `code` (later, as a file does). */
const failingAfter = (accept: number, code: string) => {
  const received: Array<string> = []
  const stream = new Writable({
    highWaterMark: 16,
    write(chunk: Buffer, _encoding, callback) {
      if (received.length < accept) {
        received.push(chunk.toString())
        setImmediate(callback)
      } else setImmediate(() => callback(Object.assign(new Error("refused"), { code })))
    }
  })
  return { stream, received }
}

describe("watchOutputs", () => {
  it("passes every write through under back-pressure and ends the outputs", async () => {
    const slow = failingAfter(Number.POSITIVE_INFINITY, "unused")
    const outputs = watchOutputs({ out: slow.stream })
    const lines = Array.from({ length: 50 }, (_, i) => `line ${i} of a run longer than the buffer\n`)
    for (const line of lines) await outputs.write("out", line)
    await outputs.finish()
    expect(slow.received.join("")).toBe(lines.join(""))
    expect(slow.stream.writableFinished).toBe(true)
  })

  it("a refused write rejects the next write and finish, naming the output and the code", async () => {
    const good = new PassThrough()
    good.resume()
    const bad = failingAfter(1, "ENOSPC")
    const outputs = watchOutputs({ out: good, rejects: bad.stream })
    await outputs.write("rejects", "first\n")
    await new Promise((resolve) => setImmediate(resolve))
    await outputs.write("rejects", "second\n")
    await new Promise((resolve) => setImmediate(resolve))
    await expect(outputs.write("out", "third\n")).rejects.toEqual(new OutputFailed({ output: "rejects", code: "ENOSPC" }))
    await expect(outputs.finish()).rejects.toMatchObject({ _tag: "OutputFailed", output: "rejects", code: "ENOSPC" })
    expect(bad.received).toEqual(["first\n"])
  })

  it("a write waiting for drain is released by a failure instead of waiting forever", async () => {
    const bad = failingAfter(0, "EPIPE")
    const outputs = watchOutputs({ rejects: bad.stream })
    const pending = outputs.write("rejects", "longer than the sixteen-byte buffer\n")
    expect(pending, "a full buffer makes the write wait").toBeDefined()
    await expect(pending).rejects.toMatchObject({ output: "rejects", code: "EPIPE" })
  })

  // Linux's /dev/full fails every write with ENOSPC, and a file stream reports the failure of its
  // last write to `end`'s callback before it emits `error`
  it.runIf(existsSync("/dev/full"))("a file whose last write fails as it ends is reported by finish", async () => {
    const file = createWriteStream("/dev/full")
    await new Promise<void>((resolve) => file.once("ready", () => resolve()))
    const outputs = watchOutputs({ rejects: file })
    expect(outputs.write("rejects", "short\n"), "fits the buffer: no waiting").toBeUndefined()
    await expect(outputs.finish()).rejects.toMatchObject({ output: "rejects", code: "ENOSPC" })
  })
})
