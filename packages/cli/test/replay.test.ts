import { describe, expect, it } from "vitest"
import { interruptedReport, ReplayIncomplete } from "../src/commands/replay"

describe("cdc replay's reports", () => {
  const failed = { file: "c.ndjson", stream: "s", written: 5_500, resumeLine: 5_501, problem: "ECONNREFUSED" }

  it("a failed write says where to resume, and that records of the failed request may go again", () => {
    const message = new ReplayIncomplete(failed).message
    expect(message).toContain("writing to s failed (ECONNREFUSED; nothing listens at the endpoint")
    expect(message).toContain("after 5500 record(s): every line before 5501 is written; resume with `cdc replay c.ndjson --from-line 5501`")
    expect(message).toContain("the failed request wrote go again")
    expect(message).not.toContain("has stopped")
  })

  it("a write that failed before any record was placed (a stream that does not exist) says to run it again, not to resume", () => {
    const first = new ReplayIncomplete({ ...failed, written: 0, resumeLine: 1, problem: "ResourceNotFoundException" }).message
    expect(first).toContain("after 0 record(s): no line is known to be written; once the problem is fixed, run `cdc replay c.ndjson` again")
    // the request that failed may have placed some of its records (a throttled PutRecords answers per record)
    expect(first).not.toContain("no record was written")
    expect(first).toContain("the failed request wrote go again")
    // an interruption before the first answer: no problem to fix
    const interrupted = interruptedReport({ file: "c.ndjson", stream: "s", written: 0, resumeLine: 1 }).line
    expect(interrupted).toContain("no record was written; run `cdc replay c.ndjson` again")
    expect(interrupted).not.toContain("problem")
    expect(first).not.toContain("every line before")
    const resumed = new ReplayIncomplete({ ...failed, written: 0, resumeLine: 10, problem: "ResourceNotFoundException" }).message
    expect(resumed).toContain("run `cdc replay c.ndjson --from-line 10` again")
  })

  it("when the `cdc start` written to has stopped, says a new one's stream is empty: the whole file, even for a resumed replay", () => {
    const message = new ReplayIncomplete({ ...failed, resumeLine: 5_511, startStopped: ".cdc" }).message
    expect(message).toContain("the `cdc start` of .cdc that took them has stopped, and they went with its emulator")
    expect(message).toContain("into a new `cdc start` with its own emulator, replay the file from its first line (`cdc replay c.ndjson`)")
    expect(message).toContain("into the same emulator (AWS_ENDPOINT_URL), every line before 5511 is written; resume with")
  })

  it("an interruption waits for the request under way, so its report promises nothing goes twice", () => {
    const report = interruptedReport({ file: "c.ndjson", stream: "s", written: 500, resumeLine: 501 })
    expect(report.line).toBe(
      "cdc replay: interrupted after 500 record(s) written to s: every line before 501 is written; resume with `cdc replay c.ndjson --from-line 501`"
    )
    expect(report.json).toEqual({ stream: "s", written: 500, resumeFromLine: 501, error: "Interrupted" })
  })
})
