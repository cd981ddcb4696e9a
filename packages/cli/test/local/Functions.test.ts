import { makeTopology } from "@cdc/topology"
import type { Context } from "aws-lambda"
import { afterEach, describe, expect, it, vi } from "vitest"
import { type FunctionInvokeError, type FunctionTimeoutError, withDeadline } from "../../src/local/Functions"

const { processor } = makeTopology({ stage: "test" }).functions
const timeoutMillis = processor.timeoutSeconds * 1000

afterEach(() => {
  vi.useRealTimers()
})

/** Invokes through `withDeadline` a handler that takes `millis` (of the system clock) and returns the context it saw. */
const invokeTaking = async (millis: number) => {
  vi.useFakeTimers({ toFake: ["Date"] })
  const overruns: Array<FunctionTimeoutError> = []
  const seen: Array<{ remaining: number; context: Context }> = []
  const invoke = withDeadline(
    processor,
    "eu-west-1",
    async (_event: unknown, context: Context) => {
      seen.push({ remaining: context.getRemainingTimeInMillis(), context })
      vi.setSystemTime(Date.now() + millis)
      return "result"
    },
    { onOverrun: (error) => overruns.push(error), onError: (error) => expect.fail(error.message) }
  )
  const result = await invoke({})
  return { result, overruns, seen: seen[0]! }
}

describe("a local invocation", () => {
  it("gets a Lambda context: the function's full timeout to run, its ARN in the region, a request id of its own", async () => {
    const first = await invokeTaking(0)
    const second = await invokeTaking(0)
    expect(first.seen.remaining).toBe(timeoutMillis)
    expect(first.seen.context.invokedFunctionArn).toBe(`arn:aws:lambda:eu-west-1:000000000000:function:${processor.name}`)
    expect(first.seen.context.functionName).toBe(processor.name)
    expect(first.seen.context.awsRequestId).not.toBe(second.seen.context.awsRequestId)
  })

  it("is reported when it outlasts the function's timeout, and its result is still used", async () => {
    const within = await invokeTaking(timeoutMillis)
    expect(within.overruns).toEqual([])
    const over = await invokeTaking(timeoutMillis + 1)
    expect(over.result).toBe("result")
    expect(over.overruns.map((e) => [e.functionName, e.seconds])).toEqual([[processor.name, processor.timeoutSeconds]])
  })

  it("that throws fails with its error, reported with the function, request id and error (the line Lambda logs)", async () => {
    const failures: Array<FunctionInvokeError> = []
    // what the processor throws when a CDC_* variable is invalid: Effect's ConfigError, no `Error` instance
    const thrown = {
      name: "ConfigError",
      message: 'SchemaError(Expected a string representing a finite number\n  at ["CDC_BREAKER_FAILURE_THRESHOLD"])'
    }
    let requestId = ""
    const invoke = withDeadline(
      processor,
      "eu-west-1",
      async (_event: unknown, context: Context) => {
        requestId = context.awsRequestId
        throw thrown
      },
      { onOverrun: (error) => expect.fail(error.message), onError: (error) => failures.push(error) }
    )
    await expect(invoke({})).rejects.toBe(thrown)
    expect(failures).toHaveLength(1)
    const failure = failures[0]!
    expect(failure.message).toBe(
      `${processor.name} failed: ConfigError: SchemaError(Expected a string representing a finite number at ["CDC_BREAKER_FAILURE_THRESHOLD"])`
    )
    expect(JSON.parse(failure.logLine)).toEqual({
      level: "ERROR",
      message: "Invoke Error",
      functionName: processor.name,
      requestId,
      errorType: "ConfigError",
      errorMessage: thrown.message
    })
  })

  it("that throws something other than an error reports its type and text", async () => {
    const failures: Array<FunctionInvokeError> = []
    const invoke = withDeadline(
      processor,
      "eu-west-1",
      async () => {
        throw "no handler today"
      },
      { onOverrun: (error) => expect.fail(error.message), onError: (error) => failures.push(error) }
    )
    await expect(invoke({})).rejects.toBe("no handler today")
    expect(failures.map((f) => [f.errorType, f.errorMessage])).toEqual([["string", "no handler today"]])
  })
})
