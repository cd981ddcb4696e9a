import { describe, expect, it } from "vitest"
import { AwsError, classifyAws } from "../src/AwsError"

const sdkError = (name: string, status?: number, message = "request echoed: 123-45-6789") =>
  Object.assign(new Error(message), { name, $metadata: { httpStatusCode: status } })

describe("AwsError", () => {
  it("names the SDK's missing-region error, which comes as a plain Error, and keeps no other message", () => {
    const missing = AwsError.fromUnknown("Kinesis", "PutRecords", new Error("Region is missing"))
    expect([missing.code, missing.category, missing.message]).toEqual([
      "RegionMissing",
      "permanent",
      "Kinesis.PutRecords failed: RegionMissing"
    ])
    const other = AwsError.fromUnknown("Kinesis", "PutRecords", new Error("Region is missing near 123-45-6789"))
    expect(other.message).toBe("Kinesis.PutRecords failed: Error")
  })

  it("keeps a temporary DNS failure (EAI_AGAIN) by its code, as transient", () => {
    // As the SDK passes it on from Node: name "Error", the getaddrinfo code.
    const dns = Object.assign(new Error("getaddrinfo EAI_AGAIN events.eu-west-1.amazonaws.com"), { code: "EAI_AGAIN" })
    const error = AwsError.fromUnknown("EventBridge", "PutEvents", dns)
    expect([error.code, error.category, error.retryable]).toEqual(["EAI_AGAIN", "transient", true])
  })

  it.each([
    ["ThrottlingException", 400, "throttling", true],
    ["BandwidthLimitExceeded", 400, "throttling", true],
    ["PriorRequestNotComplete", 400, "throttling", true],
    ["ProvisionedThroughputExceededException", 400, "throttling", true],
    ["LimitExceededException", 400, "throttling", true],
    ["TooManyRequestsException", 400, "throttling", true],
    ["SlowDown", 503, "throttling", true],
    ["KMSThrottlingException", 400, "throttling", true],
    ["SomethingNew", 429, "throttling", true],
    ["InternalFailure", 500, "transient", true],
    ["SomethingNew", 503, "transient", true],
    ["SomethingNew", 500, "transient", true],
    ["TransactionConflictException", 400, "transient", true],
    ["ServiceUnavailableException", undefined, "transient", true],
    ["InternalError", undefined, "transient", true],
    ["TimeoutError", undefined, "transient", true],
    ["ValidationException", 400, "permanent", false],
    ["ConditionalCheckFailedException", 400, "permanent", false],
    ["AccessDeniedException", 403, "permanent", false]
  ] as const)("classifies %s (HTTP %s) as %s", (name, status, category, retryable) => {
    const error = AwsError.fromUnknown("DynamoDB", "UpdateItem", sdkError(name, status))
    expect([error.category, error.retryable, error.code]).toEqual([category, retryable, name])
    expect(classifyAws(name, status)).toBe(category)
  })

  it.each(["ECONNRESET", "ECONNREFUSED", "ETIMEDOUT", "EHOSTUNREACH", "ENETUNREACH", "ENOTFOUND", "ECONNABORTED"])(
    "keeps the node network error %s by its code, as transient",
    (code) => {
      const error = AwsError.fromUnknown("SQS", "SendMessageBatch", Object.assign(new Error("socket hang up"), { code }))
      expect([error.code, error.category]).toEqual([code, "transient"])
    }
  )

  it("names a bad endpoint by Node's error code (ERR_INVALID_URL), not as a bare TypeError, as permanent", () => {
    // As the SDK passes it on when AWS_ENDPOINT_URL is no URL: a TypeError carrying Node's code.
    const bad = Object.assign(new TypeError("Invalid URL"), { code: "ERR_INVALID_URL", input: "notaurl" })
    const error = AwsError.fromUnknown("S3", "ListObjectsV2", bad)
    expect([error.message, error.category]).toEqual(["S3.ListObjectsV2 failed: ERR_INVALID_URL", "permanent"])
    // a code that is no identifier is not kept: it could be anything
    expect(AwsError.fromUnknown("S3", "ListObjectsV2", Object.assign(new TypeError("x"), { code: "ERR_ x 123-45-6789" })).code).toBe(
      "TypeError"
    )
  })

  it("never carries the SDK's message, which may echo request content", () => {
    const error = AwsError.fromUnknown("EventBridge", "PutEvents", sdkError("ValidationException", 400))
    expect(error.message).toBe("EventBridge.PutEvents failed: ValidationException (HTTP 400)")
    expect(JSON.stringify(error) + String(error)).not.toContain("123-45-6789")
  })

  it("tolerates values that are not errors", () => {
    expect(AwsError.fromUnknown("S3", "PutObject", "boom").code).toBe("UnknownError")
    expect(AwsError.fromUnknown("S3", "PutObject", { name: "" }).code).toBe("UnknownError")
  })
})
