import { existsSync, mkdirSync, mkdtempSync, readFileSync } from "node:fs"
import { tmpdir } from "node:os"
import path from "node:path"
import { afterEach, beforeEach, describe, expect, it } from "vitest"
import { captureFunctionLogs, readEmfLine } from "../../src/local/FunctionLogs"

const emf = (value: number) =>
  JSON.stringify({
    _aws: { CloudWatchMetrics: [{ Metrics: [{ Name: "cdc_skipped_duplicate", Unit: "Count" }] }] },
    cdc_skipped_duplicate: value
  })

// The real stdout/stderr are replaced by recorders around each test: what reaches "the terminal" is observable.
const real = { out: process.stdout.write, err: process.stderr.write }
let terminal: { out: Array<string>; err: Array<string> }
beforeEach(() => {
  terminal = { out: [], err: [] }
  process.stdout.write = ((text: string) => terminal.out.push(text) > 0) as typeof process.stdout.write
  process.stderr.write = ((text: string) => terminal.err.push(text) > 0) as typeof process.stderr.write
})
afterEach(() => {
  process.stdout.write = real.out
  process.stderr.write = real.err
})

describe("captureFunctionLogs", () => {
  it("sends what the functions print to the log file, not the terminal, and reads metrics from lines split across writes", async () => {
    const file = path.join(mkdtempSync(path.join(tmpdir(), "cdc-logs-")), "logs", "functions.log")
    const logs = captureFunctionLogs(file)
    const line = emf(2)
    process.stdout.write(line.slice(0, 20))
    process.stderr.write(`${line.slice(20)}\n${emf(3)}\n`)
    let called = false
    process.stdout.write('{"message":"batch processed"}\n', () => {
      called = true
    })
    logs.terminal.out('{"produced":3}\n')
    logs.terminal.err("cdc 3\n")
    expect(logs.metrics()).toEqual({ cdc_skipped_duplicate: 5 })
    expect(called).toBe(true)
    await logs.restore()
    process.stdout.write("after\n")
    expect(terminal).toEqual({ out: ['{"produced":3}\n', "after\n"], err: ["cdc 3\n"] })
    expect(readFileSync(file, "utf8")).toBe(`${line}\n${emf(3)}\n{"message":"batch processed"}\n`)
  })

  it("keeps the logs of earlier runs", async () => {
    const file = path.join(mkdtempSync(path.join(tmpdir(), "cdc-logs-")), "functions.log")
    for (const run of ["first", "second"]) {
      const logs = captureFunctionLogs(file)
      process.stdout.write(`${run}\n`)
      await logs.restore()
    }
    expect(readFileSync(file, "utf8")).toBe("first\nsecond\n")
  })

  it("throws when the file cannot be opened, rather than failing later with nothing listening", () => {
    const dir = mkdtempSync(path.join(tmpdir(), "cdc-logs-"))
    mkdirSync(path.join(dir, "functions.log"))
    expect(() => captureFunctionLogs(path.join(dir, "functions.log"))).toThrow(expect.objectContaining({ code: "EISDIR" }))
    process.stdout.write("still the terminal\n")
    expect(terminal.out).toEqual(["still the terminal\n"])
  })

  // Linux's /dev/full refuses every write with ENOSPC: a full disk on demand
  it.runIf(existsSync("/dev/full"))("a log file that refuses writes is said once on the terminal, and the run goes on", async () => {
    const logs = captureFunctionLogs("/dev/full")
    process.stdout.write("first\n")
    // the refusal arrives as the stream's error event, a few turns of the event loop later
    while (terminal.err.length === 0) await new Promise((resolve) => setImmediate(resolve))
    process.stdout.write("second\n")
    await logs.restore()
    expect(terminal.err).toEqual(["cdc: cannot write /dev/full (ENOSPC); the functions' logs are lost from here on\n"])
  })
})

describe("readEmfLine", () => {
  it("sums a metric declared without a unit, as a count", () => {
    const totals: Record<string, number> = {}
    const line = JSON.stringify({ _aws: { CloudWatchMetrics: [{ Metrics: [{ Name: "cdc_retries" }] }] }, cdc_retries: 2 })
    readEmfLine(line, totals)
    readEmfLine(line, totals)
    expect(totals).toEqual({ cdc_retries: 4 })
  })
})
