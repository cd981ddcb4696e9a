import { KinesisClient } from "@aws-sdk/client-kinesis"
import { ListQueuesCommand, SQSClient } from "@aws-sdk/client-sqs"
import { NodeHttp2Handler, NodeHttpHandler } from "@smithy/node-http-handler"
import { describe, expect, it } from "vitest"
import { clientOptions, kinesisClientOptions } from "../src/ClientOptions"
import { sdkError } from "./fakeClient"

const region = "us-east-1"
const credentials = { accessKeyId: "a", secretAccessKey: "b" }

describe("clientOptions", () => {
  it("makes the SDK send each call once: retries are the pipeline's policies, not multiplied by the SDK's", async () => {
    const client = new SQSClient({ ...clientOptions(), region, credentials })
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

  it("gives every client an HTTP/1.1 handler, Kinesis included (its HTTP/2 default fails against HTTP/1 emulators)", () => {
    expect(new SQSClient({ ...clientOptions(), region, credentials }).config.requestHandler).toBeInstanceOf(NodeHttpHandler)
    expect(new KinesisClient({ ...kinesisClientOptions(), region, credentials }).config.requestHandler).toBeInstanceOf(NodeHttpHandler)
    // why Kinesis has options of its own: the plain options would configure its HTTP/2 default
    expect(new KinesisClient({ ...clientOptions(), region, credentials }).config.requestHandler).toBeInstanceOf(NodeHttp2Handler)
  })
})
