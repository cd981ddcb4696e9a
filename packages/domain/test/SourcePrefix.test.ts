import { describe, expect, it } from "vitest"
import { defaultSourcePrefix, maxSourcePrefixLength, sourcePrefixProblem } from "../src/SourcePrefix"
import { tableNames } from "../src/Tables"

describe("SourcePrefix", () => {
  it("accepts dotted names, the default among them", () => {
    for (const prefix of [defaultSourcePrefix, "acme", "acme.cdc", "Acme_CDC-2", "awsome", "my.aws", "x".repeat(maxSourcePrefixLength)])
      expect(sourcePrefixProblem(prefix), prefix).toBeUndefined()
  })

  it("refuses what the rules could not match as <prefix>.<table>", () => {
    for (const prefix of ["", "Bad Prefix", ".cdc", "-cdc", "cdc/x", "cdc*", "用户"])
      expect(sourcePrefixProblem(prefix), prefix).toContain("must be letters, digits")
  })

  it("refuses AWS's own sources, which PutEvents refuses from an account", () => {
    for (const prefix of ["aws", "aws.cdc", "AWS.cdc", "Aws"]) expect(sourcePrefixProblem(prefix), prefix).toContain("is reserved")
  })

  it("refuses a prefix that would make some table's Source longer than EventBridge's 256 characters, and no shorter one", () => {
    const longestTable = Math.max(...tableNames.map((name) => name.length))
    expect(maxSourcePrefixLength + 1 + longestTable).toBe(256)
    expect(sourcePrefixProblem("x".repeat(maxSourcePrefixLength + 1))).toContain("longer than the 241")
  })
})
