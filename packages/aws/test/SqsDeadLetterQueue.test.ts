import type { SendMessageBatchCommandInput, SQSClient } from "@aws-sdk/client-sqs"
import { assert, describe, it } from "@effect/vitest"
import * as Effect from "effect/Effect"
import { makeSqsDeadLetterQueue } from "../src/SqsDeadLetterQueue"
import { fakeClient } from "./fakeClient"
import { poison } from "./fixtures"

/** SQS answering, per entry in request order: accepted, refused with a code (sender fault or not), or nothing. */
type Answer = "ok" | { readonly code: string; readonly senderFault: boolean } | "none"

const sendWith = (answers: ReadonlyArray<Answer>) =>
  makeSqsDeadLetterQueue(
    fakeClient<SQSClient>((command) => {
      const entries = (command.input as unknown as SendMessageBatchCommandInput).Entries ?? []
      const answered = entries.map((entry, i) => ({ Id: entry.Id, answer: answers[i] }))
      return {
        Successful: answered.filter((a) => a.answer === "ok").map(({ Id }) => ({ Id, MessageId: `m-${Id}` })),
        Failed: answered.flatMap(({ Id, answer }) =>
          typeof answer === "object" ? [{ Id, Code: answer.code, SenderFault: answer.senderFault }] : []
        )
      }
    }).client,
    "https://sqs.local/dlq"
  ).sendBatch(answers.map((_, i) => poison(i)))

describe("SqsDeadLetterQueue", () => {
  it.effect("reads each message's outcome from Failed[]: a sender fault is permanent, anything else is retried", () =>
    Effect.gen(function* () {
      const result = yield* sendWith([
        "ok",
        { code: "InvalidParameterValue", senderFault: true },
        { code: "InternalError", senderFault: false },
        { code: "SomethingNew", senderFault: false },
        "none",
        "ok"
      ])
      assert.deepStrictEqual(result, [
        undefined,
        { code: "InvalidParameterValue", category: "permanent", retryable: false },
        { code: "InternalError", category: "transient", retryable: true },
        { code: "SomethingNew", category: "transient", retryable: true },
        { code: "MissingResult", category: "transient", retryable: true },
        undefined
      ])
    })
  )
})
