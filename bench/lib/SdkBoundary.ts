/**
 * The AWS SDK boundary of this process, for benchmarks and chaos runs: every SDK v3 client gets a
 * middleware (added to the client the first time it sends, whoever created it) that hands each
 * call to the registered interceptors. An interceptor sees the service, operation and input, and
 * may count the call, change its input or output, or fail it the way the SDK would.
 *
 * Product code creates its own clients inside its Layers; hooking the shared `Client.prototype.send`
 * of `@smithy/core` is what lets the harness reach them without a test-only knob in product code.
 * Clients marked {@link exempt} (the harness's own producer and verifier) are passed through.
 *
 * @example
 * ```ts
 * installSdkBoundary()
 * const stop = intercept(async (call, next) => { counts[call.operation] = (counts[call.operation] ?? 0) + 1; return next() })
 * ```
 */
import { createRequire } from "node:module"

/** One SDK call as the interceptors see it. */
export interface SdkCall {
  /** `EventBridge`, `DynamoDB`, `SQS`, … (the client name without `Client`). */
  readonly service: string
  /** `PutEvents`, `UpdateItem`, … (the command name without `Command`). */
  readonly operation: string
  readonly input: Record<string, unknown>
  /** True for the harness's own clients: interceptors that inject faults leave them alone. */
  readonly exempt: boolean
}

/** Sends the call on (optionally with another input) and returns the SDK's output. */
export type Next = (input?: Record<string, unknown>) => Promise<Record<string, unknown>>
export type Interceptor = (call: SdkCall, next: Next) => Promise<Record<string, unknown>>

interface SmithyClient {
  middlewareStack: { add: (middleware: unknown, options: Record<string, unknown>) => void }
}
interface HandlerContext {
  readonly clientName?: string
  readonly commandName?: string
}
interface HandlerArgs {
  readonly input: Record<string, unknown>
}
type Handler = (args: HandlerArgs) => Promise<{ output: Record<string, unknown>; response?: unknown }>

const interceptors: Array<Interceptor> = []
/** Told of every attempt a client sends (below the SDK's retry middleware: its retries too). */
const attemptObservers: Array<(call: Omit<SdkCall, "input">) => void> = []
const hooked = new WeakSet<object>()
const exempted = new WeakSet<object>()
let installed = false

/** A call as the interceptors and the counters name it: service and operation, and whether its client is exempt. */
const callOf = (client: object, context: HandlerContext): Omit<SdkCall, "input"> => ({
  service: (context.clientName ?? "Unknown").replace(/Client$/, ""),
  operation: (context.commandName ?? "Unknown").replace(/Command$/, ""),
  exempt: exempted.has(client)
})

const middlewareFor =
  (client: object) =>
  (next: Handler, context: HandlerContext): Handler =>
  async (args) => {
    const call: SdkCall = { ...callOf(client, context), input: args.input }
    let response: unknown
    const send = (input: Record<string, unknown>) =>
      next({ ...args, input }).then((result) => {
        response = result.response
        return result.output
      })
    const chain = interceptors.reduceRight<Next>(
      (inner, interceptor) => (input) => interceptor({ ...call, input: input ?? call.input }, (changed) => inner(changed ?? input)),
      (input) => send(input ?? call.input)
    )
    const output = await chain()
    return { output, response }
  }

/**
 * Runs once per attempt: added to the `finalizeRequest` step at low priority, inside the SDK's
 * retry middleware (same step, high priority), so an attempt the SDK retries by itself is seen
 * again, where the interceptors (at `initialize`) see one call per `send`.
 */
const attemptMiddlewareFor =
  (client: object) => (next: (args: unknown) => Promise<unknown>, context: HandlerContext) => (args: unknown) => {
    const attempt = callOf(client, context)
    for (const observer of attemptObservers) observer(attempt)
    return next(args)
  }

const patch = (Client: { prototype: { send: (...args: Array<unknown>) => unknown } }) => {
  const original = Client.prototype.send
  if ((original as { cdcBoundary?: boolean }).cdcBoundary) return
  const send = function (this: SmithyClient, ...args: Array<unknown>) {
    if (!hooked.has(this)) {
      hooked.add(this)
      this.middlewareStack.add(middlewareFor(this), { step: "initialize", name: "cdcSdkBoundary", priority: "high" })
      this.middlewareStack.add(attemptMiddlewareFor(this), { step: "finalizeRequest", name: "cdcSdkAttempt", priority: "low" })
    }
    return original.apply(this, args)
  }
  Object.assign(send, { cdcBoundary: true })
  Client.prototype.send = send
}

