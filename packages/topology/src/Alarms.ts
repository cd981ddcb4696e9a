/**
 * The CloudWatch alarms that page the alert topic: the processor falling behind (iterator age),
 * dead letters piling up or ageing (the DLQ worker is failing), anything parked (a human must
 * look), a batch the processor gave up that even the DLQ refused, events the bus could not
 * deliver to a consumer (in the delivery DLQ, or dropped because even the delivery DLQ refused
 * them), and errors or throttles of either function. Dimensions use the stage's physical names,
 * which are fixed, so the alarms are plain data.
 *
 * @example
 * ```ts
 * const alarms = makeAlarms(names, functions)
 * alarms.find((a) => a.id === "processor-iterator-age")?.threshold // 300000 (ms)
 * ```
 */
import type { Functions } from "./Functions"
import type { Names } from "./Names"
import type { Rule } from "./Rules"

export interface AlarmSettings {
  readonly id: string
  readonly name: string
  readonly description: string
  readonly namespace: "AWS/Lambda" | "AWS/SQS" | "AWS/Events"
  readonly metricName: string
  readonly dimensions: Readonly<Record<string, string>>
  readonly statistic: "Maximum" | "Sum"
  readonly periodSeconds: number
  readonly evaluationPeriods: number
  readonly threshold: number
  readonly comparison: "GreaterThanOrEqualToThreshold"
  /** No data means no traffic: not an alarm. */
  readonly treatMissingData: "notBreaching"
}

const alarm = (
  names: Names,
  id: string,
  description: string,
  metric: Pick<AlarmSettings, "namespace" | "metricName" | "dimensions" | "statistic" | "periodSeconds" | "evaluationPeriods" | "threshold">
): AlarmSettings => ({
  id,
  name: names.of(id),
  description,
  ...metric,
  comparison: "GreaterThanOrEqualToThreshold",
  treatMissingData: "notBreaching"
})

/**
 * The age of the oldest dead letter that pages. A dead letter the worker keeps failing is received
 * again every visibility timeout (360 s), and SQS leaves a message out of
 * `ApproximateAgeOfOldestMessage` from its third receive on (12 minutes after its first): an age
 * threshold of 15 minutes could then only see a worker that receives nothing, never one that fails
 * every message (a refused archive write), which would first page when the letter is parked, after
 * five receives (30 minutes). Ten minutes leaves two of the metric's one-minute samples before the
 * third receive (`checkTopology` keeps it there).
 */
export const dlqAgeThresholdSeconds = 10 * 60

/** Queue alarms look at 5-minute periods: a queue's depth and age are only worth an alarm when they last. */
const queueAlarm = (
  names: Names,
  id: string,
  description: string,
  metric: { readonly queueName: string; readonly metricName: string; readonly evaluationPeriods: number; readonly threshold: number }
): AlarmSettings =>
  alarm(names, id, description, {
    namespace: "AWS/SQS",
    metricName: metric.metricName,
    dimensions: { QueueName: metric.queueName },
    statistic: "Maximum",
    periodSeconds: 300,
    evaluationPeriods: metric.evaluationPeriods,
    threshold: metric.threshold
  })

const functionAlarms = (names: Names, id: "processor" | "dlq-worker", functionName: string): ReadonlyArray<AlarmSettings> => [
  alarm(names, `${id}-errors`, `${functionName} failed an invocation (a whole batch was retried)`, {
    namespace: "AWS/Lambda",
    metricName: "Errors",
    dimensions: { FunctionName: functionName },
    statistic: "Sum",
    periodSeconds: 300,
    evaluationPeriods: 1,
    threshold: 1
  }),
  alarm(names, `${id}-throttles`, `${functionName} was throttled (account or reserved concurrency exhausted)`, {
    namespace: "AWS/Lambda",
    metricName: "Throttles",
    dimensions: { FunctionName: functionName },
    statistic: "Sum",
    periodSeconds: 300,
    evaluationPeriods: 1,
    threshold: 1
  })
]

