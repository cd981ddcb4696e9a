/**
 * The checkpoint's `seqKey`: the form DynamoDB's conditional write compares as a string. Its width
 * is part of the stored format (README, Checkpoints): items written by earlier versions hold keys
 * of 129 characters, and a key of another width would compare wrongly against them.
 */
import fc from "fast-check"
import { describe, expect, it } from "vitest"
import { compareSequenceNumbers, sequenceKey } from "../src/SequenceNumber"

const sequenceNumber = fc.oneof(
  fc.constant("0"),
  fc
    .tuple(fc.integer({ min: 1, max: 9 }), fc.string({ unit: fc.constantFrom(..."0123456789"), maxLength: 128 }))
    .map(([d, rest]) => `${d}${rest}`)
)

describe("sequenceKey", () => {
  it("is the number zero-padded to 129 digits, the width of the keys already stored", () => {
    expect(sequenceKey("10")).toBe(`${"0".repeat(127)}10`)
    expect(sequenceKey("49590338271490256608559692538361571095921575989136588898")).toHaveLength(129)
    expect(sequenceKey("9".repeat(129))).toBe("9".repeat(129))
  })

  it("orders as strings exactly as the numbers order, whatever their lengths (property)", () => {
    fc.assert(
      fc.property(sequenceNumber, sequenceNumber, (a, b) => {
        const x = sequenceKey(a)
        const y = sequenceKey(b)
        expect(Math.sign(x < y ? -1 : x > y ? 1 : 0)).toBe(compareSequenceNumbers(a, b))
      })
    )
  })
})