/** Hooks every SDK client of this process (CommonJS and ESM builds of `@smithy/core`). Idempotent. */
export const installSdkBoundary = async (): Promise<void> => {
  if (installed) return
  installed = true
  const require = createRequire(import.meta.url)
  patch(require("@smithy/core/client").Client)
  patch((await import("@smithy/core/client")).Client as never)
}

/** Registers an interceptor (outermost last); returns a function that removes it. */
export const intercept = (interceptor: Interceptor): (() => void) => {
  interceptors.push(interceptor)
  return () => {
    const index = interceptors.indexOf(interceptor)
    if (index >= 0) interceptors.splice(index, 1)
  }
}

/** Marks a client as the harness's own: fault interceptors pass its calls through. */
export const exempt = <C extends object>(client: C): C => {
  exempted.add(client)
  return client
}

/** Counts calls per `Service.Operation` (every attempt the SDK makes counts once). */
export interface CallCounter {
  readonly counts: () => Readonly<Record<string, number>>
  readonly reset: () => void
  readonly stop: () => void
}

/**
 * @example
 * ```ts
 * const counter = countCalls((call) => !call.exempt)
 * counter.counts()["EventBridge.PutEvents"] // 100
 * ```
 */
export const countCalls = (include: (call: Omit<SdkCall, "input">) => boolean = () => true): CallCounter => {
  let counts: Record<string, number> = {}
  const observer = (call: Omit<SdkCall, "input">) => {
    if (include(call)) {
      const key = `${call.service}.${call.operation}`
      counts[key] = (counts[key] ?? 0) + 1
    }
  }
  attemptObservers.push(observer)
  return {
    counts: () => ({ ...counts }),
    reset: () => {
      counts = {}
    },
    stop: () => {
      const index = attemptObservers.indexOf(observer)
      if (index >= 0) attemptObservers.splice(index, 1)
    }
  }
}

/** The event ids EventBridge accepted from the product's `PutEvents` calls. */
export interface AcceptedEvents {
  readonly ids: () => ReadonlySet<string>
  readonly stop: () => void
}

/**
 * Collects the `eventId` of every entry a non-exempt `PutEvents` call got accepted (its answer has
 * no `ErrorCode`): what reached the bus, read from the responses, not from the pipeline's counters.
 *
 * @example
 * ```ts
 * const accepted = acceptedEvents()
 * // … run the processor …
 * accepted.ids().size // distinct events the bus accepted
 * ```
 */
export const acceptedEvents = (): AcceptedEvents => {
  const ids = new Set<string>()
  const stop = intercept(async (call, next) => {
    const output = await next()
    if (call.operation !== "PutEvents" || call.exempt) return output
    const answers = (output.Entries as ReadonlyArray<{ ErrorCode?: string }> | undefined) ?? []
    const entries = (call.input.Entries as ReadonlyArray<{ Detail?: string }> | undefined) ?? []
    entries.forEach((entry, index) => {
      if (answers[index] === undefined || answers[index]?.ErrorCode) return
      try {
        const id = (JSON.parse(entry.Detail ?? "") as { eventId?: unknown }).eventId
        if (typeof id === "string") ids.add(id)
      } catch {
        // a detail that is not JSON: not an event of either handler
      }
    })
    return output
  })
  return { ids: () => ids, stop }
}

/**
 * What went wrong between the events expected and the events accepted, as violation texts.
 *
 * @example
 * ```ts
 * deliveryViolations("our processor", expected, accepted.ids()) // [] when they are the same set
 * ```
 */
export const deliveryViolations = (who: string, expected: ReadonlySet<string>, accepted: ReadonlySet<string>): ReadonlyArray<string> => {
  const missing = [...expected].filter((id) => !accepted.has(id)).length
  const unexpected = [...accepted].filter((id) => !expected.has(id)).length
  return [
    ...(missing > 0 ? [`${who}: ${missing} of ${expected.size} expected events never accepted by EventBridge`] : []),
    ...(unexpected > 0 ? [`${who}: ${unexpected} accepted events are none of the expected ones`] : [])
  ]
}
