/**
 * The processor's metrics, as Effect `Metric`s, and their rendering as CloudWatch Embedded Metric
 * Format (EMF) lines: CloudWatch turns each printed line into metrics, no API call needed.
 *
 * Dimensions are reasons, dependencies and AWS operation names only: never a record value.
 * The handler runs each batch with a fresh `MetricRegistry`, so a snapshot is that batch's figures.
 *
 * @example
 * ```ts
 * yield* Metric.update(recordsIn, batch.length)
 * const lines = emfLines(yield* Metric.snapshot, { namespace: "CdcPipeline", timestamp: Date.now() })
 * ```
 */
import * as Metric from "effect/Metric"

/** Records received in the batch. */
export const recordsIn = Metric.counter("cdc_records_in", { incremental: true })
/** Events accepted by EventBridge. */
export const published = Metric.counter("cdc_published", { incremental: true })
/** Records at or below the shard's checkpoint: duplicates avoided on a retried batch. */
export const skippedDuplicate = Metric.counter("cdc_skipped_duplicate", { incremental: true })
/** Records deliberately not published (`reason`: operation-not-published, control-record). */
export const filtered = Metric.counter("cdc_filtered", { incremental: true })
/** Records sent to the DLQ (`reason`: the dead letter's reason code). */
export const deadLettered = Metric.counter("cdc_dead_lettered", { incremental: true })
/** Schema-drift notices sent to the DLQ (one per table and column set per batch). */
export const schemaDrift = Metric.counter("cdc_schema_drift", { incremental: true })
/** Retries (`dependency`). */
export const retries = Metric.counter("cdc_retries", { incremental: true })
/** AWS SDK calls (`service`, `operation`), counted by `awsCall` in `@cdc/aws`. */
export const awsCalls = Metric.counter("cdc_aws_calls", { incremental: true })
/** Records reported in `batchItemFailures` territory: not published, left for Lambda's retry. */
export const leftForRetry = Metric.counter("cdc_left_for_retry", { incremental: true })
/** Wall time of the batch, milliseconds. */
export const batchLatency = Metric.gauge("cdc_batch_latency_ms")
/** Age of the batch's newest record when the batch started (Lambda's IteratorAge), milliseconds. */
export const iteratorAge = Metric.gauge("cdc_iterator_age_ms")

const units: Readonly<Record<string, string>> = {
  cdc_batch_latency_ms: "Milliseconds",
  cdc_iterator_age_ms: "Milliseconds"
}

export interface EmfOptions {
  readonly namespace: string
  /** Epoch millis stamped on every line. */
  readonly timestamp: number
  /** Dimensions added to every line (e.g. the function name). */
  readonly dimensions?: Readonly<Record<string, string>>
}

const snapshotValue = (snapshot: Metric.Metric.Snapshot): number | undefined => {
  switch (snapshot.type) {
    case "Counter":
      return Number(snapshot.state.count)
    case "Gauge":
      return Number(snapshot.state.value)
    default:
      return undefined
  }
}

/**
 * One EMF JSON line per distinct set of dimensions, holding every counter and gauge with that
 * set. Zero counters are kept so dashboards see explicit zeros.
 *
 * @example
 * ```ts
 * emfLines(snapshots, { namespace: "CdcPipeline", timestamp: 0 })
 * // ['{"_aws":{"Timestamp":0,"CloudWatchMetrics":[{"Namespace":"CdcPipeline","Dimensions":[[]],"Metrics":[{"Name":"cdc_records_in","Unit":"Count"}]}]},"cdc_records_in":3}']
 * ```
 */
export const emfLines = (snapshots: ReadonlyArray<Metric.Metric.Snapshot>, options: EmfOptions): ReadonlyArray<string> => {
  const groups = new Map<string, { dimensions: Record<string, string>; values: Record<string, number> }>()
  for (const snapshot of snapshots) {
    const value = snapshotValue(snapshot)
    if (value === undefined) continue
    const dimensions: Record<string, string> = { ...options.dimensions }
    for (const [key, attribute] of Object.entries(snapshot.attributes ?? {})) dimensions[key] = String(attribute)
    const key = JSON.stringify(Object.entries(dimensions).sort(([a], [b]) => a.localeCompare(b)))
    const group = groups.get(key) ?? { dimensions, values: {} }
    group.values[snapshot.id] = value
    groups.set(key, group)
  }
  return [...groups.values()].map(({ dimensions, values }) =>
    JSON.stringify({
      _aws: {
        Timestamp: options.timestamp,
        CloudWatchMetrics: [
          {
            Namespace: options.namespace,
            Dimensions: [Object.keys(dimensions)],
            Metrics: Object.keys(values).map((name) => ({ Name: name, Unit: units[name] ?? "Count" }))
          }
        ]
      },
      ...dimensions,
      ...values
    })
  )
}
