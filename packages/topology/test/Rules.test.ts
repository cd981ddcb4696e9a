import { eventTypeOf } from "@cdc/domain/TableDefinition"
import { tables } from "@cdc/domain/Tables"
import { describe, expect, it } from "vitest"
import { consumerQueuePolicy, matches, rulesTargeting } from "../src/Rules"
import { makeTopology } from "../src/Topology"

const topology = makeTopology({ stage: "dev" })
const { rules, eventArchive, consumerQueues, delivery } = topology

/** Where an event goes: the consumer queues whose rules match it. */
const routeOf = (source: string, detailType: string) =>
  [...new Set(rules.filter((r) => matches(r.pattern, { source, detailType })).map((r) => r.target))].sort()

describe("rules", () => {
  it("uses the reference design's patterns", () => {
    expect(rules.map((r) => [r.id, r.pattern, r.target])).toEqual([
      [
        "wallboards-user-events",
        { source: [{ prefix: "cdc-pipeline.users" }], "detail-type": ["user.created", "user.updated", "user.deleted"] },
        "wallboards"
      ],
      [
        "wallboards-order-events",
        { source: [{ prefix: "cdc-pipeline.orders" }], "detail-type": ["order.created", "order.updated"] },
        "wallboards"
      ],
      [
        "analytics-order-events",
        { source: [{ prefix: "cdc-pipeline.orders" }], "detail-type": ["order.created", "order.updated"] },
        "analytics"
      ]
    ])
  })

  it("routes user changes to Wallboards and order changes to Wallboards and analytics, nothing else", () => {
    expect(routeOf("cdc-pipeline.users", "user.deleted")).toEqual(["wallboards"])
    expect(routeOf("cdc-pipeline.orders", "order.updated")).toEqual(["analytics", "wallboards"])
    expect(routeOf("cdc-pipeline.products", "product.created")).toEqual([])
    expect(routeOf("other.users", "user.created")).toEqual([])
    // The detail type must be one the rule lists, and the source must start with the prefix.
    expect(routeOf("cdc-pipeline.orders", "order.deleted")).toEqual([])
    expect(routeOf("cdc-pipeline.users", "order.created")).toEqual([])
    expect(routeOf("staging.cdc-pipeline.users", "user.created")).toEqual([])
  })

  it("only names event types the domain publishes for that table", () => {
    for (const rule of rules) {
      const table = rule.pattern.source[0]?.prefix.split(".")[1] ?? ""
      const definition = tables.get(table)
      expect(definition, table).toBeDefined()
      const published = definition!.operations.map((op) => eventTypeOf(definition!.entity, op))
      expect(rule.pattern["detail-type"]?.filter((t) => !published.includes(t))).toEqual([])
    }
  })

  it("delivers every rule to a consumer queue of the topology, and every queue is fed", () => {
    const ids = consumerQueues.map((q) => q.id)
    for (const rule of rules) expect(ids).toContain(rule.target)
    for (const id of ids) expect(rulesTargeting(rules, id).length).toBeGreaterThan(0)
    // A queue's policy admits exactly the rules that feed it.
    expect(rulesTargeting(rules, "wallboards").map((r) => r.id)).toEqual(["wallboards-user-events", "wallboards-order-events"])
    expect(rulesTargeting(rules, "analytics").map((r) => r.id)).toEqual(["analytics-order-events"])
  })

  it("lets only the feeding rules send to a consumer queue", () => {
    const policy = consumerQueuePolicy("arn:queue", ["arn:rule-1", "arn:rule-2"])
    expect(policy.Statement).toEqual([
      {
        Effect: "Allow",
        Principal: { Service: "events.amazonaws.com" },
        Action: "sqs:SendMessage",
        Resource: "arn:queue",
        Condition: { ArnEquals: { "aws:SourceArn": ["arn:rule-1", "arn:rule-2"] } }
      }
    ])
  })
})

describe("delivery", () => {
  it("sizes every queue the rules send to for a whole PutEvents entry plus EventBridge's envelope (the provider's default is 256 KiB)", () => {
    for (const q of [...consumerQueues, delivery.dlq]) expect(q.maxMessageBytes).toBe(1_048_576)
  })

  it("retries a target as long as EventBridge allows, then keeps the event 14 days in the delivery DLQ", () => {
    expect(delivery).toEqual({
      dlq: { name: "cdc-pipeline-dev-undelivered", retentionSeconds: 1_209_600, maxMessageBytes: 1_048_576 },
      retry: { maximumEventAgeSeconds: 86_400, maximumRetryAttempts: 185 }
    })
  })
})

describe("event archive", () => {
  it("keeps every pipeline event, and only those, for 365 days", () => {
    expect(eventArchive).toEqual({ name: "cdc-pipeline-dev-events", pattern: { source: [{ prefix: "cdc-pipeline" }] }, retentionDays: 365 })
    for (const table of tables.keys())
      expect(matches(eventArchive.pattern, { source: `cdc-pipeline.${table}`, detailType: "x" })).toBe(true)
    expect(matches(eventArchive.pattern, { source: "aws.events", detailType: "x" })).toBe(false)
  })
})
