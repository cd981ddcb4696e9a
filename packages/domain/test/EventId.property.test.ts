import fc from "fast-check"
import { describe, expect, it } from "vitest"
import { base36, eventIdOf, eventIdPattern, identityDigest, kinesisEventId, kinesisIdentity, millisText } from "../src/EventId"
import { timestampRange } from "../src/Timestamp"

describe("event ids", () => {
  it("print uint32 lanes in base 36 exactly as the engine does", () => {
    fc.assert(
      fc.property(fc.nat({ max: 0xffffffff }), fc.integer({ min: 1, max: 8 }), (n, width) => {
        expect(base36(n, width)).toBe(n.toString(36).padStart(width, "0"))
      }),
      { numRuns: 2000 }
    )
    expect(base36(0, 1)).toBe("0")
    expect(base36(0xffffffff, 7)).toBe("1z141z3")
  })

  it("are the same whether the Kinesis identity is fed in parts or as one text", () => {
    fc.assert(
      fc.property(fc.nat(), fc.string(), fc.string({ unit: "grapheme" }), (millis, shardId, sequenceNumber) => {
        const id = kinesisEventId(millis, shardId, sequenceNumber)
        expect(id).toBe(eventIdOf(millis, kinesisIdentity(shardId, sequenceNumber)))
        expect(id).toMatch(eventIdPattern)
      })
    )
  })

  it("print the change time as the engine does", () => {
    fc.assert(
      fc.property(fc.oneof(fc.integer({ min: -1e6, max: 2e15 }), fc.double()), (millis) => {
        expect(millisText(millis)).toBe(String(Math.max(0, millis)))
      }),
      { numRuns: 5000 }
    )
    for (const millis of [0, 999_999, 1_000_000, 1_000_001, 1_705_314_600_000, 1_705_314_600_123, 1e15 - 1, 1e15])
      expect(millisText(millis)).toBe(String(millis))
  })

  it("are the same when records of a few shards interleave (the last shard's part of the digest is kept)", () => {
    const shards = fc.constantFrom("shardId-000000000000", "shardId-000000000001", "shardId-00000000000")
    fc.assert(
      fc.property(fc.array(fc.tuple(fc.nat(), shards, fc.string()), { minLength: 2, maxLength: 20 }), (records) => {
        for (const [millis, shardId, sequenceNumber] of records)
          expect(kinesisEventId(millis, shardId, sequenceNumber)).toBe(eventIdOf(millis, kinesisIdentity(shardId, sequenceNumber)))
      })
    )
  })

  it("match the published pattern for every change time a source timestamp can have, before 1970 included", () => {
    fc.assert(
      fc.property(fc.integer({ min: timestampRange.from, max: timestampRange.to - 1 }), fc.string(), (millis, identity) => {
        expect(eventIdOf(millis, identity)).toMatch(eventIdPattern)
        expect(kinesisEventId(millis, "shardId-000000000000", identity)).toMatch(eventIdPattern)
      })
    )
    expect(eventIdOf(-1, "x")).toMatch(/^evt_0_/)
    expect(kinesisEventId(-86_400_000, "shardId-000000000000", "1")).toMatch(/^evt_0_/)
  })

  it("keep the digest of a known identity (ids already published must not change)", () => {
    // Pinned: consumers deduplicate on ids, so a change of digest would re-deliver history as new events.
    expect(identityDigest("kinesis|shardId-000000000000|49590338271490256608559692538361571095921575989136588898")).toBe("5zjguq0v5els8")
  })

  it("separate records that differ anywhere in their identity", () => {
    fc.assert(
      fc.property(fc.string({ minLength: 1 }), fc.string({ minLength: 1 }), (a, b) => {
        fc.pre(a !== b)
        expect(kinesisEventId(1, "shardId-000000000000", a)).not.toBe(kinesisEventId(1, "shardId-000000000000", b))
      })
    )
  })
})
