/**
 * The typed failure of every AWS call, classified for retry and DLQ routing.
 *
 * The SDK's own error message is deliberately dropped: services echo request content in it
 * (a `ValidationException` may quote an entry). Only the error name, HTTP status and the call's
 * coordinates are kept.
 *
 * @example
 * ```ts
 * Effect.retry(call, { schedule, while: (error) => error.retryable })
 * ```
 */

import type { Classified, ErrorCategory } from "@cdc/domain/Classified"
import * as Data from "effect/Data"

const throttlingNames = new Set([
  "ThrottlingException",
  "Throttling",
  "ThrottledException",
  "TooManyRequestsException",
  "ProvisionedThroughputExceededException",
  "RequestLimitExceeded",
  "RequestThrottled",
  "RequestThrottledException",
  "SlowDown",
  "LimitExceededException",
  "KMSThrottlingException",
  // the SDK's own throttling codes (@smithy/core's THROTTLING_ERROR_CODES) not listed above
  "BandwidthLimitExceeded",
  "PriorRequestNotComplete",
  "TransactionInProgressException"
])

const transientNames = new Set([
  "InternalServerError",
  "InternalServerException",
  "InternalFailure",
  "InternalError",
  "ServiceUnavailable",
  "ServiceUnavailableException",
  "RequestTimeout",
  "RequestTimeoutException",
  "TimeoutError",
  "NetworkingError",
  // Node's network errors the SDK retries too (@smithy/core's NODEJS_TIMEOUT_ERROR_CODES and
  // NODEJS_NETWORK_ERROR_CODES): a route or a name lookup that failed for a moment
  "ECONNRESET",
  "ECONNREFUSED",
  "ECONNABORTED",
  "EPIPE",
  "ETIMEDOUT",
  "EHOSTUNREACH",
  "ENETUNREACH",
  "ENOTFOUND",
  "EAI_AGAIN",
  "TransactionConflictException"
])

/** Classifies an AWS error name and HTTP status. */
export const classifyAws = (name: string, status: number | undefined): ErrorCategory => {
  if (throttlingNames.has(name) || status === 429) return "throttling"
  if (transientNames.has(name) || (status !== undefined && status >= 500)) return "transient"
  return "permanent"
}

/**
 * The SDK's own configuration errors arrive as a plain `Error` whose message is the only clue.
 * These messages are fixed texts (never a value), so each exact text is kept, as a code.
 */
const sdkConfigurationErrors: ReadonlyMap<string, string> = new Map([["Region is missing", "RegionMissing"]])

/** A failed AWS call. `code` is the AWS error name (e.g. `ThrottlingException`). */
export class AwsError
  extends Data.TaggedError("AwsError")<{
    readonly service: string
    readonly operation: string
    readonly code: string
    readonly httpStatus: number | undefined
    readonly category: ErrorCategory
  }>
  implements Classified
{
  get retryable(): boolean {
    return this.category === "throttling" || this.category === "transient"
  }
  override get message(): string {
    return `${this.service}.${this.operation} failed: ${this.code}${this.httpStatus ? ` (HTTP ${this.httpStatus})` : ""}`
  }

  /** Builds an AwsError from whatever the SDK threw, keeping only name and status (and no message but a known fixed one). */
  static fromUnknown(service: string, operation: string, cause: unknown): AwsError {
    const record = (typeof cause === "object" && cause !== null ? cause : {}) as {
      name?: unknown
      code?: unknown
      message?: unknown
      $metadata?: { httpStatusCode?: unknown }
    }
    // Node's error codes, fixed identifiers: errno names (`ECONNRESET`), getaddrinfo's
    // (`EAI_AGAIN`) and Node's own (`ERR_INVALID_URL`: an endpoint that is no URL).
    const rawName =
      typeof record.code === "string" && /^(E(AI_)?[A-Z]+|ERR_[A-Z0-9_]+)$/.test(record.code)
        ? record.code
        : (sdkConfigurationErrors.get(typeof record.message === "string" ? record.message : "") ?? record.name)
    const code = typeof rawName === "string" && rawName.length > 0 ? rawName : "UnknownError"
    const status = typeof record.$metadata?.httpStatusCode === "number" ? record.$metadata.httpStatusCode : undefined
    return new AwsError({ service, operation, code, httpStatus: status, category: classifyAws(code, status) })
  }
}
