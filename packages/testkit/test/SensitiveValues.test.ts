import fc from "fast-check"
import { describe, expect, it } from "vitest"
import { rowArbitrary, sampleRows } from "../src/Rows"
import { sensitiveValues } from "../src/SensitiveValues"

describe("SensitiveValues", () => {
  it("sensitiveValues lists the clear protected values of a row", () => {
    fc.assert(
      fc.property(rowArbitrary("users"), (row) => {
        const values = sensitiveValues("users", row)
        expect(values).toContain(row.email)
        expect(values).toContain(row.phone)
        expect(values).toContain(row.ssn)
        expect(values).not.toContain(row.first_name)
      })
    )
    const config = sampleRows("configurations", 1)[0] as Record<string, unknown>
    expect(sensitiveValues("configurations", { ...config, is_secret: 1 })).toContain(config.value)
    expect(sensitiveValues("configurations", { ...config, is_secret: false })).not.toContain(config.value)
  })
})
