/**
 * The bus's routing: the reference design's rules, each delivering to the queue of a sample
 * consumer, and the compliance archive of every pipeline event. Patterns are EventBridge event
 * patterns, exactly as in the reference design's `eventbridge-rules.yml`, with the source prefix
 * configurable (`CDC_SOURCE_PREFIX`, default `cdc-pipeline`).
 *
 * An event the bus cannot deliver to a target (its queue deleted, its policy or encryption
 * refusing EventBridge) is retried for up to 24 hours, then kept in the delivery DLQ, which pages
 * the team (./Alarms); nothing is dropped in silence. Every event is also in the archive.
 *
 * The reference gives the order rule two targets (Wallboards and an analytics stream); here each
 * consumer has its own rule and queue, so one consumer can be paused or redirected alone.
 *
 * @example
 * ```ts
 * const rules = makeRules(names, "cdc-pipeline")
 * rules[0].pattern // { source: [{ prefix: "cdc-pipeline.users" }], "detail-type": ["user.created", ...] }
 * ```
 */
import { limits } from "./Limits"
import type { Names } from "./Names"

/** An EventBridge event pattern (the JSON AWS stores for a rule or an archive). */
export interface EventPattern {
  readonly source: ReadonlyArray<{ readonly prefix: string }>
  readonly "detail-type"?: ReadonlyArray<string>
}

export type ConsumerId = "wallboards" | "analytics"

export interface ConsumerQueue {
  readonly id: ConsumerId
  readonly name: string
  readonly retentionSeconds: number
  /** SQS's `MaximumMessageSize` (see {@link ruleFedQueueMaxMessageBytes}). */
  readonly maxMessageBytes: number
}

export interface Rule {
  /** Stable id, also the suffix of the physical name (`<app>-<stage>-<id>`). */
  readonly id: string
  readonly name: string
  readonly description: string
  readonly pattern: EventPattern
  readonly target: ConsumerId
}

export interface EventArchive {
  readonly name: string
  readonly pattern: EventPattern
  readonly retentionDays: number
}

/** How EventBridge retries delivering an event to a rule's target before it goes to the delivery DLQ. */
export interface TargetRetry {
  readonly maximumEventAgeSeconds: number
  readonly maximumRetryAttempts: number
}

/** Where the events a rule could not deliver go, and how long they are retried before that. */
export interface Delivery {
  readonly dlq: { readonly name: string; readonly retentionSeconds: number; readonly maxMessageBytes: number }
  readonly retry: TargetRetry
}

/** Consumer queues keep four days of events, SQS's default, enough to ride out a long weekend. */
const consumerRetentionSeconds = 4 * 24 * 60 * 60

/**
 * The largest message a queue the rules send to accepts: SQS's maximum (1 MiB), set explicitly.
 * A published entry may be as large as a whole `PutEvents` request (256 KiB); delivered, it is
 * wrapped in EventBridge's envelope (`id`, `account`, `time`, `region`, …), and in the delivery
 * DLQ it also carries EventBridge's error attributes, so a queue limited to 256 KiB refuses it,
 * then the DLQ refuses it too, and the event is dropped without paging anyone. The deployed
 * queue would be limited to exactly that: the AWS provider sends its own default of 262,144
 * bytes when the size is not given (the emulator's default is already 1 MiB).
 */
export const ruleFedQueueMaxMessageBytes = limits.sqs.maxMessageBytes

/**
 * The consumer queues of the sample consumers.
 *
 * @example
 * ```ts
 * makeConsumerQueues(names).map((q) => q.id) // ["wallboards", "analytics"]
 * ```
 */
export const makeConsumerQueues = (names: Names): ReadonlyArray<ConsumerQueue> =>
  (["wallboards", "analytics"] as const).map((id) => ({
    id,
    name: names.of(id),
    retentionSeconds: consumerRetentionSeconds,
    maxMessageBytes: ruleFedQueueMaxMessageBytes
  }))

/**
 * The delivery DLQ and retries of every rule's target: EventBridge's most patient retries (a
 * consumer queue briefly unavailable loses nothing), then the DLQ keeps the event 14 days, SQS's
 * maximum, for someone to look at.
 *
 * @example
 * ```ts
 * makeDelivery(names).retry // { maximumEventAgeSeconds: 86400, maximumRetryAttempts: 185 }
 * ```
 */
