import { eventIdOf, identityDigest, kinesisIdentity } from "@cdc/domain/EventId"
import { describe, expect, it } from "vitest"
import type { SimulatedRecord } from "../../src/local/ChangeSimulator"
import { classifyDeadLetter, makeLedger } from "../../src/local/Ledger"

const record = (expect: SimulatedRecord["expect"]): SimulatedRecord => ({
  partitionKey: "users-1",
  data: "{}",
  table: "users",
  kind: expect === "skip" ? "control" : expect === "reject" ? "malformed" : "data",
  expect
})
const eventIdFor = (shardId: string, sequenceNumber: string) => eventIdOf(1_700_000_000_000, kinesisIdentity(shardId, sequenceNumber))
const deadLetter = (shardId: string, sequenceNumber: string, kind = "cdc.dead-letter") =>
  JSON.stringify({ kind, reason: "invalid-json", coordinates: { shardId, sequenceNumber } })

describe("Ledger", () => {
  it("accounts a record by the event id the processor derives from its shard and sequence number", () => {
    const ledger = makeLedger()
    // The same sequence number on two shards: only the shard tells them apart.
    ledger.produced(
      [record("publish"), record("publish")],
      [
        { shardId: "shardId-000000000000", sequenceNumber: "7" },
        { shardId: "shardId-000000000001", sequenceNumber: "7" }
      ]
    )
    ledger.published(eventIdFor("shardId-000000000001", "7"))
    const report = ledger.report({})
    expect(report).toMatchObject({ produced: 2, published: 1, unaccounted: 1 })
    expect(report.unaccountedSample).toEqual(["shardId-000000000000:7"])
    expect(eventIdFor("shardId-000000000001", "7").endsWith(identityDigest("kinesis|shardId-000000000001|7"))).toBe(true)
  })

  it("holds only the records still open: a published one is counted, not kept (a run of days stays small)", () => {
    const ledger = makeLedger()
    const expects = Array.from({ length: 1_000 }, (_, i): SimulatedRecord["expect"] => (i % 100 === 0 ? "reject" : "publish"))
    const placed = expects.map((_, i) => ({ shardId: "s-0", sequenceNumber: String(1_000 + i) }))
    ledger.produced(expects.map(record), placed)
    expect(ledger.held()).toBe(1_000)
    // every record but the last published, twice (a duplicate delivery counts once)
    for (const at of [...placed.slice(0, -1), ...placed.slice(0, -1)]) ledger.published(eventIdFor(at.shardId, at.sequenceNumber))
    expect(ledger.held()).toBe(1)
    expect(ledger.publishedCount()).toBe(999)
    // the ten malformed records the simulator meant to be rejected were published: unexpected, still
    expect(ledger.report({})).toMatchObject({
      produced: 1_000,
      published: 999,
      unaccounted: 1,
      unexpected: 10,
      unaccountedSample: ["s-0:1999"]
    })
    // a dead letter of a record already published changes nothing
    ledger.deadLettered(deadLetter("s-0", "1000"))
    expect(ledger.report({})).toMatchObject({ published: 999, deadLettered: 0 })
  })

  it("accounts dead letters by coordinates, and on-failure records by sequence-number range", () => {
    const ledger = makeLedger()
    const placed = ["10", "11", "12", "100"].map((sequenceNumber) => ({ shardId: "s-0", sequenceNumber }))
    ledger.produced([record("reject"), record("publish"), record("publish"), record("publish")], placed)
    expect(ledger.deadLettered(deadLetter("s-0", "10"))).toEqual({ reason: "invalid-json", records: 1, notice: false })
    const onFailure = JSON.stringify({
      requestContext: { condition: "RetryAttemptsExhausted" },
      KinesisBatchInfo: { shardId: "s-0", startSequenceNumber: "11", endSequenceNumber: "99", batchSize: 2, streamArn: "arn" }
    })
    // the range holds the batch's records: sequence numbers are not contiguous, the batch size counts them
    expect(ledger.deadLettered(onFailure)).toEqual({ reason: "esm-retry-attempts-exhausted", records: 2, notice: false })
    // "100" > "99" only as integers: a string comparison would include it in the range.
    expect(ledger.report({})).toMatchObject({ deadLettered: 3, unaccounted: 1, unaccountedSample: ["s-0:100"] })
  })

  it("covers an on-failure range inclusively, and on its own shard only", () => {
    const ledger = makeLedger()
    const placed = [
      { shardId: "s-0", sequenceNumber: "11" },
      { shardId: "s-0", sequenceNumber: "12" },
      { shardId: "s-1", sequenceNumber: "12" }
    ]
    ledger.produced([record("publish"), record("publish"), record("publish")], placed)
    ledger.deadLettered(
      JSON.stringify({
        requestContext: { condition: "RetryAttemptsExhausted" },
        KinesisBatchInfo: { shardId: "s-0", startSequenceNumber: "11", endSequenceNumber: "12", batchSize: 2, streamArn: "arn" }
      })
    )
    expect(ledger.report({})).toMatchObject({ deadLettered: 2, unaccounted: 1, unaccountedSample: ["s-1:12"] })
  })

  it("does not count a schema-drift notice as accounting for a record", () => {
    const ledger = makeLedger()
    ledger.produced([record("publish")], [{ shardId: "s-0", sequenceNumber: "1" }])
    // a notice: the statistics count it apart from the records dead-lettered
    expect(ledger.deadLettered(deadLetter("s-0", "1", "cdc.schema-drift"))).toEqual({ reason: "invalid-json", records: 0, notice: true })
    expect(ledger.report({}).unaccounted).toBe(1)
  })

  it("accounts a record meant to be skipped once the event source position has passed it", () => {
    const ledger = makeLedger()
    ledger.produced([record("skip")], [{ shardId: "s-0", sequenceNumber: "5" }])
    expect(ledger.report({ "s-0": "4" }).unaccounted).toBe(1)
    expect(ledger.report({ "s-0": "5" })).toMatchObject({ skipped: 1, unaccounted: 0 })
  })

  it("does not account a record meant to be published by the position having passed it", () => {
    const ledger = makeLedger()
    ledger.produced([record("publish")], [{ shardId: "s-0", sequenceNumber: "5" }])
    expect(ledger.report({ "s-0": "9" })).toMatchObject({ skipped: 0, unaccounted: 1, unaccountedSample: ["s-0:5"] })
  })

  it("flags a data record that was dead-lettered instead of published as unexpected", () => {
    const ledger = makeLedger()
    ledger.produced([record("publish")], [{ shardId: "s-0", sequenceNumber: "1" }])
    ledger.deadLettered(deadLetter("s-0", "1"))
    expect(ledger.report({})).toMatchObject({ deadLettered: 1, unexpected: 1, unaccounted: 0 })
  })

  it("flags a malformed record that was published as unexpected", () => {
    const ledger = makeLedger()
    ledger.produced([record("reject")], [{ shardId: "s-0", sequenceNumber: "1" }])
    ledger.published(eventIdFor("s-0", "1"))
    expect(ledger.report({})).toMatchObject({ published: 1, unexpected: 1, unaccounted: 0 })
  })

  it("reads an unreadable DLQ message as such", () => {
    expect(classifyDeadLetter("not json")).toMatchObject({ reason: "unreadable-message", covers: false, records: 0, notice: false })
    expect(classifyDeadLetter("42")).toMatchObject({ reason: "unreadable-message", covers: false, records: 0, notice: false })
  })

  it("names an on-failure record's reason after its condition", () => {
    const onFailure = (requestContext: object) =>
      JSON.stringify({ requestContext, KinesisBatchInfo: { shardId: "s-0", startSequenceNumber: "1", endSequenceNumber: "2" } })
    expect(classifyDeadLetter(onFailure({ condition: "RecordAgeExceeded" })).reason).toBe("esm-record-age-exceeded")
    expect(classifyDeadLetter(onFailure({})).reason).toBe("esm-retry-attempts-exhausted")
  })

  it("samples up to 5 unaccounted records for the operator", () => {
    const ledger = makeLedger()
    const placed = Array.from({ length: 7 }, (_, i) => ({ shardId: "s-0", sequenceNumber: String(i + 1) }))
    ledger.produced(
      placed.map(() => record("publish")),
      placed
    )
    expect(ledger.report({}).unaccountedSample).toEqual(["s-0:1", "s-0:2", "s-0:3", "s-0:4", "s-0:5"])
  })
})
