/**
 * The live {@link EventBus}: one EventBridge `PutEvents` call per request, each entry's outcome
 * read from the 200 response (`Entries[i].ErrorCode`), never assumed: the reference design's
 * `publishBatch` ignored failed entries, which is data loss.
 *
 * Per-entry codes are classified like call errors (`ThrottlingException`, `InternalFailure` →
 * retryable); the batch program retries those entries and dead-letters the rest.
 *
 * @example
 * ```ts
 * program.pipe(Effect.provide(EventBridgeEventBus.layer))
 * // integration tests: EventBridgeEventBus.layerWithFaults(plan) wraps the same real client
 * ```
 */
import { EventBridgeClient, PutEventsCommand, type PutEventsResultEntry } from "@aws-sdk/client-eventbridge"
import { EventBus, type EventBusService, type FaultPlan, withFaults } from "@cdc/pipeline/EventBus"
import type { ItemFailure } from "@cdc/pipeline/PartialBatch"
import * as Effect from "effect/Effect"
import * as Layer from "effect/Layer"
import { awsCall } from "./AwsCall"
import { classifyAws } from "./AwsError"
import { clientOptions } from "./ClientOptions"

const failureOf = (result: PutEventsResultEntry | undefined): ItemFailure | undefined => {
  // An answer missing for an entry is treated as a transient failure of that entry, not a success.
  if (result === undefined) return { code: "MissingResult", retryable: true, category: "transient" }
  if (result.ErrorCode === undefined && result.EventId !== undefined) return undefined
  const code = result.ErrorCode ?? "UnknownError"
  const category = classifyAws(code, undefined)
  return { code, category, retryable: category === "throttling" || category === "transient" }
}

/**
 * The bus over a given client.
 *
 * @example
 * ```ts
 * const bus = makeEventBridgeEventBus(new EventBridgeClient(clientOptions()))
 * ```
 */
export const makeEventBridgeEventBus = (client: EventBridgeClient): EventBusService => ({
  putEvents: (entries) =>
    awsCall("EventBridge", "PutEvents", (abortSignal) =>
      client.send(
        new PutEventsCommand({
          Entries: entries.map((e) => ({
            Source: e.Source,
            DetailType: e.DetailType,
            Detail: e.Detail,
            Time: new Date(e.Time),
            EventBusName: e.EventBusName
          }))
        }),
        { abortSignal }
      )
    ).pipe(Effect.map((response) => entries.map((_, index) => failureOf(response.Entries?.[index]))))
})

const live = Effect.sync(() => makeEventBridgeEventBus(new EventBridgeClient(clientOptions())))

export const EventBridgeEventBus = {
  /** The real bus (endpoint from the SDK's environment, e.g. `AWS_ENDPOINT_URL`). */
  layer: Layer.effect(EventBus, live),
  /** The real bus behind a fault plan: failed entries never reach EventBridge, as in a real partial failure. */
  layerWithFaults: (plan: FaultPlan): Layer.Layer<EventBus> =>
    Layer.effect(
      EventBus,
      Effect.flatMap(live, (bus) => withFaults(bus, plan))
    )
}