export const makeDelivery = (names: Names): Delivery => ({
  dlq: { name: names.deliveryDlq, retentionSeconds: 14 * 24 * 60 * 60, maxMessageBytes: ruleFedQueueMaxMessageBytes },
  retry: { maximumEventAgeSeconds: 24 * 60 * 60, maximumRetryAttempts: 185 }
})

const userEvents = (sourcePrefix: string): EventPattern => ({
  source: [{ prefix: `${sourcePrefix}.users` }],
  "detail-type": ["user.created", "user.updated", "user.deleted"]
})

const orderEvents = (sourcePrefix: string): EventPattern => ({
  source: [{ prefix: `${sourcePrefix}.orders` }],
  "detail-type": ["order.created", "order.updated"]
})

/**
 * The rules of the bus.
 *
 * @example
 * ```ts
 * makeRules(names, "cdc-pipeline").map((r) => `${r.id} → ${r.target}`)
 * // ["wallboards-user-events → wallboards", "wallboards-order-events → wallboards", "analytics-order-events → analytics"]
 * ```
 */
export const makeRules = (names: Names, sourcePrefix: string): ReadonlyArray<Rule> => [
  {
    id: "wallboards-user-events",
    name: names.of("wallboards-user-events"),
    description: "Route user change events to the Wallboards service",
    pattern: userEvents(sourcePrefix),
    target: "wallboards"
  },
  {
    id: "wallboards-order-events",
    name: names.of("wallboards-order-events"),
    description: "Route order change events to the Wallboards service",
    pattern: orderEvents(sourcePrefix),
    target: "wallboards"
  },
  {
    id: "analytics-order-events",
    name: names.of("analytics-order-events"),
    description: "Route order change events to the analytics pipeline",
    pattern: orderEvents(sourcePrefix),
    target: "analytics"
  }
]

/**
 * The compliance archive: every event whose source starts with the prefix, kept 365 days.
 *
 * @example
 * ```ts
 * makeEventArchive(names, "cdc-pipeline").pattern // { source: [{ prefix: "cdc-pipeline" }] }
 * ```
 */
export const makeEventArchive = (names: Names, sourcePrefix: string): EventArchive => ({
  name: names.eventArchive,
  pattern: { source: [{ prefix: sourcePrefix }] },
  retentionDays: 365
})

/**
 * Which rules deliver to a consumer queue: the queue's resource policy allows exactly these
 * rules (by ARN) to send, nothing else.
 *
 * @example
 * ```ts
 * rulesTargeting(rules, "wallboards").map((r) => r.id) // ["wallboards-user-events", "wallboards-order-events"]
 * ```
 */
export const rulesTargeting = (rules: ReadonlyArray<Rule>, consumer: ConsumerId): ReadonlyArray<Rule> =>
  rules.filter((rule) => rule.target === consumer)

/**
 * The resource policy of a queue rules send to (a consumer queue, the delivery DLQ): EventBridge
 * may send to it only on behalf of the given rules (`aws:SourceArn`), which closes the
 * confused-deputy hole of a bare service principal.
 * Generic in the ARN type so the stacks can pass Pulumi outputs and the local runner strings.
 *
 * @example
 * ```ts
 * JSON.stringify(consumerQueuePolicy(queueArn, [ruleArn]))
 * ```
 */
export const consumerQueuePolicy = <Arn>(queueArn: Arn, ruleArns: ReadonlyArray<Arn>) => ({
  Version: "2012-10-17",
  Statement: [
    {
      Effect: "Allow",
      Principal: { Service: "events.amazonaws.com" },
      Action: "sqs:SendMessage",
      Resource: queueArn,
      Condition: { ArnEquals: { "aws:SourceArn": ruleArns } }
    }
  ]
})

/**
 * Whether an event with this source and detail type matches a pattern (the subset of EventBridge's
 * matching these patterns use: source prefixes, exact detail types). Lets tests and the local
 * runner check routing without AWS.
 *
 * @example
 * ```ts
 * matches(userEvents, { source: "cdc-pipeline.users", detailType: "user.created" }) // true
 * ```
 */
export const matches = (pattern: EventPattern, event: { readonly source: string; readonly detailType: string }): boolean =>
  pattern.source.some(({ prefix }) => event.source.startsWith(prefix)) &&
  (pattern["detail-type"] === undefined || pattern["detail-type"].includes(event.detailType))
