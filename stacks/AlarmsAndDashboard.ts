/**
 * The alarms (each notifies the alert topic when it fires and when it clears) and the dashboard.
 *
 * @example
 * ```ts
 * alarmsAndDashboard(topology, { alertTopic })
 * ```
 */
import { dashboardBody } from "@cdc/topology/Dashboard"
import type { Topology } from "@cdc/topology/Topology"
import { logicalName } from "./logicalName"

export const alarmsAndDashboard = (topology: Topology, input: { readonly alertTopic: sst.aws.SnsTopic }) => {
  const alarms = topology.alarms.map(
    (alarm) =>
      new aws.cloudwatch.MetricAlarm(`${logicalName(alarm.id)}Alarm`, {
        name: alarm.name,
        alarmDescription: alarm.description,
        namespace: alarm.namespace,
        metricName: alarm.metricName,
        dimensions: { ...alarm.dimensions },
        statistic: alarm.statistic,
        period: alarm.periodSeconds,
        evaluationPeriods: alarm.evaluationPeriods,
        threshold: alarm.threshold,
        comparisonOperator: alarm.comparison,
        treatMissingData: alarm.treatMissingData,
        alarmActions: [input.alertTopic.arn],
        okActions: [input.alertTopic.arn]
      })
  )

  const region = aws.getRegionOutput().region
  const dashboard = new aws.cloudwatch.Dashboard("Dashboard", {
    dashboardName: topology.names.dashboard,
    dashboardBody: region.apply((r) => dashboardBody(topology, r))
  })

  return { alarms, dashboard }
}
