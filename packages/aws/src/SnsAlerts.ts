/**
 * DLQ alerts on SNS: the live {@link Alerts} of `@cdc/pipeline/dlq/Alerts`. One `Publish` per
 * alert, with the subject and JSON body built by the pipeline (counts, table, category, code,
 * archive locations; never a value) and message attributes to filter subscriptions on.
 *
 * @example
 * ```ts
 * program.pipe(Effect.provide(SnsAlerts.layerConfig)) // CDC_ALERT_TOPIC_ARN
 * ```
 */
import { PublishCommand, SNSClient } from "@aws-sdk/client-sns"
import { Alerts, alertBody, alertSubject } from "@cdc/pipeline/dlq/Alerts"
import { keySegment } from "@cdc/pipeline/dlq/ArchivedFailure"
import * as Config from "effect/Config"
import * as Effect from "effect/Effect"
import * as Layer from "effect/Layer"
import { awsCall } from "./AwsCall"
import { clientOptions } from "./ClientOptions"

/**
 * Alerts published to `topicArn`.
 *
 * @example
 * ```ts
 * const alerts = makeSnsAlerts(new SNSClient(clientOptions()), "arn:aws:sns:us-east-1:123456789012:cdc-alerts")
 * ```
 */
export const makeSnsAlerts = (client: SNSClient, topicArn: string): Alerts["Service"] =>
  Alerts.of({
    publish: (alert) =>
      awsCall("SNS", "Publish", (abortSignal) =>
        client.send(
          new PublishCommand({
            TopicArn: topicArn,
            Subject: alertSubject(alert),
            Message: alertBody(alert),
            // Values as archive keys name them: an unknown table is whatever the record said, and
            // SNS refuses an empty attribute (`""` → `~`) and drops, at filtered subscriptions, a
            // message whose attribute is not printable ASCII (`a\tb` → `a~09b`). CoreDB's table
            // names (`users`, `audit_logs`) and the codes stay as they are.
            MessageAttributes: {
              category: { DataType: "String", StringValue: keySegment(alert.category) },
              code: { DataType: "String", StringValue: keySegment(alert.code) },
              table: { DataType: "String", StringValue: keySegment(alert.table) }
            }
          }),
          { abortSignal }
        )
      ).pipe(Effect.asVoid)
  })

const snsAlertsLayer = (topicArn: string): Layer.Layer<Alerts> =>
  Layer.sync(Alerts, () => makeSnsAlerts(new SNSClient(clientOptions()), topicArn))

export const SnsAlerts = {
  layer: snsAlertsLayer,
  /** `CDC_ALERT_TOPIC_ARN`, read once. */
  layerConfig: Layer.unwrap(Effect.map(Config.String("CDC_ALERT_TOPIC_ARN"), snsAlertsLayer))
}
