import { ListQueuesCommand, SQSClient } from "@aws-sdk/client-sqs"
import { describe, expect, it } from "vitest"
import { clientOptions } from "../src/ClientOptions"
import { sdkError } from "./fakeClient"

describe("clientOptions", () => {
  it("makes the SDK send each call once: retries are the pipeline's policies, not multiplied by the SDK's", async () => {
    const client = new SQSClient({ ...clientOptions(), region: "us-east-1", credentials: { accessKeyId: "a", secretAccessKey: "b" } })
    let attempts = 0
    // In place of the HTTP exchange: a retryable answer (503), without a network.
    client.middlewareStack.add(
      () => async () => {
        attempts++
        throw Object.assign(sdkError("ServiceUnavailable", 503), { $fault: "server" })
      },
      { step: "deserialize" }
    )
    await expect(client.send(new ListQueuesCommand({}))).rejects.toMatchObject({ name: "ServiceUnavailable" })
    expect(attempts).toBe(1)
  })
})
