/**
 * The local event source mappings of `cdc start`: what Lambda does in AWS, here as pollers that
 * invoke the real handlers: the stream to the processor (with its on-failure destination, the
 * DLQ), the DLQ to the DLQ worker, and each consumer queue (and the tap) to its consumer. Also
 * samples each consumer queue's depth (the consumer lag the Wallboard shows) and the DLQ's.
 */
import { GetQueueAttributesCommand, SendMessageCommand } from "@aws-sdk/client-sqs"
import * as Clock from "effect/Clock"
import * as Effect from "effect/Effect"
import { queueConsumer, tapConsumer } from "./Consumers"
import type { loadFunctions } from "./Functions"
import { kinesisSourceSettings, runKinesisEventSource } from "./KinesisEventSource"
import { type Clients, call } from "./LocalAws"
import { onFailureRecord } from "./OnFailureRecord"
import type { Running } from "./Running"
import { fromLambda, runSqsEventSource } from "./SqsEventSource"

/** Messages on a queue, visible or in flight. */
export const queueDepth = (clients: Clients, url: string) =>
  call("SQS", "GetQueueAttributes", (abortSignal) =>
    clients.sqs.send(
      new GetQueueAttributesCommand({
        QueueUrl: url,
        AttributeNames: ["ApproximateNumberOfMessages", "ApproximateNumberOfMessagesNotVisible"]
      }),
      {
        abortSignal
      }
    )
  ).pipe(
    Effect.map(
      (output) =>
        Number(output.Attributes?.ApproximateNumberOfMessages ?? 0) + Number(output.Attributes?.ApproximateNumberOfMessagesNotVisible ?? 0)
    )
  )

/**
 * Consumer lag as the Wallboard shows it, messages waiting on each consumer queue, and the DLQ's
 * depth apart: the DLQ worker's backlog is not a consumer falling behind.
 */
export const sampleLag = (running: Running) =>
  Effect.forever(
    Effect.gen(function* () {
      for (const queue of running.provisioned.consumerQueues)
        running.stats.queueDepth(queue.id, yield* queueDepth(running.clients, queue.url))
      running.stats.dlqDepth(yield* queueDepth(running.clients, running.provisioned.dlq.url))
      yield* Effect.sleep(2_000)
    }),
    { disableYield: true }
  )

/** Starts every poller in the run's background: a poller's failure ends the run. */
export const startEventSourceMappings = (running: Running, functions: Effect.Success<ReturnType<typeof loadFunctions>>) =>
  Effect.gen(function* () {
    const { clients, provisioned, topology, stats, ledger, positions } = running
    const esm = topology.functions.processor.source
    const region = provisioned.region
    yield* running.background(
      runKinesisEventSource({
        kinesis: clients.kinesis,
        stream: { name: provisioned.stream.name, arn: provisioned.stream.arn, region },
        settings: kinesisSourceSettings(esm),
        positions,
        stats,
        handler: functions.processor,
        ...(running.emulatorExited === undefined ? {} : { stopWaitEnds: running.emulatorExited }),
        onFailure: (info, condition, invocations) =>
          Effect.gen(function* () {
            const functionName = running.topology.functions.processor.name
            const now = yield* Clock.currentTimeMillis
            const body = JSON.stringify(onFailureRecord({ info, region: provisioned.region, functionName, condition, invocations, now }))
            yield* call("SQS", "SendMessage", (abortSignal) =>
              clients.sqs.send(new SendMessageCommand({ QueueUrl: provisioned.dlq.url, MessageBody: body }), { abortSignal })
            )
          })
      })
    )
    yield* running.background(
      runSqsEventSource({
        sqs: clients.sqs,
        queue: { url: provisioned.dlq.url, arn: provisioned.dlq.arn, region },
        batchSize: topology.functions.dlqWorker.source.batchSize,
        batchingWindowMillis: topology.functions.dlqWorker.source.maximumBatchingWindowInSeconds * 1000,
        handler: fromLambda(functions.dlqWorker),
        observe: (message) => stats.dlqArrived(ledger.deadLettered(message.body))
      })
    )
    for (const queue of provisioned.consumerQueues) {
      yield* running.background(
        runSqsEventSource({
          sqs: clients.sqs,
          queue: { ...queue, region },
          batchSize: 10,
          handler: queueConsumer(queue.id, stats, topology.sourcePrefix, queue.id === "wallboards")
        })
      )
    }
    yield* running.background(
      runSqsEventSource({
        sqs: clients.sqs,
        queue: { ...provisioned.tap, region },
        batchSize: 10,
        handler: tapConsumer(stats, topology.sourcePrefix, (event) => ledger.published(event.eventId))
      })
    )
    yield* running.background(sampleLag(running))
  })