/**
 * An event a rule could deliver neither to its target nor to the delivery DLQ (a permission
 * error, an unavailable queue, a size limit) is gone: EventBridge only counts it, per rule, in
 * `InvocationsFailedToBeSentToDlq` (dimensions `EventBusName` and `RuleName` on a custom bus).
 * The delivery DLQ's own alarm never sees it.
 */
const droppedEventsAlarm = (names: Names, rule: Rule): AlarmSettings =>
  alarm(names, `${rule.id}-dropped`, `Events of rule ${rule.name} were dropped: neither its target nor the delivery DLQ took them`, {
    namespace: "AWS/Events",
    metricName: "InvocationsFailedToBeSentToDlq",
    dimensions: { EventBusName: names.bus, RuleName: rule.name },
    statistic: "Sum",
    periodSeconds: 300,
    evaluationPeriods: 1,
    threshold: 1
  })

/**
 * The alarms of a stage. The iterator-age threshold is far below the event source mapping's
 * maximum record age, so the team hears about a lagging processor before records are given up.
 *
 * @example
 * ```ts
 * makeAlarms(names, functions, rules).map((a) => a.id)
 * ```
 */
export const makeAlarms = (names: Names, functions: Functions, rules: ReadonlyArray<Rule>): ReadonlyArray<AlarmSettings> => [
  // Lambda records IteratorAge once per batch, and a lagging processor's batches can each run up to
  // its timeout (150 s, a slow dependency): five one-minute periods would hold minutes without a
  // data point, which notBreaching counts as good, and the alarm would not fire. One five-minute
  // period always holds a batch of a running processor (`checkTopology` keeps it longer than the
  // timeout).
  alarm(names, "processor-iterator-age", "The processor is falling behind the change stream", {
    namespace: "AWS/Lambda",
    metricName: "IteratorAge",
    dimensions: { FunctionName: functions.processor.name },
    statistic: "Maximum",
    periodSeconds: 5 * 60,
    evaluationPeriods: 1,
    threshold: 5 * 60 * 1000
  }),
  queueAlarm(names, "dlq-depth", "Dead letters are waiting: the DLQ worker is not draining the DLQ", {
    queueName: names.dlq,
    metricName: "ApproximateNumberOfMessagesVisible",
    evaluationPeriods: 3,
    threshold: 1
  }),
  queueAlarm(names, "dlq-age", "The oldest dead letter is older than 10 minutes: the DLQ worker is not receiving it, or keeps failing it", {
    queueName: names.dlq,
    metricName: "ApproximateAgeOfOldestMessage",
    evaluationPeriods: 1,
    threshold: dlqAgeThresholdSeconds
  }),
  queueAlarm(names, "dlq-parked", "Dead letters were parked after repeated worker failures: inspect and redrive", {
    queueName: names.parkingQueue,
    metricName: "ApproximateNumberOfMessagesVisible",
    evaluationPeriods: 1,
    threshold: 1
  }),
  queueAlarm(names, "undelivered", "The bus could not deliver events to a consumer queue: they are in the delivery DLQ", {
    queueName: names.deliveryDlq,
    metricName: "ApproximateNumberOfMessagesVisible",
    evaluationPeriods: 1,
    threshold: 1
  }),
  // The processor's own last resort: a batch Lambda gives up (retries or record age spent) leaves
  // only its on-failure record in the DLQ, and when the DLQ refuses that too (a deleted or
  // refusing queue, the one that also refused the processor's dead letters) the records are gone,
  // counted only in DestinationDeliveryFailures: the DLQ alarms never see them.
  alarm(names, "processor-discards-lost", "A batch the processor gave up could not be recorded in the DLQ: its records are lost", {
    namespace: "AWS/Lambda",
    metricName: "DestinationDeliveryFailures",
    dimensions: { FunctionName: functions.processor.name },
    statistic: "Sum",
    periodSeconds: 300,
    evaluationPeriods: 1,
    threshold: 1
  }),
  ...rules.map((rule) => droppedEventsAlarm(names, rule)),
  ...functionAlarms(names, "processor", functions.processor.name),
  ...functionAlarms(names, "dlq-worker", functions.dlqWorker.name)
]
