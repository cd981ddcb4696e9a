import { describe, expect, it } from "vitest"
import type { SectionResult } from "../sections/types"
import { type Report, renderMarkdown, renderTable } from "./report"

const section = (name: string, pass: ReadonlyArray<boolean>, violations: ReadonlyArray<string>): SectionResult => ({
  section: name,
  figures: {},
  checks: pass.map((ok, i) => ({ section: name, name: `check ${i}`, value: "1", target: "≤ 2", pass: ok })),
  violations
})
const report = (sections: ReadonlyArray<SectionResult>): Report => ({
  generatedAt: "2026-01-01T00:00:00Z",
  quick: false,
  machine: { cpus: 2, cpuModel: "test", memoryGiB: 4, node: "v22", platform: "linux-x64" },
  seconds: 1,
  sections
})

describe("the benchmark report", () => {
  // Checks against targets print pass/MISS; only correctness violations, counted over every section, fail.
  const mixed = report([section("first", [true, false], []), section("second", [true], ["lost 1", "leak"])])

  it("marks each check pass or MISS and counts the violations of every section", () => {
    const lines = renderTable(mixed).split("\n")
    expect(lines.filter((line) => line.startsWith("first")).map((line) => line.trimEnd().split(/\s+/).at(-1))).toEqual(["pass", "MISS"])
    expect(lines).toContain("correctness: 2 violation(s)")
    const markdown = renderMarkdown(mixed)
    expect(markdown).toContain("| first | check 1 | 1 | ≤ 2 | MISS |")
    expect(markdown).toContain("| second | check 0 | 1 | ≤ 2 | pass |")
    expect(markdown).toContain("Correctness violations: 2.")
  })

  it("says every check held only when no section has a violation, whatever the targets", () => {
    const clean = report([section("first", [false], []), section("second", [true], [])])
    expect(renderTable(clean)).toContain("correctness: all checks held")
    expect(renderMarkdown(clean)).toContain("Correctness violations: 0.")
  })
})
