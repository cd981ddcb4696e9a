import { describe, expect, it } from "vitest"
import { makeTopology } from "../src/Topology"

const { resources, functions } = makeTopology({ stage: "dev" })

describe("stream and state", () => {
  it("is an encrypted, on-demand stream by default", () => {
    expect(resources.stream).toMatchObject({
      name: "cdc-pipeline-dev-changes",
      capacity: { _tag: "OnDemand" },
      encryption: { type: "KMS", keyId: "alias/aws/kinesis" }
    })
  })

  it("keeps checkpoints in an on-demand table with point-in-time recovery and a TTL, keyed as the processor writes them", () => {
    expect(resources.stateTable).toEqual({
      name: "cdc-pipeline-dev-state",
      billing: "PAY_PER_REQUEST",
      pointInTimeRecovery: true,
      ttlAttribute: "expiresAt",
      key: { partitionKey: "pk", sortKey: undefined },
      deletionProtection: false
    })
  })
})

describe("failure handling", () => {
  it("encrypts the DLQ and parks what its worker keeps failing on", () => {
    expect(resources.dlq.encrypted).toBe(true)
    expect(resources.dlq.redrive).toEqual({ maxReceiveCount: 5, to: resources.parkingQueue.name })
    expect(resources.parkingQueue.encrypted).toBe(true)
    expect(resources.parkingQueue.redrive).toBeUndefined()
    // Parked letters as long as SQS allows; dead letters fewer days, since a parked letter's
    // retention counts from when it entered the DLQ (the dlq-age alarm pages after 10 minutes)
    expect([resources.dlq.retentionSeconds, resources.parkingQueue.retentionSeconds]).toEqual([864_000, 1_209_600])
  })

  it("holds a DLQ message invisible for six worker timeouts (AWS's advice for SQS event sources)", () => {
    expect(resources.dlq.visibilityTimeoutSeconds).toBe(functions.dlqWorker.timeoutSeconds * 6)
  })

  it("keeps the archive private and encrypted, moving objects to cheaper storage as they age", () => {
    const bucket = resources.archiveBucket
    expect([bucket.encryption, bucket.blockPublicAccess]).toEqual(["AES256", true])
    const days = bucket.transitions.map((t) => t.days)
    expect(days).toEqual([...days].sort((a, b) => a - b))
    const cheaper = ["STANDARD_IA", "GLACIER_IR", "GLACIER"]
    const classes = bucket.transitions.map((t) => cheaper.indexOf(t.storageClass))
    expect(classes.every((c, i) => c >= 0 && (i === 0 || c > (classes[i - 1] ?? -1)))).toBe(true)
    // STANDARD_IA requires objects to stay 30 days in STANDARD first.
    expect(days[0]).toBeGreaterThanOrEqual(30)
  })
})
