/**
 * Alerts through the emulator's SNS topic, read from an SQS queue subscribed to it: what a
 * subscriber sees, and the attributes subscriptions filter on.
 */
import { type Alert, alertBody, alertSubject } from "@cdc/pipeline/dlq/Alerts"
import * as Effect from "effect/Effect"
import { describe, expect, it } from "vitest"
import { alertsReceived, clients, createDlqResources } from "../../functions/test/dlqResources"
import { makeSnsAlerts } from "../src/SnsAlerts"

const alert: Alert = {
  table: "users",
  category: "poison",
  code: "not-an-integer",
  count: 2,
  newlyArchived: 1,
  kinds: ["cdc.dead-letter"],
  locations: ["s3://archive/failed-events/users/2026/01/02/dl-1.json", "s3://archive/failed-events/users/2026/01/02/dl-2.json"],
  moreLocations: 0,
  message: "users.id is not an integer",
  columns: []
}

describe("SnsAlerts", () => {
  it("publishes one message per alert with its subject, body and the category, code and table attributes", async () => {
    const c = clients()
    const r = await createDlqResources(c)
    await Effect.runPromise(makeSnsAlerts(c.sns, r.topicArn).publish(alert))
    expect(await alertsReceived(c, r)).toEqual([
      {
        subject: alertSubject(alert),
        raw: alertBody(alert),
        body: JSON.parse(alertBody(alert)),
        attributes: { category: "poison", code: "not-an-integer", table: "users" }
      }
    ])
  })
})
