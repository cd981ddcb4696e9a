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

  it("when the `cdc start` written to has stopped, says a new one's stream may be empty, and from which line to replay", () => {
    const message = new ReplayIncomplete({ ...failed, startStopped: { stateDir: ".cdc", fromLine: 1 } }).message
    expect(message).toContain("the `cdc start` of .cdc has stopped, and the records went to its emulator")
    expect(message).toContain("so replay from line 1 into it")
  })

  it("an interruption waits for the request under way, so its report promises nothing goes twice", () => {
    const report = interruptedReport({ file: "c.ndjson", stream: "s", written: 500, resumeLine: 501 })
    expect(report.line).toBe(
      "cdc replay: interrupted after 500 record(s) written to s: every line before 501 is written; resume with `cdc replay c.ndjson --from-line 501`"
    )
    expect(report.json).toEqual({ stream: "s", written: 500, resumeFromLine: 501, error: "Interrupted" })
  })
})
