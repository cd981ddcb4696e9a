import { describe, expect, it } from "vitest"
import type { SdkCall } from "../bench/lib/SdkBoundary"
import { makeFaults, stopCapMillis, stopGapMillis, uncoveredFaults } from "./Faults"

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

/**
 * Faults on a clock the test sets, and a `put` of entries by number to a bus that accepts what
 * it is given (the call's own entries when passed on unchanged).
 */
const onTestClock = (clock: { now: number }) => {
  const faults = makeFaults(noRates, 7, () => clock.now)
  const entry = (i: number) => ({ Detail: JSON.stringify({ eventId: `evt_1_${i}` }) })
  const put = (...ids: Array<number>) => {
    const call = { ...putEvents, input: { Entries: ids.map(entry) } }
    const next = async (input?: Record<string, unknown>) => ({
      FailedEntryCount: 0,
      Entries: ((input ?? call.input).Entries as Array<unknown>).map((_, i) => ({ EventId: `e${i}` }))
    })
    return faults.interceptor(call, next) as Promise<{ Entries: Array<{ ErrorCode?: string }> }>
  }
  return { faults, put }
}

/** Single-entry calls until the required faults forced before the shard stop have fired (as the first test shows). */
const forceTheOthers = async (put: (...ids: Array<number>) => Promise<unknown>) => {
  for (let i = 100; i < 107; i++) await put(i).catch(() => undefined)
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
    expect(uncoveredFaults(faults.injected())).toEqual([
      "EventBridge.PutEvents:shard-stop",
      "DynamoDB.*:throttle",
      "DynamoDB.UpdateItem:conditional-check-race"
    ])
  })

  it("stops a shard: holds the last entry of a request through one invocation's retries, counts the stop when a later one sends it", async () => {
    const clock = { now: 0 }
    const { faults, put } = onTestClock(clock)
    const codes = async (...ids: Array<number>) => (await put(...ids)).Entries.map((e) => e.ErrorCode ?? "ok")
    await forceTheOthers(put)
    // the second call: its last entry is held; the one before it goes through (the shard's handled prefix)
    expect(await codes(2, 3)).toEqual(["ok", "ThrottlingException"])
    // the invocation's retries within the hold are refused too
    for (const at of [200, 600, 1_400, 3_900]) {
      clock.now = at
      expect(await codes(3)).toEqual(["ThrottlingException"])
    }
    expect(faults.injected()["EventBridge.PutEvents:shard-stop"]).toBeUndefined()
    // the next invocation, after the processor's pace: accepted, and the stop counted
    clock.now = 3_900 + stopGapMillis
    expect(await codes(3, 4)).toEqual(["ok", "ok"])
    expect(faults.injected()["EventBridge.PutEvents:shard-stop"]).toBe(1)
  })

  it("holds the entry through a killed invocation's quick retry, and lets it through uncounted after a minute of attempts", async () => {
    const clock = { now: 0 }
    const { faults, put } = onTestClock(clock)
    await forceTheOthers(put)
    await put(2, 3)
    // attempts a second apart (retries, a killed invocation's retry, its retries): all held, for a minute
    for (clock.now = 1_000; clock.now < stopCapMillis; clock.now += 1_000)
      expect((await put(3)).Entries[0]?.ErrorCode).toBe("ThrottlingException")
    expect((await put(3)).Entries[0]?.ErrorCode).toBeUndefined()
    expect(faults.injected()["EventBridge.PutEvents:shard-stop"]).toBeUndefined()
    // another entry is picked, from a request of two or more
    expect((await put(4, 5)).Entries.map((e) => e.ErrorCode)).toEqual([undefined, "ThrottlingException"])
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
