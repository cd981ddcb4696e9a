/**
 * Runs one AWS SDK call as an Effect: typed {@link AwsError} on failure, a span named
 * `aws.<Service>.<Operation>`, cancellation through the SDK's `abortSignal`, and one count in
 * the `cdc_aws_calls` metric (dimensions `service`, `operation`) per attempt, which is how the
 * processor's EMF output, the local runner and the benchmarks count AWS calls.
 *
 * @example
 * ```ts
 * const put = awsCall("EventBridge", "PutEvents", (signal) => client.send(new PutEventsCommand(input), { abortSignal: signal }))
 * ```
 */
import { awsCalls } from "@cdc/pipeline/Metrics"
import * as Effect from "effect/Effect"
import * as Metric from "effect/Metric"
import { AwsError } from "./AwsError"

export const awsCall = <A>(service: string, operation: string, send: (signal: AbortSignal) => Promise<A>): Effect.Effect<A, AwsError> =>
  Metric.update(Metric.withAttributes(awsCalls, { service, operation }), 1).pipe(
    Effect.andThen(
      Effect.tryPromise({
        try: (signal) => send(signal),
        catch: (cause) => AwsError.fromUnknown(service, operation, cause)
      })
    ),
    Effect.withSpan(`aws.${service}.${operation}`, { attributes: { "aws.service": service, "aws.operation": operation } })
  )
