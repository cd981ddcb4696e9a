import { assert, describe, it } from "@effect/vitest"
import * as Effect from "effect/Effect"
import * as Metric from "effect/Metric"
import { batchLatency, deadLettered, emfLines, recordsIn } from "../src/Metrics"

describe("emfLines", () => {
  it.effect("renders one EMF line per dimension set, with units and the shared dimensions", () =>
    Effect.gen(function* () {
      yield* Metric.update(recordsIn, 12)
      yield* Metric.update(batchLatency, 340)
      yield* Metric.update(Metric.withAttributes(deadLettered, { reason: "invalid-json" }), 2)
      yield* Metric.update(Metric.withAttributes(deadLettered, { reason: "oversized" }), 1)
      const lines = emfLines(yield* Metric.snapshot, { namespace: "CdcPipeline", timestamp: 1000, dimensions: { functionName: "p" } }).map(
        (line) => JSON.parse(line)
      )
      assert.strictEqual(lines.length, 3)
      const plain = lines.find((l) => l.cdc_records_in !== undefined)
      assert.deepStrictEqual(plain._aws, {
        Timestamp: 1000,
        CloudWatchMetrics: [
          {
            Namespace: "CdcPipeline",
            Dimensions: [["functionName"]],
            Metrics: [
              { Name: "cdc_records_in", Unit: "Count" },
              { Name: "cdc_batch_latency_ms", Unit: "Milliseconds" }
            ]
          }
        ]
      })
      assert.deepStrictEqual([plain.cdc_records_in, plain.cdc_batch_latency_ms, plain.functionName], [12, 340, "p"])
      const oversized = lines.find((l) => l.reason === "oversized")
      assert.deepStrictEqual(
        [oversized.cdc_dead_lettered, oversized._aws.CloudWatchMetrics[0].Dimensions],
        [1, [["functionName", "reason"]]]
      )
    }).pipe(Effect.provideService(Metric.MetricRegistry, new Map()))
  )
})
