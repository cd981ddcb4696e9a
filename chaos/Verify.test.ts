import { identityDigest, kinesisIdentity } from "@cdc/domain/EventId"
import { describe, expect, it } from "vitest"
import { uncoveredFaults } from "./Faults"
import { base64Forms, type Evidence, type ProducedRecord, verify } from "./Verify"

const shardId = "shardId-000000000000"
const produced: ReadonlyArray<ProducedRecord> = ["1", "2", "3"].map((sequenceNumber) => ({
  shardId,
  sequenceNumber,
  expect: "publish",
  kind: "data",
  entity: "users#1"
}))
const delivery = (sequenceNumber: string, key = "users#1") => ({
  sequenceNumber,
  key,
  eventId: `evt_1_${identityDigest(kinesisIdentity(shardId, sequenceNumber))}`
})
const evidence = (over: Partial<Evidence>): Evidence => ({
  produced,
  deliveries: [],
  deadLetters: [],
  haystacks: [],
  canaries: [],
  positions: {},
  ...over
})

describe("the chaos verdict", () => {
  it("holds when every change is delivered in order", () => {
    expect(verify(evidence({ deliveries: ["1", "2", "3"].map((s) => delivery(s)) })).violations).toEqual([])
  })

  it("finds a lost change and an order violation", () => {
    const verdict = verify(evidence({ deliveries: [delivery("2"), delivery("1")] }))
    expect(verdict.lost).toBe(1)
    expect(verdict.orderViolations).toBe(1)
  })

  it("flags an older change redelivered last (A, B, A), not a replayed suffix (A, B, A, B)", () => {
    const stale = verify(evidence({ deliveries: ["1", "2", "3", "2"].map((s) => delivery(s)) }))
    expect(stale.orderViolations).toBe(1)
    expect(stale.violations).toEqual([expect.stringContaining("users#1 ended on 2, older than 3")])
    const replayed = verify(evidence({ deliveries: ["1", "2", "3", "2", "3"].map((s) => delivery(s)) }))
    expect(replayed.violations).toEqual([])
    expect(replayed.duplicateDeliveries).toBe(2)
  })

  it("judges order by the row the producer changed, not by the event's own entityId", () => {
    const verdict = verify(evidence({ deliveries: [delivery("1"), delivery("2", "users#2"), delivery("3")] }))
    expect(verdict.idMismatches).toBe(1)
    expect(verdict.violations).toEqual([expect.stringContaining("names users#2, but its change is of another row")])
  })

  it("does not accept valid changes given up in a discarded batch as dead-lettered", () => {
    const verdict = verify(
      evidence({
        deadLetters: [{ record: undefined, range: { shardId, start: "1", end: "3" }, reason: "retry-attempts-exhausted", where: "archive" }]
      })
    )
    expect(verdict.lost).toBe(0)
    expect(verdict.givenUp).toBe(3)
    expect(verdict.violations.length).toBe(3)
  })

  it("accepts a valid change in the DLQ only when the run refused it for good", () => {
    const verdict = verify(
      evidence({
        deliveries: [delivery("1"), delivery("3")],
        deadLetters: [{ record: `${shardId}:2`, reason: "publish-rejected", where: "dlq" }]
      })
    )
    expect(verdict.violations).toEqual([])
  })

  it("flags a DDL control record or a malformed record that was published", () => {
    const verdict = verify(
      evidence({
        produced: [...produced, { shardId, sequenceNumber: "4", expect: "skip", kind: "control" }],
        deliveries: ["1", "2", "3", "4"].map((s) => delivery(s))
      })
    )
    expect(verdict.misrouted).toBe(1)
  })

  it("finds a protected value in any haystack", () => {
    const verdict = verify(
      evidence({
        deliveries: ["1", "2", "3"].map((s) => delivery(s)),
        haystacks: [{ where: "function logs", text: 'x {"ssn":"123-45-6789"}' }],
        canaries: ["123-45-6789"]
      })
    )
    expect(verdict.leaks).toBe(1)
  })
})

describe("the leak scan", () => {
  it("finds a protected value inside base64, wherever it sits in the encoded text", () => {
    for (const prefix of ['{"a":"', '{"ab":"', '{"abc":"']) {
      const data = Buffer.from(`${prefix}123-45-6789","b":1}`).toString("base64")
      expect(base64Forms("123-45-6789").some((form) => data.includes(form))).toBe(true)
      const verdict = verify(
        evidence({
          deliveries: ["1", "2", "3"].map((s) => delivery(s)),
          haystacks: [{ where: "dlq", text: JSON.stringify({ data }) }],
          canaries: ["123-45-6789"]
        })
      )
      expect(verdict.leaks).toBe(1)
    }
  })

  it("does not take base64 of other text for a protected value", () => {
    const data = Buffer.from('{"ssn":"987-65-4321","note":"no value here"}').toString("base64")
    expect(base64Forms("123-45-6789").some((form) => data.includes(form))).toBe(false)
  })
})

describe("fault coverage", () => {
  it("names every required fault a run did not inject", () => {
    const all = {
      "EventBridge.PutEvents:throttle": 1,
      "EventBridge.PutEvents:entry-ThrottlingException": 2,
      "EventBridge.PutEvents:lost-response": 1,
      "DynamoDB.BatchGetItem:throttle": 1,
      "DynamoDB.UpdateItem:conditional-check-race": 1,
      "S3.PutObject:http-500": 1,
      "SQS.SendMessageBatch:timeout": 1
    }
    expect(uncoveredFaults(all)).toEqual([])
    const { "DynamoDB.BatchGetItem:throttle": _, ...withoutDynamoThrottle } = all
    expect(uncoveredFaults(withoutDynamoThrottle)).toEqual(["DynamoDB.*:throttle"])
    expect(uncoveredFaults({})).toHaveLength(7)
  })
})
