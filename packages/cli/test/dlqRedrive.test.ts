import type { RedriveReport, RedriveStatus } from "@cdc/pipeline/dlq/Redrive"
import { describe, expect, it } from "vitest"
import { RedriveIncomplete } from "../src/commands/dlqRedrive"

const statuses: ReadonlyArray<RedriveStatus> = [
  "redriven",
  "would-redrive",
  "already-redriven",
  "duplicate",
  "skipped",
  "not-redrivable",
  "unavailable",
  "failed"
]
const report = (dryRun: boolean): RedriveReport => ({
  stream: "cdc-changes",
  dryRun,
  counts: { ...Object.fromEntries(statuses.map((s) => [s, 0])), "not-redrivable": 2 } as Record<RedriveStatus, number>,
  items: [
    { key: "failures/orders/a.json", table: "orders", code: "invalid-json", status: "not-redrivable", reason: "malformed-record" },
    { key: "failures/orders/b.json", table: "orders", code: "invalid-json", status: "not-redrivable", reason: "malformed-record" }
  ]
})

describe("cdc dlq redrive: the exit-1 message", () => {
  it("says what was not redriven, and in a dry run that it would not be and nothing was written", () => {
    expect(new RedriveIncomplete({ report: report(false) }).message).toBe(
      "redrive incomplete: 0 failed, 0 expired from the stream, 2 not redrivable, 0 redriven but not marked"
    )
    expect(new RedriveIncomplete({ report: report(true) }).message).toBe(
      "dry run: not every matching failure would be redriven: 0 failed, 0 expired from the stream, 2 not redrivable (nothing was written)"
    )
  })
})
