/**
 * What both Lambdas wrap their services in: the retry policies (`CDC_RETRY_*`), JSON log lines
 * (CloudWatch), and a configuration provider that reads the environment when the runtime is
 * built, at cold start. Effect's default provider copies `process.env` the first time anything
 * reads it, which would freeze whatever a test or `sst dev` had set before.
 *
 * @example
 * ```ts
 * export const liveLayer = lambdaEnvironment(Layer.mergeAll(S3Archive.layerConfig, SnsAlerts.layerConfig))
 * ```
 */
import { configProblem } from "@cdc/pipeline/ConfigProblem"
import { RetryPolicies } from "@cdc/pipeline/RetryPolicy"
import type { Context } from "aws-lambda"
import * as Clock from "effect/Clock"
import * as Config from "effect/Config"
import * as ConfigProvider from "effect/ConfigProvider"
import * as Effect from "effect/Effect"
import * as Layer from "effect/Layer"
import * as Logger from "effect/Logger"

export const lambdaEnvironment = <A, E, R>(services: Layer.Layer<A, E, R>) =>
  services.pipe(
    Layer.provideMerge(RetryPolicies.layerConfig),
    Layer.provideMerge(Logger.layer([Logger.consoleJson])),
    Layer.provide(ConfigProvider.layer(Effect.sync(() => ConfigProvider.fromEnv())))
  )

/**
 * Names the invocation on every log line of `program`, its unexpected-failure line included
 * (apply it outermost); `local` when there is no Lambda context.
 *
 * @example
 * ```ts
 * program.pipe(Effect.catchCause(onDefect), withInvocation(context))
 * ```
 */
export const withInvocation =
  (context: Pick<Context, "awsRequestId"> | undefined) =>
  <A, E, R>(program: Effect.Effect<A, E, R>): Effect.Effect<A, E, R> =>
    Effect.annotateLogs(program, { requestId: context?.awsRequestId ?? "local" })

/**
 * What a handler keeps, after its batch program's end, to print its metrics and return: the
 * program is given the context's remaining time less this.
 */
export const returnMarginMillis = 1_000

/**
 * When the batch program must have returned, as the Clock reads time: now plus the context's
 * remaining time, less {@link returnMarginMillis}; `undefined` without a Lambda context (tests,
 * the local tools that call a handler directly). Run it inside the program, once the runtime is
 * built: a cold start's build is time already spent.
 *
 * @example
 * ```ts
 * const result = yield* processBatch(records, { endsAt: yield* invocationEnd(context) })
 * ```
 */
export const invocationEnd = (context: Partial<Pick<Context, "getRemainingTimeInMillis">> | undefined) =>
  Effect.map(Clock.currentTimeMillis, (now): number | undefined => {
    const remaining = context?.getRemainingTimeInMillis?.()
    return remaining === undefined ? undefined : now + remaining - returnMarginMillis
  })

/**
 * What a handler's promise rejects with when its runtime cannot be built (a missing or invalid
 * variable): an `Error`, which Lambda reports by its name and message, where Effect's
 * `ConfigError` is a plain object that Lambda would report as of type `object`. The message names
 * the variable and what was expected, never the value given (a redaction key may be the value).
 *
 * @example
 * ```ts
 * runtime.runPromise(program).catch((error) => Promise.reject(lambdaError(error)))
 * // Error { name: "ConfigError", message: "invalid configuration: CDC_DLQ_URL: Expected string" }
 * ```
 */
export const lambdaError = (error: unknown): Error => {
  if (error instanceof Config.ConfigError) {
    return Object.assign(new Error(`invalid configuration: ${configProblem(error.cause.message)}`), { name: "ConfigError" })
  }
  if (error instanceof Error) return error
  // a tagged failure names itself by its tag (its fields may hold what must not be printed)
  const tag = typeof error === "object" && error !== null && "_tag" in error ? String(error._tag) : undefined
  return Object.assign(new Error(tag === undefined ? String(error) : `runtime not built: ${tag}`), { name: tag ?? "Error" })
}
