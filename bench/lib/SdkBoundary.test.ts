/**
 * What the SDK boundary counts: every attempt an SDK client sends, the SDK's own retries included
 * (the reference handler's clients retry inside the SDK, ours through Effect: both must count).
 */
import { createServer } from "node:http"
import type { AddressInfo } from "node:net"
import { EventBridgeClient, PutEventsCommand } from "@aws-sdk/client-eventbridge"
import { afterAll, beforeAll, describe, expect, it } from "vitest"
import { countCalls, installSdkBoundary } from "./SdkBoundary"

let requests = 0
const server = createServer((request, response) => {
  request.resume()
  request.on("end", () => {
    requests++
    // the first attempt of every pair fails as a retryable 500, the second succeeds
    if (requests % 2 === 1) {
      response.writeHead(500, { "content-type": "application/x-amz-json-1.1" })
      response.end(JSON.stringify({ __type: "InternalException", message: "try again" }))
    } else {
      response.writeHead(200, { "content-type": "application/x-amz-json-1.1" })
      response.end(JSON.stringify({ FailedEntryCount: 0, Entries: [{ EventId: "1" }] }))
    }
  })
})

beforeAll(async () => {
  await installSdkBoundary()
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve))
})
afterAll(() => new Promise<void>((resolve) => server.close(() => resolve())))

describe("the SDK boundary's call counter", () => {
  it("counts each attempt the SDK sends, its own retries included", async () => {
    const { port } = server.address() as AddressInfo
    const client = new EventBridgeClient({
      endpoint: `http://127.0.0.1:${port}`,
      region: "us-east-1",
      credentials: { accessKeyId: "x", secretAccessKey: "y" },
      maxAttempts: 3
    })
    const counter = countCalls()
    await client.send(new PutEventsCommand({ Entries: [{ Source: "s", DetailType: "d", Detail: "{}" }] }))
    counter.stop()
    expect(requests).toBe(2) // one 500, one retry that succeeded
    expect(counter.counts()["EventBridge.PutEvents"]).toBe(requests)
  })
})
