/**
 * The faults of a chaos run, injected at the AWS SDK boundary (see `bench/lib/SdkBoundary`) into
 * every client the product code creates (the processor's and the DLQ worker's), never into the
 * harness's own. Each call rolls against the plan's rates, in a sequence fixed by the seed (drawn
 * from Effect's `Random` up front); which call gets which roll still depends on timing.
 *
 * - `throttle`: the call fails as AWS throttles it (`ThrottlingException`,
 *   `ProvisionedThroughputExceededException` for DynamoDB), HTTP 400.
 * - `entries`: a `PutEvents` call succeeds with some entries failed in the 200 response
 *   (`ThrottlingException` / `InternalFailure`, and a few permanent `InvalidArgument`); failed
 *   entries are not passed on, as in a real partial failure. A permanent failure is a property of
 *   the entry (as a malformed detail would be): the same entry is refused again on every retry
 *   or replay, and an entry the bus accepted once is never refused for good afterwards.
 * - `race`: a checkpoint `UpdateItem` fails its condition (`ConditionalCheckFailedException`), as
 *   when another invocation moved the checkpoint first.
 * - `server`: the emulator answers 500/503.
 * - `timeout`: the request times out before it is sent.
 * - `lostResponse`: a write is applied, then its response is lost (a timeout): the caller must
 *   retry it, and the retry must not change what consumers see beyond a duplicate.
 *
 * A short run makes few DynamoDB calls (one read per batch, one write per shard and batch), so
 * rates alone could leave a fault the run claims untried. The {@link requiredFaults} are forced
 * on the second eligible call each, until each has fired once; the run then checks
 * ({@link uncoveredFaults}) that every one of them did.
 *
 * @example
 * ```ts
 * const faults = makeFaults(defaultRates, 42)
 * intercept(faults.interceptor)
 * faults.injected() // { "EventBridge.PutEvents:throttle": 3, … }
 * ```
 */
import * as Effect from "effect/Effect"
import * as Random from "effect/Random"
import type { Interceptor, SdkCall } from "../bench/lib/SdkBoundary"

export interface FaultRates {
  readonly throttle: number
  readonly entries: number
  readonly race: number
  readonly server: number
  readonly timeout: number
  readonly lostResponse: number
}

/**
 * The faults a chaos run must have injected at least once to claim it survived them: per
 * `Service.Operation:kind` (a `*` matches any service or operation), what the issue lists.
 */
export const requiredFaults: ReadonlyArray<{ readonly service: string; readonly operation: string; readonly kind: string }> = [
  { service: "EventBridge", operation: "PutEvents", kind: "throttle" },
  { service: "EventBridge", operation: "PutEvents", kind: "entry-ThrottlingException" },
  // an entry refused for good: the one way a valid change may end in the DLQ (publish-rejected)
  { service: "EventBridge", operation: "PutEvents", kind: "entry-InvalidArgument" },
  { service: "EventBridge", operation: "PutEvents", kind: "lost-response" },
  // a shard stopped in the middle of a batch, then resumed: what its checkpoint and reported record decide
  { service: "EventBridge", operation: "PutEvents", kind: "shard-stop" },
  { service: "DynamoDB", operation: "*", kind: "throttle" },
  { service: "DynamoDB", operation: "UpdateItem", kind: "conditional-check-race" },
  { service: "*", operation: "*", kind: "http-500" },
  { service: "*", operation: "*", kind: "timeout" }
]

const matches = (pattern: string, value: string) => pattern === "*" || pattern === value

/**
 * The required faults a run did not inject.
 *
 * @example
 * ```ts
 * uncoveredFaults({ "EventBridge.PutEvents:throttle": 3 }) // every other required fault
 * ```
 */
export const uncoveredFaults = (injected: Readonly<Record<string, number>>): ReadonlyArray<string> =>
  requiredFaults
    .filter(({ service, operation, kind }) =>
      Object.entries(injected).every(([key, n]) => {
        const [call = "", injectedKind] = key.split(":")
        const [injectedService = "", injectedOperation = ""] = call.split(".")
        return !(n > 0 && injectedKind === kind && matches(service, injectedService) && matches(operation, injectedOperation))
      })
    )
    .map(({ service, operation, kind }) => `${service}.${operation}:${kind}`)

/**
 * The forced shard stop: the last entry of a request of two or more (the entries before it are
 * accepted, so its shard has handled records before the stop) is refused (`ThrottlingException`)
 * on every attempt that comes within {@link stopGapMillis} of the one before, longer than any
 * pause between the publish retries of one invocation, however slow the machine makes them: so
 * its shard stops there and reports it. The first attempt after such a gap is a later invocation,
 * which Lambda (the local event source) started from the reported record after the processor's
 * pace: it is let through, and the stop counts. (A killed invocation's retry comes back at once,
 * and is held like the rest.) After {@link stopCapMillis} the entry is let through uncounted,
 * and another is picked, so a pipeline that never pauses is not stopped for good.
 */
