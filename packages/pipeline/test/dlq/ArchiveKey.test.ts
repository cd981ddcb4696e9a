import fc from "fast-check"
import { describe, expect, it } from "vitest"
import { archiveKey, keySegment, parseArchiveKey, segmentName } from "../../src/dlq/ArchivedFailure"

describe("archive keys", () => {
  it("keep every table name apart, within S3's safe characters and 128 characters", () => {
    fc.assert(
      fc.property(fc.string({ unit: "grapheme", maxLength: 200 }), fc.string({ unit: "grapheme", maxLength: 200 }), (a, b) => {
        const [sa, sb] = [keySegment(a), keySegment(b)]
        for (const segment of [sa, sb]) {
          expect(segment).toMatch(/^[A-Za-z0-9._=~-]{1,128}$/)
          expect([".", ".."]).not.toContain(segment)
        }
        if (a !== b) expect(sa).not.toBe(sb)
      }),
      { numRuns: 500 }
    )
  })

  it("give the table's own name back when a failure is listed", () => {
    for (const table of ["users", "a/b c", "用户", "", "..", "x~2Fy"]) {
      const key = archiveKey({ id: "dl-1", table, recordDate: 0 })
      expect(parseArchiveKey(key)).toEqual({ table, id: "dl-1", date: "1970-01-01" })
    }
    expect(segmentName(keySegment("x".repeat(300)))).toMatch(/^x{110}~~[0-9a-f]{16}$/)
  })

  it("keep a name of exactly 128 characters once escaped as it is, and shorten one character more", () => {
    const name = "t".repeat(128)
    expect(keySegment(name)).toBe(name)
    expect(keySegment(`${name}u`)).toMatch(/^t{110}~~[0-9a-f]{16}$/)
  })

  it("list a shortened name as its segment, not half decoded", () => {
    const segment = keySegment("用户".repeat(40))
    expect(segment).toContain("~~")
    expect(segmentName(segment)).toBe(segment)
  })
})
