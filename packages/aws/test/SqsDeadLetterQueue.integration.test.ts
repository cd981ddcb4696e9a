/**
 * Dead letters on the emulator's SQS: bodies and the routing attributes an operator inspects the
 * queue by.
 */
import * as Effect from "effect/Effect"
import { describe, expect, it } from "vitest"
import { clients, createDlqResources, drain } from "../../functions/test/dlqResources"
import { makeSqsDeadLetterQueue } from "../src/SqsDeadLetterQueue"
import { poison } from "./fixtures"

describe("SqsDeadLetterQueue", () => {
  it("sends each dead letter as its JSON body with kind, category and reason attributes", async () => {
    const c = clients()
    const { dlqUrl } = await createDlqResources(c)
    const messages = [poison(1), poison(2)]
    expect(await Effect.runPromise(makeSqsDeadLetterQueue(c.sqs, dlqUrl).sendBatch(messages))).toEqual([undefined, undefined])
    const received = (await drain(c, dlqUrl)).map((m) => ({
      body: JSON.parse(m.Body as string),
      attributes: Object.fromEntries(Object.entries(m.MessageAttributes ?? {}).map(([name, value]) => [name, value.StringValue]))
    }))
    const routing = { kind: "cdc.dead-letter", category: "poison", reason: "invalid-json" }
    expect(received.sort((a, b) => a.body.coordinates.sequenceNumber.localeCompare(b.body.coordinates.sequenceNumber))).toEqual(
      messages.map((body) => ({ body, attributes: routing }))
    )
  })
})
