/**
 * The CloudWatch alarms that page the alert topic: the processor falling behind (iterator age),
 * dead letters piling up or ageing (the DLQ worker is failing), anything parked (a human must
 * look), events the bus could not deliver to a consumer (in the delivery DLQ, or dropped because
 * even the delivery DLQ refused them), and errors or throttles of either function. Dimensions use the stage's physical names,
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
  alarm(names, "processor-iterator-age", "The processor is falling behind the change stream", {
    namespace: "AWS/Lambda",
    metricName: "IteratorAge",
    dimensions: { FunctionName: functions.processor.name },
    statistic: "Maximum",
    periodSeconds: 60,
    evaluationPeriods: 5,
    threshold: 5 * 60 * 1000
  }),
  queueAlarm(names, "dlq-depth", "Dead letters are waiting: the DLQ worker is not draining the DLQ", {
    queueName: names.dlq,
    metricName: "ApproximateNumberOfMessagesVisible",
    evaluationPeriods: 3,
    threshold: 1
  }),
  queueAlarm(names, "dlq-age", "The oldest dead letter is older than 15 minutes", {
    queueName: names.dlq,
    metricName: "ApproximateAgeOfOldestMessage",
    evaluationPeriods: 1,
    threshold: 15 * 60
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
  ...rules.map((rule) => droppedEventsAlarm(names, rule)),
  ...functionAlarms(names, "processor", functions.processor.name),
  ...functionAlarms(names, "dlq-worker", functions.dlqWorker.name)
]
