import { describe, expect, it } from "vitest"
import type { SdkCall } from "../bench/lib/SdkBoundary"
import { makeFaults, uncoveredFaults } from "./Faults"

const noRates = { throttle: 0, entries: 0, race: 0, server: 0, timeout: 0, lostResponse: 0 }
const putEvents: SdkCall = { service: "EventBridge", operation: "PutEvents", input: { Entries: [{ Detail: "{}" }] }, exempt: false }

/** What a call answered: its output, or the name of the error it failed with. */
type Answer = { readonly output?: Record<string, unknown>; readonly error?: string }

/** Sends calls through the interceptor; records what reached AWS and what each call answered. */
const harness = (rates = noRates, seed = 7) => {
  const faults = makeFaults(rates, seed)
  const sent: Array<unknown> = []
  const next = async (input?: Record<string, unknown>) => {
    sent.push(input)
    return { FailedEntryCount: 0, Entries: [] }
  }
  const send = (call: SdkCall) =>
    faults.interceptor(call, next).then(
      (output): Answer => ({ output }),
      (error: Error): Answer => ({ error: error.name })
    )
  return { faults, sent, send }
}

describe("the injected faults", () => {
  it("forces each required PutEvents fault once from the second call, and counts only what it did", async () => {
    const { faults, sent, send } = harness()
    const answers = []
    // each call carries another event (an entry refused for good is refused again whenever it comes back)
    const call = (i: number): SdkCall => ({ ...putEvents, input: { Entries: [{ Detail: JSON.stringify({ eventId: `evt_1_${i}` }) }] } })
    for (let i = 0; i < 8; i++) answers.push(await send(call(i)))
    const refusedAs = (code: string) => ({
      output: { FailedEntryCount: 1, Entries: [{ ErrorCode: code, ErrorMessage: "injected by the chaos run" }] }
    })
    expect(answers).toEqual([
      { output: { FailedEntryCount: 0, Entries: [] } },
      { error: "ThrottlingException" },
      { error: "InternalServerError" },
      { error: "TimeoutError" },
      refusedAs("ThrottlingException"),
      refusedAs("InvalidArgument"),
      // a lost response: the write was applied (sent), then the caller got a timeout
      { error: "TimeoutError" },
      { output: { FailedEntryCount: 0, Entries: [] } }
    ])
    expect(sent).toHaveLength(3)
    expect(faults.refused()).toEqual(new Set(["evt_1_5"]))
    expect(faults.injected()).toEqual({
      "EventBridge.PutEvents:throttle": 1,
      "EventBridge.PutEvents:http-500": 1,
      "EventBridge.PutEvents:timeout": 1,
      "EventBridge.PutEvents:entry-ThrottlingException": 1,
      "EventBridge.PutEvents:entry-InvalidArgument": 1,
      "EventBridge.PutEvents:lost-response": 1
    })
    expect(uncoveredFaults(faults.injected())).toEqual(["DynamoDB.*:throttle", "DynamoDB.UpdateItem:conditional-check-race"])
  })

  it("refuses a permanently refused entry again whenever it comes back", async () => {
    const entry = { Detail: JSON.stringify({ eventId: "evt_1_abc" }) }
    const call = { ...putEvents, input: { Entries: [entry] } }
    const codesOf = (answer: Answer) => ((answer.output?.Entries ?? []) as Array<{ ErrorCode?: string }>).map((e) => e.ErrorCode)
    // the first seed whose first call refuses the entry for good (per-entry failures are rolled)
    for (let seed = 0; seed < 1_000; seed++) {
      const { send } = harness({ ...noRates, entries: 1 }, seed)
      if (codesOf(await send(call))[0] !== "InvalidArgument") continue
      const later = []
      for (let i = 0; i < 5; i++) later.push(await send(call))
      // the second to fourth calls get the forced throttle, 500 and timeout; the others reach the entries
      expect(later.filter((answer) => "output" in answer).map(codesOf)).toEqual([["InvalidArgument"], ["InvalidArgument"]])
      return
    }
    expect.unreachable("no seed refused the entry")
  })

  it("never refuses for good an entry the bus accepted before", async () => {
    // A refusal is a property of the entry's content: one accepted once is accepted on every
    // replay. Refusing it later would make the replay of a row's older changes end the row on
    // stale data, a failure the pipeline cannot cause or prevent.
    const { send } = harness({ ...noRates, entries: 1 })
    const codesOf = (answer: Answer) => ((answer.output?.Entries ?? []) as Array<{ ErrorCode?: string }>).map((e) => e.ErrorCode)
    const codes: Array<string | undefined> = []
    for (let n = 0; n < 100; n++) {
      const call = { ...putEvents, input: { Entries: [{ Detail: JSON.stringify({ eventId: `evt_1_${n}` }) }] } }
      // an entry failed on its first call (refused, or a transient failure) proves nothing here
      if ((await send(call)).output?.FailedEntryCount !== 0) continue
      for (let i = 0; i < 10; i++) codes.push(...codesOf(await send(call)))
    }
    expect(codes.filter((code) => code === "ThrottlingException").length).toBeGreaterThan(0)
    expect(codes).not.toContain("InvalidArgument")
  })

  it("leaves the harness's own clients alone", async () => {
    const all = { throttle: 1, entries: 1, race: 1, server: 1, timeout: 1, lostResponse: 1 }
    const { faults, sent, send } = harness(all)
    expect(await send({ ...putEvents, exempt: true })).toEqual({ output: { FailedEntryCount: 0, Entries: [] } })
    expect(sent).toHaveLength(1)
    expect(faults.injected()).toEqual({})
  })
})
