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
import { RetryPolicies } from "@cdc/pipeline/RetryPolicy"
import { ConfigProvider, Effect, Layer, Logger } from "effect"

export const lambdaEnvironment = <A, E, R>(services: Layer.Layer<A, E, R>) =>
  services.pipe(
    Layer.provideMerge(RetryPolicies.layerConfig),
    Layer.provideMerge(Logger.layer([Logger.consoleJson])),
    Layer.provide(ConfigProvider.layer(Effect.sync(() => ConfigProvider.fromEnv())))
  )
