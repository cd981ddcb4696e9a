import { describe, expect, it } from "vitest"
import type { SdkCall } from "../bench/lib/SdkBoundary"
import { makeRequestWatch } from "./RequestWatch"

const entry = (table: string, entityId: string) => ({ Source: `cdc-pipeline.${table}`, Detail: JSON.stringify({ entityId }) })
const putEvents = (entries: ReadonlyArray<object>, exempt = false): SdkCall => ({
  service: "EventBridge",
  operation: "PutEvents",
  input: { Entries: entries },
  exempt
})

describe("the PutEvents request watch", () => {
  it("names an entity a request holds twice, passing every call on unchanged", async () => {
    const watch = makeRequestWatch()
    const next = async () => ({ ok: true })
    expect(await watch.interceptor(putEvents([entry("users", "1"), entry("orders", "1"), entry("users", "2")]), next)).toEqual({ ok: true })
    await watch.interceptor(putEvents([entry("users", "1"), entry("users", "1"), { Detail: "not json" }]), next)
    // the harness's own calls and other operations are not the processor's requests
    await watch.interceptor(putEvents([entry("users", "3"), entry("users", "3")], true), next)
    await watch.interceptor({ service: "SQS", operation: "SendMessageBatch", input: {}, exempt: false }, next)
    expect([watch.requests(), watch.repeatedRequests(), watch.repeated()]).toEqual([2, 1, ["cdc-pipeline.users#1 twice in one request"]])
  })
})
