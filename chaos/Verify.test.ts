import { identityDigest, kinesisIdentity } from "@cdc/domain/EventId"
import { describe, expect, it } from "vitest"
import { uncoveredFaults } from "./Faults"
import { base64Forms } from "./LeakScan"
import { type Evidence, eventContent, type ProducedRecord, verify } from "./Verify"

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
  refused: new Set(),
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
    expect(verdict.violations).toContainEqual(expect.stringContaining(`lost: data record ${shardId}:3`))
  })

  it("flags a change delivered out of order even when its row ends on the newest change", () => {
    const verdict = verify(evidence({ deliveries: ["1", "3", "2", "3"].map((s) => delivery(s)) }))
    expect(verdict.orderViolations).toBe(1)
    expect(verdict.violations).toEqual([expect.stringContaining("users#1 received 2 after 3")])
  })

  it("flags an older change redelivered last (A, B, A), not a replayed suffix (A, B, A, B)", () => {
    const stale = verify(evidence({ deliveries: ["1", "2", "3", "2"].map((s) => delivery(s)) }))
    expect(stale.orderViolations).toBe(1)
    expect(stale.violations).toEqual([expect.stringContaining("users#1 ended on 2, older than 3")])
    const replayed = verify(evidence({ deliveries: ["1", "2", "3", "2", "3"].map((s) => delivery(s)) }))
    expect(replayed.violations).toEqual([])
    expect(replayed.duplicateDeliveries).toBe(2)
  })

  it("says when the newest change of a stale row was dead-lettered on its replay", () => {
    const verdict = verify(
      evidence({
        deliveries: ["1", "2", "3", "2"].map((s) => delivery(s)),
        deadLetters: [{ record: `${shardId}:3`, reason: "publish-rejected", where: "archive" }]
      })
    )
    expect(verdict.violations).toEqual([
      expect.stringMatching(/users#1 ended on 2, older than 3 .*; 3 was then dead-lettered as publish-rejected$/)
    ])
  })

  it("judges order by the row the producer changed, not by the event's own entityId", () => {
    const verdict = verify(evidence({ deliveries: [delivery("2", "users#2"), delivery("1"), delivery("3")] }))
    expect(verdict.idMismatches).toBe(1)
    expect(verdict.orderViolations).toBe(1)
    expect(verdict.violations).toEqual([
      expect.stringContaining("names users#2, but its change is of another row"),
      expect.stringContaining("users#1 received 1 after 2")
    ])
  })

  it("flags an event that is no produced change, and one change delivered under two ids", () => {
    const phantom = { sequenceNumber: "9", key: "users#1", eventId: "evt_1_not-a-digest" }
    const second = { ...delivery("2"), eventId: delivery("2").eventId.replace("evt_1_", "evt_7_") }
    const verdict = verify(evidence({ deliveries: [delivery("1"), delivery("2"), second, delivery("3"), phantom] }))
    expect(verdict.lost).toBe(0)
    expect(verdict.idMismatches).toBe(2)
    expect(verdict.violations).toEqual([
      "event evt_1_not-a-digest is not the deterministic id of a produced change",
      "the change 2 was delivered under 2 event ids"
    ])
  })

  it("does not count an event as its id's change when it claims another sequence number", () => {
    const verdict = verify(evidence({ deliveries: [delivery("1"), delivery("2"), { ...delivery("3"), sequenceNumber: "2" }] }))
    expect(verdict.lost).toBe(1)
    expect(verdict.violations).toContainEqual(expect.stringContaining("is not the deterministic id of a produced change"))
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

  it("counts a change outside every discarded batch (later on the shard, or on another shard) as lost", () => {
    const batch = (on: string, start: string, end: string) => ({
      record: undefined,
      range: { shardId: on, start, end },
      reason: "esm-retry-attempts-exhausted",
      where: "dlq" as const
    })
    const verdict = verify(evidence({ deadLetters: [batch(shardId, "1", "1"), batch("shardId-000000000001", "2", "3")] }))
    expect(verdict.givenUp).toBe(1)
    expect(verdict.lost).toBe(2)
  })

  it("accepts a valid change in the DLQ only when the run refused its entry for good", () => {
    const rejected = {
      deliveries: [delivery("1"), delivery("3")],
      deadLetters: [{ record: `${shardId}:2`, reason: "publish-rejected", where: "dlq" as const }]
    }
    const refusedId = `evt_1705314600000_${identityDigest(kinesisIdentity(shardId, "2"))}`
    expect(verify(evidence({ ...rejected, refused: new Set([refusedId]) })).violations).toEqual([])
    // dead-lettered as refused, but the run never refused it: a retryable failure taken for a permanent one
    const notRefused = verify(evidence(rejected))
    expect(notRefused.givenUp).toBe(1)
    expect(notRefused.violations).toEqual([`given up: a valid record ${shardId}:2 reached the DLQ as publish-rejected, not delivered`])
  })

  it("flags a DDL control record or a malformed record that was published", () => {
    const verdict = verify(
      evidence({
        produced: [
          ...produced,
          { shardId, sequenceNumber: "4", expect: "skip", kind: "control" },
          { shardId, sequenceNumber: "5", expect: "reject", kind: "malformed" }
        ],
        deliveries: ["1", "2", "3", "4", "5"].map((s) => delivery(s))
      })
    )
    expect(verdict.misrouted).toBe(2)
    expect(verdict.violations).toEqual([`a control record was published (${shardId}:4)`, `a malformed record was published (${shardId}:5)`])
  })

  it("accepts a DDL control record only once the stored position has reached it", () => {
    const control = (sequenceNumber: string, position?: string) =>
      verify(
        evidence({
          produced: [...produced, { shardId, sequenceNumber, expect: "skip", kind: "control" }],
          deliveries: ["1", "2", "3"].map((s) => delivery(s)),
          positions: position === undefined ? {} : { [shardId]: position }
        })
      )
    for (const [sequenceNumber, position] of [
      ["4", "4"],
      ["9", "10"]
    ] as const) {
      expect(control(sequenceNumber, position)).toMatchObject({ skipped: 1, lost: 0, violations: [] })
    }
    for (const position of ["3", undefined]) {
      const verdict = control("4", position)
      expect(verdict).toMatchObject({ skipped: 0, lost: 1 })
      expect(verdict.violations).toEqual([`control record not passed (${shardId}:4)`])
    }
  })

  it("counts a malformed record as lost unless some dead letter (the archive's too) accounts for it", () => {
    const malformed: ProducedRecord = { shardId, sequenceNumber: "4", expect: "reject", kind: "malformed" }
    const run = (deadLetters: Evidence["deadLetters"]) =>
      verify(
        evidence({
          produced: [...produced, malformed],
          deliveries: ["1", "2", "3"].map((s) => delivery(s)),
          deadLetters,
          positions: { [shardId]: "4" }
        })
      )
    expect(run([]).lost).toBe(1)
    const archived = run([{ record: `${shardId}:4`, reason: "invalid-json", where: "archive" }])
    expect(archived).toMatchObject({ lost: 0, deadLettered: { "invalid-json": 1 }, violations: [] })
  })

  it("checks order on every consumer queue, but counts deliveries and duplicates on the tap alone", () => {
    const on = (queue: string) => (s: string) => ({ ...delivery(s), queue })
    const verdict = verify(evidence({ deliveries: [...["1", "2", "3"].map(on("tap")), ...["1", "3", "2"].map(on("audit"))] }))
    expect(verdict).toMatchObject({ delivered: 3, orderViolations: 1, duplicateDeliveries: 0 })
    expect(verdict.violations).toEqual([expect.stringMatching(/users#1 received 2 after 3 .* on the audit queue$/)])
    // a consumer queue alone does not make a change delivered
    expect(verify(evidence({ deliveries: ["1", "2", "3"].map(on("audit")) })).lost).toBe(3)
  })

  it("flags an event under its change's id whose content is not its change's event", () => {
    const event = (status: string, processedAt: string) => ({
      source: "cdc-pipeline.users",
      detailType: "user.updated",
      time: "2024-01-15T10:30:00.250Z",
      detail: { entityId: "1", changes: { status: { new: status } }, metadata: { sequenceNumber: "2", processedAt } }
    })
    const expected = eventContent(event("active", "2024-01-15T10:30:01.000Z"))
    const withExpected = produced.map((p) => (p.sequenceNumber === "2" ? { ...p, expected } : p))
    const run = (content: string) =>
      verify(evidence({ produced: withExpected, deliveries: [delivery("1"), { ...delivery("2"), content }, delivery("3")] }))
    // another processedAt and EventBridge's time to the second are the same event
    expect(run(eventContent({ ...event("active", "2024-01-15T10:31:00.000Z"), time: "2024-01-15T10:30:00Z" })).violations).toEqual([])
    const stale = run(eventContent(event("closed", "2024-01-15T10:30:01.000Z")))
    expect(stale).toMatchObject({ contentMismatches: 1, contentCompared: 1 })
    expect(stale.violations).toEqual([`event ${delivery("2").eventId} on the tap queue is not the event of its change`])
    expect(run(eventContent({ ...event("active", "x"), detailType: "user.created" })).contentMismatches).toBe(1)
    expect(run(eventContent({ ...event("active", "x"), time: "2024-01-15T10:30:01Z" })).contentMismatches).toBe(1)
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
    expect(verdict.violations).toEqual(["a protected value (11 chars) appears in function logs"])
  })
})

describe("the leak scan", () => {
  it("finds a protected value, even the shortest (6 characters), inside base64 wherever it sits in the encoded text", () => {
    for (const canary of ["123-45-6789", "482913"]) {
      for (const prefix of ['{"a":"', '{"ab":"', '{"abc":"']) {
        const data = Buffer.from(`${prefix}${canary}","b":1}`).toString("base64")
        expect(base64Forms(canary).some((form) => data.includes(form))).toBe(true)
        const verdict = verify(
          evidence({
            deliveries: ["1", "2", "3"].map((s) => delivery(s)),
            haystacks: [{ where: "dlq", text: JSON.stringify({ data }) }],
            canaries: [canary]
          })
        )
        expect(verdict.leaks).toBe(1)
      }
    }
  })

  it("finds a protected JSON value written JSON-escaped inside a log line", () => {
    const canary = '{"pin":"482913"}'
    const verdict = verify(
      evidence({
        deliveries: ["1", "2", "3"].map((s) => delivery(s)),
        haystacks: [{ where: "function logs", text: JSON.stringify({ message: `rejected ${canary} for user 1` }) }],
        canaries: [canary]
      })
    )
    expect(verdict.leaks).toBe(1)
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
      "EventBridge.PutEvents:entry-InvalidArgument": 1,
      "EventBridge.PutEvents:lost-response": 1,
      "EventBridge.PutEvents:shard-stop": 1,
      "DynamoDB.BatchGetItem:throttle": 1,
      "DynamoDB.UpdateItem:conditional-check-race": 1,
      "S3.PutObject:http-500": 1,
      "SQS.SendMessageBatch:timeout": 1
    }
    expect(uncoveredFaults(all)).toEqual([])
    const { "DynamoDB.BatchGetItem:throttle": _, ...withoutDynamoThrottle } = all
    expect(uncoveredFaults(withoutDynamoThrottle)).toEqual(["DynamoDB.*:throttle"])
    expect(uncoveredFaults({ ...withoutDynamoThrottle, "DynamoDB.BatchGetItem:throttle": 0 })).toEqual(["DynamoDB.*:throttle"])
    const { "S3.PutObject:http-500": __, ...without500 } = all
    expect(uncoveredFaults({ ...without500, "S3.PutObject:http-503": 4 })).toEqual(["*.*:http-500"])
    expect(uncoveredFaults({})).toHaveLength(9)
  })
})
