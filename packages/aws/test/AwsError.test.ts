import { describe, expect, it } from "vitest"
import { AwsError, classifyAws } from "../src/AwsError"

const sdkError = (name: string, status?: number, message = "request echoed: 123-45-6789") =>
  Object.assign(new Error(message), { name, $metadata: { httpStatusCode: status } })

describe("AwsError", () => {
  it.each([
    ["ThrottlingException", 400, "throttling", true],
    ["ProvisionedThroughputExceededException", 400, "throttling", true],
    ["SomethingNew", 429, "throttling", true],
    ["InternalFailure", 500, "transient", true],
    ["SomethingNew", 503, "transient", true],
    ["TimeoutError", undefined, "transient", true],
    ["ValidationException", 400, "permanent", false],
    ["ConditionalCheckFailedException", 400, "permanent", false],
    ["AccessDeniedException", 403, "permanent", false]
  ] as const)("classifies %s (HTTP %s) as %s", (name, status, category, retryable) => {
    const error = AwsError.fromUnknown("DynamoDB", "UpdateItem", sdkError(name, status))
    expect([error.category, error.retryable, error.code]).toEqual([category, retryable, name])
    expect(classifyAws(name, status)).toBe(category)
  })

  it("keeps node network errors by their code", () => {
    const error = AwsError.fromUnknown("SQS", "SendMessageBatch", Object.assign(new Error("socket hang up"), { code: "ECONNRESET" }))
    expect([error.code, error.category]).toEqual(["ECONNRESET", "transient"])
  })

  it("never carries the SDK's message, which may echo request content", () => {
    const error = AwsError.fromUnknown("EventBridge", "PutEvents", sdkError("ValidationException", 400))
    expect(error.message).toBe("EventBridge.PutEvents failed: ValidationException (HTTP 400)")
    expect(JSON.stringify(error) + String(error)).not.toContain("123-45-6789")
  })

  it("tolerates values that are not errors", () => {
    expect(AwsError.fromUnknown("S3", "PutObject", "boom").code).toBe("UnknownError")
  })
})
