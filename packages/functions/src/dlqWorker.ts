/**
 * The DLQ worker Lambda: triggered by the DLQ (SQS event source mapping with
 * `ReportBatchItemFailures`), it archives every failed record to S3, alerts through SNS, and
 * returns `{ batchItemFailures }` naming only the messages a dependency failed for (see
 * `@cdc/pipeline/dlq/DlqWorker`).
 *
 * Configuration, read once per cold start: `CDC_ARCHIVE_BUCKET`, `CDC_ALERT_TOPIC_ARN`,
 * `CDC_STATE_TABLE` and `CDC_ALERT_WINDOW_MINUTES` (the alert window), `CDC_STREAM_NAME`, the redaction keys (`CDC_HASH_KEY`, `CDC_TOKENIZE_KEY`), `CDC_SOURCE_PREFIX`,
 * `CDC_RETRY_*`; AWS endpoints through `AWS_ENDPOINT_URL`.
 *
 * @example
 * ```ts
 * // SST: new sst.aws.Function("DlqWorker", { handler: "packages/functions/src/dlqWorker.handler" })
 * const { batchItemFailures } = await handler(sqsEvent)
 * ```
 */
import { DynamoAlertWindow } from "@cdc/aws/DynamoAlertWindow"
import { KinesisStream } from "@cdc/aws/KinesisStream"
import { S3Archive } from "@cdc/aws/S3Archive"
import { SnsAlerts } from "@cdc/aws/SnsAlerts"
import type { Alerts } from "@cdc/pipeline/dlq/Alerts"
import type { AlertWindow } from "@cdc/pipeline/dlq/AlertWindow"
import type { Archive } from "@cdc/pipeline/dlq/Archive"
import type { DlqDelivery } from "@cdc/pipeline/dlq/DlqInput"
import { DlqRecordPath } from "@cdc/pipeline/dlq/DlqRecordPath"
import { handleDlqBatch } from "@cdc/pipeline/dlq/DlqWorker"
import type { RecordFetcher } from "@cdc/pipeline/dlq/RecordFetcher"
import type { RetryPolicies } from "@cdc/pipeline/RetryPolicy"
import { safeCause } from "@cdc/pipeline/SafeCause"
import type { Context, SQSBatchResponse, SQSEvent } from "aws-lambda"
import * as Effect from "effect/Effect"
import * as Layer from "effect/Layer"
import * as ManagedRuntime from "effect/ManagedRuntime"
import { invocationEnd, lambdaEnvironment, lambdaError, withInvocation } from "./LambdaEnvironment"

/** The services the worker program needs. */
export type DlqWorkerServices = Archive | Alerts | AlertWindow | RecordFetcher | DlqRecordPath | RetryPolicies

/**
 * The SQS records as the program sees them: id, body and SQS's send time.
 *
 * @example
 * ```ts
 * toDeliveries(event)[0]?.sentTimestamp // 1705314600000
 * ```
 */
export const toDeliveries = (event: SQSEvent): ReadonlyArray<DlqDelivery> =>
  (event.Records ?? []).map((record) => {
    const sent = Number(record.attributes?.SentTimestamp)
    return { messageId: record.messageId, body: record.body ?? "", sentTimestamp: Number.isFinite(sent) ? sent : undefined }
  })

/**
 * A handler over the given services (tests pass their own; {@link handler} the live ones). A
 * defect in the program fails no message silently: the whole batch is reported for redelivery.
 *
 * @example
 * ```ts
 * const handle = makeDlqHandler(Layer.mergeAll(S3Archive.layer({ bucket }), SnsAlerts.layer(topicArn), ...))
 * ```
 */
export const makeDlqHandler = <E>(layer: Layer.Layer<DlqWorkerServices, E>) => {
  const runtime = ManagedRuntime.make(layer)
  return (
    event: SQSEvent,
    context?: Pick<Context, "awsRequestId"> & Partial<Pick<Context, "getRemainingTimeInMillis">>
  ): Promise<SQSBatchResponse> => {
    const deliveries = toDeliveries(event)
    // the batch returns before Lambda's timeout would send every message back (see handleDlqBatch)
    const batch = Effect.flatMap(invocationEnd(context), (endsAt) => handleDlqBatch(deliveries, { endsAt }))
    return runtime
      .runPromise(
        batch.pipe(
          Effect.catchCause((cause) =>
            Effect.logError("dlq batch failed unexpectedly; every message will be redelivered", safeCause(cause)).pipe(
              Effect.as({ batchItemFailures: deliveries.map((delivery) => ({ itemIdentifier: delivery.messageId })) })
            )
          ),
          withInvocation(context)
        )
      )
      .catch((error) => Promise.reject(lambdaError(error)))
  }
}

/** The live services, configured from the environment; logs are JSON lines (CloudWatch). */
export const liveLayer = lambdaEnvironment(
  Layer.mergeAll(
    S3Archive.layerConfig,
    SnsAlerts.layerConfig,
    DynamoAlertWindow.layerConfig,
    KinesisStream.layerConfig,
    DlqRecordPath.layerConfig
  )
)

/** The Lambda entry point. */
export const handler = makeDlqHandler(liveLayer)
