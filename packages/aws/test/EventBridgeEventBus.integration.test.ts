/**
 * PutEvents on the emulator's EventBridge, through a bus whose rule delivers every event into a
 * consumer queue: what consumers receive, and a refused entry among accepted ones.
 */
import { randomUUID } from "node:crypto"
import { DynamoDBClient } from "@aws-sdk/client-dynamodb"
import { EventBridgeClient } from "@aws-sdk/client-eventbridge"
import { createPublishingResources } from "@cdc/testkit/ProcessorResources"
import * as Effect from "effect/Effect"
import { describe, expect, it } from "vitest"
import { clients, drain } from "../../functions/test/dlqResources"
import { makeEventBridgeEventBus } from "../src/EventBridgeEventBus"

const c = clients()

describe("EventBridgeEventBus", () => {
  it("publishes entries with their own time to their bus, and reports a refused entry in its place", async () => {
    const eventbridge = new EventBridgeClient({})
    const { bus, consumerUrl } = await createPublishingResources(`eb-${randomUUID().slice(0, 8)}`, {
      dynamodb: new DynamoDBClient({}),
      eventbridge,
      sqs: c.sqs
    })
    const entry = (id: number, Detail = JSON.stringify({ id })) => ({
      Source: "cdc-pipeline.users",
      DetailType: "user.updated",
      Detail,
      Time: `2024-01-15T10:30:0${id}.000Z`,
      EventBusName: bus
    })
    const failures = await Effect.runPromise(makeEventBridgeEventBus(eventbridge).putEvents([entry(1), entry(2, "{not json"), entry(3)]))
    expect(failures).toEqual([undefined, { code: "MalformedDetail", category: "permanent", retryable: false }, undefined])
    const delivered = (await drain(c, consumerUrl)).map((m) => JSON.parse(m.Body as string))
    expect(delivered.map((e) => [e.detail.id, e.time]).sort()).toEqual([
      [1, "2024-01-15T10:30:01Z"],
      [3, "2024-01-15T10:30:03Z"]
    ])
  })
})
