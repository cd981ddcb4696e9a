/**
 * The CloudWatch dashboard of a stage: stream intake, processor lag and health, dead letters,
 * and delivery by each rule. The body is the JSON CloudWatch stores (`DashboardBody`); the region
 * is the only value known at deploy time.
 *
 * @example
 * ```ts
 * const body = dashboardBody(topology, "eu-west-1")
 * JSON.parse(body).widgets.length // 6
 * ```
 */
import type { Topology } from "./Topology"

type Metric = ReadonlyArray<string | { readonly stat: string; readonly label?: string }>

interface Widget {
  readonly type: "metric"
  readonly width: number
  readonly height: number
  readonly properties: {
    readonly title: string
    readonly region: string
    readonly period: number
    readonly view: "timeSeries"
    readonly metrics: ReadonlyArray<Metric>
  }
}

const widget = (region: string, title: string, metrics: ReadonlyArray<Metric>): Widget => ({
  type: "metric",
  width: 12,
  height: 6,
  properties: { title, region, period: 60, view: "timeSeries", metrics }
})

/**
 * The dashboard's body.
 *
 * @example
 * ```ts
 * new aws.cloudwatch.Dashboard("Dashboard", { dashboardName: topology.names.dashboard, dashboardBody: dashboardBody(topology, region) })
 * ```
 */
export const dashboardBody = (topology: Topology, region: string): string => {
  const { names, functions, rules } = topology
  const fn = (metric: string, stat: string) =>
    [functions.processor.name, functions.dlqWorker.name].map((name): Metric => ["AWS/Lambda", metric, "FunctionName", name, { stat }])
  const queue = (metric: string) =>
    [names.dlq, names.parkingQueue, names.deliveryDlq].map((name): Metric => ["AWS/SQS", metric, "QueueName", name, { stat: "Maximum" }])
  const widgets: ReadonlyArray<Widget> = [
    widget(region, "Stream intake", [
      ["AWS/Kinesis", "IncomingRecords", "StreamName", names.stream, { stat: "Sum" }],
      ["AWS/Kinesis", "WriteProvisionedThroughputExceeded", "StreamName", names.stream, { stat: "Sum" }]
    ]),
    widget(region, "Processor lag (ms)", [["AWS/Lambda", "IteratorAge", "FunctionName", functions.processor.name, { stat: "Maximum" }]]),
    widget(region, "Invocations, errors and throttles", [...fn("Invocations", "Sum"), ...fn("Errors", "Sum"), ...fn("Throttles", "Sum")]),
    widget(region, "Duration p99 (ms)", fn("Duration", "p99")),
    widget(region, "Dead letters", [...queue("ApproximateNumberOfMessagesVisible"), ...queue("ApproximateAgeOfOldestMessage")]),
    widget(
      region,
      "Deliveries by rule",
      rules.flatMap(
        (rule): ReadonlyArray<Metric> => [
          ["AWS/Events", "Invocations", "EventBusName", names.bus, "RuleName", rule.name, { stat: "Sum" }],
          ["AWS/Events", "FailedInvocations", "EventBusName", names.bus, "RuleName", rule.name, { stat: "Sum" }]
        ]
      )
    )
  ]
  return JSON.stringify({ widgets })
}
