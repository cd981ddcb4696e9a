/**
 * Runs one AWS SDK call as an Effect: typed {@link AwsError} on failure, a span named
 * `aws.<Service>.<Operation>`, and cancellation through the SDK's `abortSignal`.
 *
 * @example
 * ```ts
 * const put = awsCall("EventBridge", "PutEvents", (signal) => client.send(new PutEventsCommand(input), { abortSignal: signal }))
 * ```
 */
import { Effect } from "effect"
import { AwsError } from "./AwsError"

export const awsCall = <A>(service: string, operation: string, send: (signal: AbortSignal) => Promise<A>): Effect.Effect<A, AwsError> =>
  Effect.tryPromise({
    try: (signal) => send(signal),
    catch: (cause) => AwsError.fromUnknown(service, operation, cause)
  }).pipe(Effect.withSpan(`aws.${service}.${operation}`, { attributes: { "aws.service": service, "aws.operation": operation } }))
