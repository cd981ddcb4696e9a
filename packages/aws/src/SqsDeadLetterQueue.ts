/**
 * The live {@link DeadLetterQueue}: one SQS `SendMessageBatch` per call (the batch program keeps
 * it within 10 messages and 256 KiB), each message's outcome read from `Failed[]`: a sender
 * fault is permanent, anything else is retried by the `dlq-send` policy.
 *
 * Message attributes carry the routing fields (`kind`, `category`, `reason`) so the queue can be
 * inspected without parsing bodies; bodies are `DeadLetterMessage` JSON, written by `wireJson` so
 * that no character a record carried makes SQS refuse the message.
 *
 * @example
 * ```ts
 * program.pipe(Effect.provide(SqsDeadLetterQueue.layerConfig)) // CDC_DLQ_URL
 * ```
 */
import { SendMessageBatchCommand, SQSClient } from "@aws-sdk/client-sqs"
import { DeadLetterQueue, type DeadLetterQueueService, messageAttributes } from "@cdc/pipeline/DeadLetterQueue"
import type { ItemFailure } from "@cdc/pipeline/PartialBatch"
import { wireJson } from "@cdc/pipeline/WireJson"
import * as Config from "effect/Config"
import * as Effect from "effect/Effect"
import * as Layer from "effect/Layer"
import { awsCall } from "./AwsCall"
import { classifyAws } from "./AwsError"
import { clientOptions } from "./ClientOptions"

const attribute = (value: string) => ({ DataType: "String", StringValue: value })

/**
 * The queue over a given client and URL.
 *
 * @example
 * ```ts
 * const dlq = makeSqsDeadLetterQueue(new SQSClient(clientOptions()), queueUrl)
 * ```
 */
export const makeSqsDeadLetterQueue = (client: SQSClient, queueUrl: string): DeadLetterQueueService => ({
  sendBatch: (messages) =>
    awsCall("SQS", "SendMessageBatch", (abortSignal) =>
      client.send(
        new SendMessageBatchCommand({
          QueueUrl: queueUrl,
          Entries: messages.map((message, index) => ({
            Id: String(index),
            MessageBody: wireJson(message),
            MessageAttributes: Object.fromEntries(
              Object.entries(messageAttributes(message)).map(([name, value]) => [name, attribute(value)])
            )
          }))
        }),
        { abortSignal }
      )
    ).pipe(
      Effect.map((response) => {
        const failed = new Map((response.Failed ?? []).map((f) => [f.Id, f]))
        const succeeded = new Set((response.Successful ?? []).map((s) => s.Id))
        return messages.map((_, index): ItemFailure | undefined => {
          const failure = failed.get(String(index))
          if (failure === undefined) {
            return succeeded.has(String(index)) ? undefined : { code: "MissingResult", retryable: true, category: "transient" }
          }
          const code = failure.Code ?? "UnknownError"
          const category = failure.SenderFault ? "permanent" : classifyAws(code, 500)
          return { code, category, retryable: !failure.SenderFault }
        })
      })
    )
})

/** `CDC_DLQ_URL` (required). */
export const dlqUrlConfig = Config.String("CDC_DLQ_URL")

const layerFor = (queueUrl: string) => Layer.sync(DeadLetterQueue, () => makeSqsDeadLetterQueue(new SQSClient(clientOptions()), queueUrl))

export const SqsDeadLetterQueue = {
  layer: layerFor,
  layerConfig: Layer.unwrap(Effect.map(dlqUrlConfig, layerFor))
}
