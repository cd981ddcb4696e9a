/**
 * The two Lambda functions, run in this process: the very modules Lambda runs
 * (`packages/functions/src/processor.ts`, `packages/functions/src/dlqWorker.ts`), with the
 * environment the topology describes for them (resolved to the provisioned resources), invoked
 * with a Lambda-like context; an invocation longer than the function's timeout is reported.
 *
 * Modules are imported only after the environment is set, since handlers read their
 * configuration once, at the edge.
 *
 * @example
 * ```ts
 * const functions = yield* loadFunctions(topology, provisioned, { onOverrun: warn, onError: warn })
 * yield* runKinesisEventSource({ …, handler: functions.processor })
 * ```
 */
import type { FunctionSettings, Topology } from "@cdc/topology"
import type { Context, KinesisStreamBatchResponse, KinesisStreamEvent, SQSBatchResponse, SQSEvent } from "aws-lambda"
import * as Data from "effect/Data"
import * as Effect from "effect/Effect"
import type { Provisioned } from "./Provision"

/** A function module could not be loaded (missing, or failing at import). */
export class FunctionLoadError extends Data.TaggedError("FunctionLoadError")<{ readonly module: string; readonly problem: string }> {
  readonly category = "configuration" as const
  readonly retryable = false
  override get message(): string {
    return `could not load the Lambda handler ${this.module}: ${this.problem}`
  }
}

/** The invocation took longer than the function's configured timeout. */
export class FunctionTimeoutError extends Data.TaggedError("FunctionTimeoutError")<{
  readonly functionName: string
  readonly seconds: number
}> {
  override get message(): string {
    return `${this.functionName} ran longer than its ${this.seconds} s timeout: in AWS this invocation would fail and its batch be retried`
  }
}

/**
 * The handler threw (its promise rejected): Lambda fails the invocation and its runtime writes an
 * `Invoke Error` line to the function's log. The processor throws only when it cannot start (its
 * configuration, read once from the environment, is invalid), so every invocation fails alike.
 */
export class FunctionInvokeError extends Data.TaggedError("FunctionInvokeError")<{
  readonly functionName: string
  readonly requestId: string
  readonly errorType: string
  readonly errorMessage: string
}> {
  override get message(): string {
    return `${this.functionName} failed: ${this.errorType}: ${this.errorMessage.replace(/\s+/g, " ")}`
  }
  /** The line written to the functions' log, as Lambda's runtime writes it to CloudWatch Logs. */
  get logLine(): string {
    const { functionName, requestId, errorType, errorMessage } = this
    return JSON.stringify({ level: "ERROR", message: "Invoke Error", functionName, requestId, errorType, errorMessage })
  }
}

/** What the runner is told of an invocation: one that outlasted its timeout, one that threw. */
export interface InvocationReports {
  readonly onOverrun: (error: FunctionTimeoutError) => void
  readonly onError: (error: FunctionInvokeError) => void
}

export interface LocalFunctions {
  readonly processor: (event: KinesisStreamEvent) => Promise<KinesisStreamBatchResponse | undefined>
  readonly dlqWorker: (event: SQSEvent) => Promise<SQSBatchResponse | undefined>
}

type Handler<E, R> = (event: E, context: Context) => Promise<R>

let invocation = 0

/** A context like Lambda's, enough for handlers that read the request id or the remaining time. */
export const lambdaContext = (fn: FunctionSettings, region: string, startedAt: number): Context => {
  invocation += 1
  const deadline = startedAt + fn.timeoutSeconds * 1000
  const unsupported = () => {
    throw new Error("callback-style completion is not supported: return a promise")
  }
  return {
    callbackWaitsForEmptyEventLoop: false,
    functionName: fn.name,
    functionVersion: "$LATEST",
    invokedFunctionArn: `arn:aws:lambda:${region}:000000000000:function:${fn.name}`,
    memoryLimitInMB: String(fn.memoryMb),
    awsRequestId: `local-${startedAt.toString(36)}-${invocation}`,
    logGroupName: `/aws/lambda/${fn.name}`,
    logStreamName: "local",
    getRemainingTimeInMillis: () => Math.max(0, deadline - Date.now()),
    done: unsupported,
    fail: unsupported,
    succeed: unsupported
  }
}

const importHandler = <E, R>(module: string) =>
  Effect.tryPromise({
    try: async () => {
      const loaded = (await import(module)) as { handler?: unknown }
      if (typeof loaded.handler !== "function") throw new Error("it does not export a `handler` function")
      return loaded.handler as Handler<E, R>
    },
    catch: (cause) => new FunctionLoadError({ module, problem: cause instanceof Error ? cause.message.split("\n")[0]! : String(cause) })
  })

/** A thrown value's type and message; Effect's errors (a `ConfigError`) are no `Error` instances. */
const describeThrown = (cause: unknown): { readonly errorType: string; readonly errorMessage: string } => {
  const { name, message } = typeof cause === "object" && cause !== null ? (cause as { name?: unknown; message?: unknown }) : {}
  return typeof message === "string"
    ? { errorType: typeof name === "string" ? name : "Error", errorMessage: message }
    : { errorType: typeof cause, errorMessage: String(cause) }
}

/**
 * Runs an invocation; one that outlasts the function's timeout is reported through `onOverrun`.
 * Lambda would kill it and retry the batch, but a promise cannot be killed: retrying while it
 * still runs would only double the load (on an emulator already too slow), so its result is used.
 * A handler that throws is reported through `onError` (Lambda logs it), and the invocation fails
 * with its error, for the event source to retry.
 */
export const withDeadline =
  <E, R>(fn: FunctionSettings, region: string, handler: Handler<E, R>, reports: InvocationReports) =>
  async (event: E): Promise<R> => {
    const startedAt = Date.now()
    const context = lambdaContext(fn, region, startedAt)
    let result: R
    try {
      result = await handler(event, context)
    } catch (cause) {
      reports.onError(new FunctionInvokeError({ functionName: fn.name, requestId: context.awsRequestId, ...describeThrown(cause) }))
      throw cause
    }
    if (Date.now() - startedAt > fn.timeoutSeconds * 1000)
      reports.onOverrun(new FunctionTimeoutError({ functionName: fn.name, seconds: fn.timeoutSeconds }))
    return result
  }

/** Sets the functions' environment and imports their handlers. */
export const loadFunctions = (topology: Topology, provisioned: Provisioned, reports: InvocationReports) =>
  Effect.gen(function* () {
    const { processor, dlqWorker } = topology.functions
    Object.assign(process.env, provisioned.environment(processor), provisioned.environment(dlqWorker))
    const processorHandler = yield* importHandler<KinesisStreamEvent, KinesisStreamBatchResponse | undefined>("@cdc/functions/processor")
    const dlqWorkerHandler = yield* importHandler<SQSEvent, SQSBatchResponse | undefined>("@cdc/functions/dlqWorker")
    return {
      processor: withDeadline(processor, provisioned.region, processorHandler, reports),
      dlqWorker: withDeadline(dlqWorker, provisioned.region, dlqWorkerHandler, reports)
    } satisfies LocalFunctions
  })