export const stopGapMillis = 5_000
export const stopCapMillis = 60_000

/** Per-call probabilities of each fault (a call gets at most one). */
export const defaultRates: FaultRates = { throttle: 0.05, entries: 0.08, race: 0.1, server: 0.03, timeout: 0.02, lostResponse: 0.02 }

const writes = new Set(["PutEvents", "UpdateItem", "SendMessageBatch", "SendMessage", "PutObject", "Publish"])

/** An error shaped as the SDK raises it (name, HTTP status in `$metadata`). */
const sdkError = (name: string, status: number) =>
  Object.assign(new Error(`${name} (injected by the chaos run)`), {
    name,
    $fault: status >= 500 ? "server" : "client",
    $metadata: { httpStatusCode: status, attempts: 1 }
  })

const timeoutError = () =>
  Object.assign(new Error("socket timed out (injected by the chaos run)"), { name: "TimeoutError", code: "ETIMEDOUT" })

/** A cyclic sequence of uniform rolls in [0, 1), fixed by the seed. */
export const makeRolls = (seed: number, size = 1 << 16): (() => number) => {
  const rolls = Effect.runSync(Effect.forEach(Array.from({ length: size }), () => Random.next).pipe(Random.withSeed(seed)))
  let index = 0
  return () => rolls[index++ % size]!
}

export interface Faults {
  readonly interceptor: Interceptor
  /** Faults injected so far, by `Service.Operation:kind`. */
  readonly injected: () => Readonly<Record<string, number>>
  /** The event ids of the entries refused for good (`InvalidArgument`): the one reason a valid change may end in the DLQ. */
  readonly refused: () => ReadonlySet<string>
}

