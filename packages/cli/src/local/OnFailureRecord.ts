/**
 * The record Lambda sends to a Kinesis event source mapping's on-failure destination (here the
 * DLQ): the shard and sequence-number range of the records given up, never their data, and how
 * often they had been invoked. The local mappings of `cdc start` and the chaos suite both send it.
 *
 * @example
 * ```ts
 * const body = JSON.stringify(onFailureRecord({ info, region, functionName, condition: "RetryAttemptsExhausted", invocations: 21, now }))
 * ```
 */
import type { KinesisBatchInfo } from "./KinesisEventSource"

export const onFailureRecord = (input: {
  readonly info: KinesisBatchInfo
  readonly region: string
  /** The processor's (the emulator's account is 000000000000). */
  readonly functionName: string
  readonly condition: string
  /** Invocations of the records given up: their first, their retries and the splits of bisection. */
  readonly invocations: number
  readonly now: number
}) => ({
  requestContext: {
    requestId: `${input.info.shardId}:${input.info.startSequenceNumber}`,
    functionArn: `arn:aws:lambda:${input.region}:000000000000:function:${input.functionName}`,
    condition: input.condition,
    approximateInvokeCount: input.invocations
  },
  responseContext: { statusCode: 200, executedVersion: "$LATEST", functionError: "" },
  version: "1.0",
  timestamp: new Date(input.now).toISOString(),
  KinesisBatchInfo: input.info
})
