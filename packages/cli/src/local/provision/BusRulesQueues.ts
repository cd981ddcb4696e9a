/**
 * The EventBridge bus with its event archive, the rules and their target queues, and the queues'
 * policies (as `stacks/BusRulesArchive.ts` and `stacks/FailureHandling.ts` deploy them), created
 * if missing with the real AWS APIs.
 *
 * @example
 * ```ts
 * const target = yield* queue(clients, topology.resources.dlq, parking.arn)
 * ```
 */
import {
  CreateArchiveCommand,
  CreateEventBusCommand,
  DescribeEventBusCommand,
  PutRuleCommand,
  PutTargetsCommand
} from "@aws-sdk/client-eventbridge"
import { CreateQueueCommand, GetQueueAttributesCommand, SetQueueAttributesCommand } from "@aws-sdk/client-sqs"
import type { EventPattern, QueueSettings, Topology } from "@cdc/topology"
import { consumerQueuePolicy, type TargetRetry } from "@cdc/topology/Rules"
import * as Effect from "effect/Effect"
import { type Clients, call } from "../LocalAws"
import type { ProvisionedQueue } from "../Provision"
import { ifMissing } from "./Steps"

export const queue = (
  clients: Clients,
  settings: Pick<QueueSettings, "name" | "retentionSeconds"> & Partial<QueueSettings> & { readonly maxMessageBytes?: number },
  redriveArn?: string
) =>
  Effect.gen(function* () {
    const { sqs } = clients
    const attributes: Record<string, string> = {
      MessageRetentionPeriod: String(settings.retentionSeconds),
      SqsManagedSseEnabled: "true",
      ...(settings.visibilityTimeoutSeconds !== undefined ? { VisibilityTimeout: String(settings.visibilityTimeoutSeconds) } : {}),
      ...(settings.maxMessageBytes !== undefined ? { MaximumMessageSize: String(settings.maxMessageBytes) } : {}),
      ...(settings.redrive && redriveArn
        ? { RedrivePolicy: JSON.stringify({ deadLetterTargetArn: redriveArn, maxReceiveCount: settings.redrive.maxReceiveCount }) }
        : {})
    }
    const created = yield* call("SQS", "CreateQueue", (abortSignal) =>
      sqs.send(new CreateQueueCommand({ QueueName: settings.name }), { abortSignal })
    )
    const url = created.QueueUrl!
    // Set separately: CreateQueue refuses an existing queue whose attributes differ.
    yield* call("SQS", "SetQueueAttributes", (abortSignal) =>
      sqs.send(new SetQueueAttributesCommand({ QueueUrl: url, Attributes: attributes }), { abortSignal })
    )
    const described = yield* call("SQS", "GetQueueAttributes", (abortSignal) =>
      sqs.send(new GetQueueAttributesCommand({ QueueUrl: url, AttributeNames: ["QueueArn"] }), { abortSignal })
    )
    return { name: settings.name, url, arn: described.Attributes!.QueueArn! }
  })

/** Lets exactly the given rules send to the queue (as the stacks' queue policies do). */
export const allowRules = (clients: Clients, target: ProvisionedQueue, ruleArns: ReadonlyArray<string>) =>
  call("SQS", "SetQueueAttributes", (abortSignal) =>
    clients.sqs.send(
      new SetQueueAttributesCommand({
        QueueUrl: target.url,
        Attributes: {
          Policy: JSON.stringify(consumerQueuePolicy(target.arn, ruleArns))
        }
      }),
      { abortSignal }
    )
  )

/** A rule delivering to `target`; with `delivery`, its retries and the DLQ of what it cannot deliver. */
export const rule = (
  clients: Clients,
  busName: string,
  name: string,
  description: string,
  pattern: EventPattern,
  target: ProvisionedQueue,
  delivery?: { readonly dlq: ProvisionedQueue; readonly retry: TargetRetry }
) =>
  Effect.gen(function* () {
    const { eventBridge } = clients
    const created = yield* call("EventBridge", "PutRule", (abortSignal) =>
      eventBridge.send(
        new PutRuleCommand({
          Name: name,
          EventBusName: busName,
          Description: description,
          EventPattern: JSON.stringify(pattern),
          State: "ENABLED"
        }),
        { abortSignal }
      )
    )
    yield* call("EventBridge", "PutTargets", (abortSignal) =>
      eventBridge.send(
        new PutTargetsCommand({
          Rule: name,
          EventBusName: busName,
          Targets: [
            {
              Id: "queue",
              Arn: target.arn,
              ...(delivery && {
                DeadLetterConfig: { Arn: delivery.dlq.arn },
                RetryPolicy: {
                  MaximumEventAgeInSeconds: delivery.retry.maximumEventAgeSeconds,
                  MaximumRetryAttempts: delivery.retry.maximumRetryAttempts
                }
              })
            }
          ]
        }),
        { abortSignal }
      )
    )
    return created.RuleArn!
  })

export const bus = (clients: Clients, topology: Topology) =>
  Effect.gen(function* () {
    const { eventBridge } = clients
    const name = topology.resources.bus.name
    yield* ifMissing(
      call("EventBridge", "CreateEventBus", (abortSignal) => eventBridge.send(new CreateEventBusCommand({ Name: name }), { abortSignal })),
      "ResourceAlreadyExistsException"
    )
    const described = yield* call("EventBridge", "DescribeEventBus", (abortSignal) =>
      eventBridge.send(new DescribeEventBusCommand({ Name: name }), { abortSignal })
    )
    const archive = topology.eventArchive
    yield* ifMissing(
      call("EventBridge", "CreateArchive", (abortSignal) =>
        eventBridge.send(
          new CreateArchiveCommand({
            ArchiveName: archive.name,
            EventSourceArn: described.Arn!,
            EventPattern: JSON.stringify(archive.pattern),
            RetentionDays: archive.retentionDays
          }),
          { abortSignal }
        )
      ),
      "ResourceAlreadyExistsException"
    )
    return { name, arn: described.Arn! }
  })
