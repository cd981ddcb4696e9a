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

  it.effect("a record's U+FFFE / U+FFFF, which SQS refuses in a body, are written as JSON escapes: the message is stored", () =>
    Effect.gen(function* () {
      const bodies: Array<string> = []
      // SQS's documented character set (XML 1.0's): anything else refuses the message for good
      const refused = /[^\t\n\r\x20-\uD7FF\uE000-\uFFFD\u{10000}-\u{10FFFF}]/u
      const dlq = makeSqsDeadLetterQueue(
        fakeClient<SQSClient>((command) => {
          const entries = (command.input as unknown as SendMessageBatchCommandInput).Entries ?? []
          bodies.push(...entries.map((entry) => entry.MessageBody ?? ""))
          const bad = entries.filter((entry) => refused.test(entry.MessageBody ?? ""))
          return {
            Successful: entries.filter((entry) => !bad.includes(entry)).map(({ Id }) => ({ Id, MessageId: `m-${Id}` })),
            Failed: bad.map(({ Id }) => ({ Id, Code: "InvalidMessageContents", SenderFault: true }))
          }
        }).client,
        "https://sqs.local/dlq"
      )
      const message = {
        ...poison(1),
        coordinates: { ...poison(1).coordinates, partitionKey: "key\uffff", table: "odd\ufffetable" },
        event: { Source: "cdc-pipeline.users", DetailType: "user.updated", Detail: '{"name":"a\uffffb"}', Time: "2024-01-15T10:30:00Z" }
      }
      assert.deepStrictEqual(yield* dlq.sendBatch([message]), [undefined])
      assert.deepStrictEqual(JSON.parse(bodies[0] ?? ""), message)
    })
  )
})
