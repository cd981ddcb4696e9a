import type { RedriveReport, RedriveStatus } from "@cdc/pipeline/dlq/Redrive"
import { describe, expect, it } from "vitest"
import { RedriveIncomplete, renderReport } from "../src/commands/dlqRedrive"

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
  counts: { ...Object.fromEntries(statuses.map((s) => [s, 0])), failed: 1, "not-redrivable": 2, redriven: 1 } as Record<
    RedriveStatus,
    number
  >,
  items: [
    { key: "failures/orders/a.json", table: "orders", code: "invalid-json", status: "not-redrivable", reason: "malformed-record" },
    { key: "failures/orders/b.json", table: "orders", code: "invalid-json", status: "not-redrivable", reason: "malformed-record" },
    { key: "failures/users/c.json", table: "users", code: "not-an-integer", status: "failed", reason: "kinesis-throttled" },
    { key: "failures/users/d.json", table: "users", code: "not-an-integer", status: "redriven", notMarked: "s3-slow-down" }
  ]
})

describe("cdc dlq redrive: the exit-1 message", () => {
  it("says what a next run has to do, and in a dry run that nothing was written", () => {
    expect(new RedriveIncomplete({ report: report(false) }).message).toBe(
      "redrive incomplete: 1 failed, 1 redriven but not marked; run it again"
    )
    expect(new RedriveIncomplete({ report: report(true) }).message).toBe(
      "dry run: 1 matching failure(s) would not be redriven this run (nothing was written); run it again"
    )
  })
})

describe("cdc dlq redrive: the report", () => {
  it("lists each failure not put back, for now or for good, and each record put but not marked", () => {
    const text = renderReport(report(false))
    expect(text).toContain("not redrivable 2, failed 1 (stream cdc-changes)")
    expect(text).toContain("  not-redrivable (malformed-record): failures/orders/a.json\n")
    expect(text).toContain("  failed (kinesis-throttled): failures/users/c.json\n")
    expect(text).toContain("  redriven but not marked (s3-slow-down; a next run puts it again, same event ids): failures/users/d.json\n")
  })
})