export const makeFaults = (rates: FaultRates, seed: number, now: () => number = () => performance.now()): Faults => {
  const roll = makeRolls(seed)
  const injected: Record<string, number> = {}
  const count = (call: SdkCall, kind: string) => {
    const key = `${call.service}.${call.operation}:${kind}`
    injected[key] = (injected[key] ?? 0) + 1
  }

  /** Entries (by event id) refused permanently once: refused again whenever they come back. */
  const refused = new Set<string>()
  /** Entries (by event id) the bus accepted once: a refusal of one would contradict its content. */
  const accepted = new Set<string>()
  const identity = (entry: { Detail?: string }) => {
    try {
      return String((JSON.parse(entry.Detail ?? "") as { eventId?: unknown }).eventId)
    } catch {
      return entry.Detail ?? ""
    }
  }
  /** The entry held to stop its shard (see {@link stopHoldMillis}), while the stop is not done. */
  let stuck: { readonly id: string; readonly since: number; lastRefusal: number } | undefined
  /** Whether this call's entry at `index` is refused to stop its shard; counts the stop when it comes back after it. */
  const holds = (call: SdkCall, id: string): boolean => {
    if (stuck === undefined || stuck.id !== id) return false
    const at = now()
    if (at - stuck.lastRefusal < stopGapMillis && at - stuck.since < stopCapMillis) {
      stuck.lastRefusal = at
      return true
    }
    if (at - stuck.lastRefusal >= stopGapMillis) count(call, "shard-stop")
    stuck = undefined
    return false
  }
  const pickStuck = (call: SdkCall, entries: ReadonlyArray<{ Detail?: string }>) => {
    if (stuck !== undefined || entries.length < 2 || !forced(call, "shard-stop")) return
    const id = identity(entries[entries.length - 1] as { Detail?: string })
    if (!accepted.has(id) && !refused.has(id)) stuck = { id, since: now(), lastRefusal: now() }
  }

  const partialPutEvents = async (
    call: SdkCall,
    next: (input?: Record<string, unknown>) => Promise<Record<string, unknown>>,
    selected: boolean
  ) => {
    const entries = (call.input.Entries as ReadonlyArray<{ Detail?: string }> | undefined) ?? []
    const failures = new Map<number, string>()
    const force = selected && forced(call, "entry-ThrottlingException")
    const forceRefusal = selected && !force && forced(call, "entry-InvalidArgument")
    entries.forEach((entry, index) => {
      if (refused.has(identity(entry))) failures.set(index, "InvalidArgument")
      else if (holds(call, identity(entry))) failures.set(index, "HeldThrottlingException")
      else if (force && index === 0) failures.set(index, "ThrottlingException")
      else if (forceRefusal && index === 0 && !accepted.has(identity(entry))) {
        refused.add(identity(entry))
        failures.set(index, "InvalidArgument")
      } else if (selected && roll() < 0.35) {
        const kind = roll()
        const code =
          kind < 0.15 && !accepted.has(identity(entry)) ? "InvalidArgument" : kind < 0.6 ? "ThrottlingException" : "InternalFailure"
        if (code === "InvalidArgument") refused.add(identity(entry))
        failures.set(index, code)
      }
    })
    if (failures.size === 0) return next()
    for (const code of failures.values()) if (code !== "HeldThrottlingException") count(call, `entry-${code}`)
    const passed = entries.filter((_, index) => !failures.has(index))
    const answer = passed.length === 0 ? { FailedEntryCount: 0, Entries: [] } : await next({ ...call.input, Entries: passed })
    const answered = (answer.Entries as ReadonlyArray<Record<string, unknown>> | undefined) ?? []
    let position = 0
    const merged = entries.map((_, index) => {
      const code = failures.get(index)
      if (code === undefined) return answered[position++]
      return { ErrorCode: code === "HeldThrottlingException" ? "ThrottlingException" : code, ErrorMessage: "injected by the chaos run" }
    })
    return { ...answer, FailedEntryCount: Number(answer.FailedEntryCount ?? 0) + failures.size, Entries: merged }
  }

  /** Calls seen per `Service.Operation`, for forcing a required fault on the second one. */
  const seen: Record<string, number> = {}
  /** Whether this call must get `kind` (a required fault not yet injected, its second eligible call). */
  const forced = (call: SdkCall, kind: string) =>
    (seen[`${call.service}.${call.operation}`] ?? 0) >= 2 &&
    uncoveredFaults(injected).some((key) => key.endsWith(`:${kind}`) && keyMatches(key, call))
  const keyMatches = (key: string, call: SdkCall) => {
    const [service = "", operation = ""] = (key.split(":")[0] ?? "").split(".")
    return matches(service, call.service) && matches(operation, call.operation)
  }

  /** Passes a PutEvents call on to the bus, and remembers the entries it accepted. */
  const remembering =
    (call: SdkCall, next: (input?: Record<string, unknown>) => Promise<Record<string, unknown>>) =>
    async (input?: Record<string, unknown>) => {
      const answer = await next(input)
      const sent = ((input ?? call.input).Entries as ReadonlyArray<{ Detail?: string }> | undefined) ?? []
      const answered = (answer.Entries as ReadonlyArray<{ ErrorCode?: unknown }> | undefined) ?? []
      sent.forEach((entry, index) => {
        if (answered[index]?.ErrorCode === undefined) accepted.add(identity(entry))
      })
      return answer
    }

  const interceptor: Interceptor = async (call, forward) => {
    if (call.exempt) return forward()
    const next = call.operation === "PutEvents" ? remembering(call, forward) : forward
    const operation = `${call.service}.${call.operation}`
    seen[operation] = (seen[operation] ?? 0) + 1
    let threshold = roll()
    const take = (rate: number, kind?: string) => {
      if (kind !== undefined && forced(call, kind)) return true
      threshold -= rate
      return threshold < 0
    }
    if (take(rates.throttle, "throttle")) {
      count(call, "throttle")
      throw sdkError(call.service === "DynamoDB" ? "ProvisionedThroughputExceededException" : "ThrottlingException", 400)
    }
    if (take(rates.server, "http-500")) {
      const status = forced(call, "http-500") || roll() < 0.5 ? 500 : 503
      count(call, `http-${status}`)
      throw sdkError(status === 500 ? "InternalServerError" : "ServiceUnavailable", status)
    }
    if (take(rates.timeout, "timeout")) {
      count(call, "timeout")
      await new Promise((resolve) => setTimeout(resolve, 20))
      throw timeoutError()
    }
    if (call.operation === "PutEvents") {
      const selected = take(rates.entries, "entry-ThrottlingException") || forced(call, "entry-InvalidArgument")
      // a call carrying an entry refused before is refused again; any other call may still lose its response
      const entries = (call.input.Entries as ReadonlyArray<{ Detail?: string }> | undefined) ?? []
      pickStuck(call, entries)
      const held = stuck !== undefined && entries.some((entry) => identity(entry) === stuck?.id)
      if (selected || held || entries.some((entry) => refused.has(identity(entry)))) return partialPutEvents(call, next, selected)
    }
    if (call.operation === "UpdateItem" && take(rates.race, "conditional-check-race")) {
      count(call, "conditional-check-race")
      throw sdkError("ConditionalCheckFailedException", 400)
    }
    if (writes.has(call.operation) && take(rates.lostResponse, "lost-response")) {
      await next()
      count(call, "lost-response")
      throw timeoutError()
    }
    return next()
  }
  return { interceptor, injected: () => ({ ...injected }), refused: () => new Set(refused) }
}
