/**
 * The AWS SDK clients of the local runner and one way to call them: each call is an Effect with a
 * typed `AwsError` (see `@cdc/aws/AwsCall`), retried with jittered exponential backoff while the
 * error is retryable, because an emulator under load throttles and times out like AWS does.
 *
 * The endpoint is never set here: the SDK reads `AWS_ENDPOINT_URL`, which `cdc start` points at
 * the emulator and which is unset when `cdc replay --stream` talks to AWS.
 *
 * @example
 * ```ts
 * const clients = makeClients()
 * const shards = yield* call("Kinesis", "ListShards", (signal) => clients.kinesis.send(new ListShardsCommand({ StreamName }), { abortSignal: signal }))
 * ```
 */

import { DynamoDBClient } from "@aws-sdk/client-dynamodb"
import { EventBridgeClient } from "@aws-sdk/client-eventbridge"
import { KinesisClient } from "@aws-sdk/client-kinesis"
import { S3Client } from "@aws-sdk/client-s3"
import { SNSClient } from "@aws-sdk/client-sns"
import { SQSClient } from "@aws-sdk/client-sqs"
import { awsCall } from "@cdc/aws/AwsCall"
import type { AwsError } from "@cdc/aws/AwsError"
import { clientOptions, kinesisClientOptions } from "@cdc/aws/ClientOptions"
import * as Effect from "effect/Effect"
import * as Random from "effect/Random"
import * as Schedule from "effect/Schedule"

export interface Clients {
  readonly kinesis: KinesisClient
  readonly sqs: SQSClient
  readonly eventBridge: EventBridgeClient
  readonly dynamodb: DynamoDBClient
  readonly s3: S3Client
  readonly sns: SNSClient
}

/** One client per service, all with the project's HTTP/1.1 handler (see `@cdc/aws/ClientOptions`). */
export const makeClients = (): Clients => ({
  kinesis: new KinesisClient(kinesisClientOptions()),
  sqs: new SQSClient(clientOptions()),
  eventBridge: new EventBridgeClient(clientOptions()),
  dynamodb: new DynamoDBClient(clientOptions()),
  s3: new S3Client({ ...clientOptions(), forcePathStyle: true }),
  sns: new SNSClient(clientOptions())
})

const backoff = Schedule.exponential("100 millis", 2).pipe(Schedule.jittered)

/** `attempt` again, up to 6 times, while its failure is retryable. */
const retried = <A>(attempt: Effect.Effect<A, AwsError>): Effect.Effect<A, AwsError> =>
  Effect.retry(attempt, { schedule: backoff, times: 6, while: (error) => error.retryable })

/** An AWS call as an Effect, retried up to 6 times while the failure is retryable. */
export const call = <A>(service: string, operation: string, send: (signal: AbortSignal) => Promise<A>): Effect.Effect<A, AwsError> =>
  retried(awsCall(service, operation, send))

/**
 * {@link call}, with each attempt, once sent, waited for even when the caller is interrupted (the
 * pauses between attempts are not), and its answer taken by `onAnswer` before an interruption
 * lands: for a write whose effect must be known, as an aborted request may have been applied
 * without its answer saying so.
 *
 * @example
 * ```ts
 * yield* callToItsAnswer("Kinesis", "PutRecords", (signal) => kinesis.send(command, { abortSignal: signal }), (output) =>
 *   Effect.sync(() => count(output))
 * )
 * ```
 */
export const callToItsAnswer = <A>(
  service: string,
  operation: string,
  send: (signal: AbortSignal) => Promise<A>,
  onAnswer: (answer: A) => Effect.Effect<void>
): Effect.Effect<void, AwsError> => retried(Effect.uninterruptible(Effect.flatMap(awsCall(service, operation, send), onAnswer)))

/** The retries of a poller's call for failures other than throttling: as many as {@link call} makes. */
export const pollerRetries = 6

/** Jittered exponential backoff before the retry after `n` failures: up to 1.5 s, in whole milliseconds. */
export const retryPause = (n: number) =>
  Effect.flatMap(Random.next, (jitter) => Effect.sleep(Math.round(Math.min(1_000, 100 * 2 ** n) * (0.5 + jitter))))

/**
 * A call of an event source's poller. Throttling is waited out, however long, as Lambda's pollers
 * do, and never spends the call's retries: a 5xx after a long run of throttling still has all
 * {@link pollerRetries} of its own. Any other failure, once those retries are spent, fails the
 * call, and with it the event source: a dead emulator ends the run loudly.
 *
 * @example
 * ```ts
 * const page = yield* pollerCall("Kinesis", "GetRecords", (signal) => kinesis.send(new GetRecordsCommand(input), { abortSignal: signal }))
 * ```
 */
export const pollerCall = <A>(
  service: string,
  operation: string,
  send: (signal: AbortSignal) => Promise<A>
): Effect.Effect<A, AwsError> => {
  const attempt = (throttled: number, failed: number): Effect.Effect<A, AwsError> =>
    awsCall(service, operation, send).pipe(
      Effect.catch((error) =>
        error.category === "throttling"
          ? Effect.andThen(retryPause(Math.min(throttled, 4)), attempt(throttled + 1, failed))
          : error.retryable && failed < pollerRetries
            ? Effect.andThen(retryPause(failed), attempt(throttled, failed + 1))
            : Effect.fail(error)
      )
    )
  return attempt(0, 0)
}
