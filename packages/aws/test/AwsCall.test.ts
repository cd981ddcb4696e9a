import { assert, describe, it } from "@effect/vitest"
import * as Effect from "effect/Effect"
import * as Fiber from "effect/Fiber"
import * as Metric from "effect/Metric"
import * as Tracer from "effect/Tracer"
import { awsCall } from "../src/AwsCall"
import { sdkError } from "./fakeClient"

describe("awsCall", () => {
  it.effect("counts every attempt in cdc_aws_calls by service and operation, failed ones too", () =>
    Effect.gen(function* () {
      yield* awsCall("SQS", "SendMessageBatch", async () => ({}))
      yield* Effect.exit(awsCall("SQS", "SendMessageBatch", () => Promise.reject(sdkError("ServiceUnavailable", 503))))
      yield* awsCall("DynamoDB", "UpdateItem", async () => ({}))
      const counts = (yield* Metric.snapshot).flatMap((s) =>
        s.id === "cdc_aws_calls" && s.type === "Counter"
          ? [[`${s.attributes?.service}.${s.attributes?.operation}`, Number(s.state.count)]]
          : []
      )
      assert.deepStrictEqual(Object.fromEntries(counts), { "SQS.SendMessageBatch": 2, "DynamoDB.UpdateItem": 1 })
    }).pipe(Effect.provideService(Metric.MetricRegistry, new Map()))
  )

  it.effect("fails with an AwsError naming the call", () =>
    Effect.gen(function* () {
      const error = yield* Effect.flip(awsCall("Kinesis", "GetRecords", () => Promise.reject(sdkError("ExpiredIteratorException", 400))))
      assert.strictEqual(error.message, "Kinesis.GetRecords failed: ExpiredIteratorException (HTTP 400)")
    })
  )

  it.effect("traces each call as the span aws.<Service>.<Operation>", () =>
    Effect.gen(function* () {
      const names: Array<string> = []
      const tracer = Tracer.make({
        span: (options) => {
          names.push(options.name)
          return Tracer.nativeTracer.span(options)
        }
      })
      yield* awsCall("Kinesis", "PutRecord", async () => ({})).pipe(Effect.withTracer(tracer))
      assert.deepStrictEqual(names, ["aws.Kinesis.PutRecord"])
    })
  )

  it.effect("aborts the SDK request when the call is interrupted (a timeout, a cancelled batch)", () =>
    Effect.gen(function* () {
      let aborted = false
      const fiber = yield* Effect.forkChild(
        awsCall("S3", "GetObject", (signal) => {
          signal.addEventListener("abort", () => {
            aborted = true
          })
          return new Promise<never>(() => {})
        })
      )
      yield* Effect.yieldNow
      yield* Fiber.interrupt(fiber)
      assert.isTrue(aborted)
    })
  )
})
