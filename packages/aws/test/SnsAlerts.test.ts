import type { SNSClient } from "@aws-sdk/client-sns"
import { assert, describe, it } from "@effect/vitest"
import * as Effect from "effect/Effect"
import { alertFixture } from "../../pipeline/test/dlq/fixtures"
import { makeSnsAlerts } from "../src/SnsAlerts"
import { fakeClient } from "./fakeClient"

const alert = (table: string) => alertFixture({ table })

describe("SnsAlerts", () => {
  it.effect("gives subscriptions a non-empty, printable table attribute whatever table name the record carried", () =>
    Effect.gen(function* () {
      const { client, commands } = fakeClient<SNSClient>(() => ({ MessageId: "m" }))
      const alerts = makeSnsAlerts(client, "arn:aws:sns:us-east-1:123456789012:alerts")
      for (const table of ["users", "", "a\tb", "用户"]) yield* alerts.publish(alert(table))
      const tables = commands.map(
        (command) => (command.input.MessageAttributes as Record<string, { StringValue: string }>).table?.StringValue
      )
      assert.deepStrictEqual(tables, ["users", "~", "a~09b", "~E7~94~A8~E6~88~B7"])
    })
  )
})
