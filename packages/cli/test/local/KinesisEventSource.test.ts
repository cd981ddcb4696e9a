import type { _Record as KinesisRecord } from "@aws-sdk/client-kinesis"
import { describe, expect, it } from "vitest"
import { earliestFailure, toStreamRecord } from "../../src/local/KinesisEventSource"

const batch: ReadonlyArray<KinesisRecord> = ["100", "200", "300"].map((SequenceNumber) => ({
  SequenceNumber,
  PartitionKey: "users-1",
  Data: new TextEncoder().encode('{"a":1}'),
  ApproximateArrivalTimestamp: new Date(1_705_314_600_123)
}))

describe("earliestFailure", () => {
  it("is undefined when the batch fully succeeded", () => {
    expect(earliestFailure(batch, { batchItemFailures: [] })).toBeUndefined()
    expect(earliestFailure(batch, undefined)).toBeUndefined()
  })

  it("is the earliest reported record, whatever the order of the report", () => {
    expect(earliestFailure(batch, { batchItemFailures: [{ itemIdentifier: "300" }, { itemIdentifier: "200" }] })).toBe(1)
  })

  it("fails the whole batch for an identifier that is not in it, as Lambda does", () => {
    expect(earliestFailure(batch, { batchItemFailures: [{ itemIdentifier: "999" }] })).toBe(0)
  })
})

describe("toStreamRecord", () => {
  it("builds the record Lambda delivers: base64 data, shard-qualified event id, arrival in seconds", () => {
    const record = toStreamRecord(
      { name: "s", arn: "arn:aws:kinesis:us-east-1:1:stream/s", region: "us-east-1" },
      "shardId-000000000002",
      batch[0]!,
      0
    )
    expect(record.kinesis.data).toBe(Buffer.from('{"a":1}').toString("base64"))
    expect(record.eventID).toBe("shardId-000000000002:100")
    expect(record.kinesis.approximateArrivalTimestamp).toBe(1_705_314_600.123)
    expect(record.eventSourceARN).toBe("arn:aws:kinesis:us-east-1:1:stream/s")
    expect(record.kinesis.partitionKey).toBe("users-1")
  })
})
