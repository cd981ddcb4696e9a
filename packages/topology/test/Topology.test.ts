import path from "node:path"
import { describe, expect, it } from "vitest"
import { isProductionStage } from "../src/Names"
import { checkTopology, devModeProblem, makeTopology, type Topology, TopologyError, topologyOptionsFromEnv } from "../src/Topology"

/** The app of `sst.config.ts`, loaded with SST's `$config` (the identity) as the CLI would. */
const sstConfig = async (): Promise<{ readonly app: (input: { stage: string }) => Record<string, unknown> }> => {
  ;(globalThis as { $config?: (config: unknown) => unknown }).$config = (config) => config
  // a path tsc does not follow: the file is type-checked with SST's platform types (npm run typecheck:infra)
  const file = path.resolve(import.meta.dirname, "..", "..", "..", "sst.config.ts")
  return (await import(file)).default
}

const problemsOf = (thunk: () => unknown): ReadonlyArray<string> => {
  try {
    thunk()
  } catch (error) {
    if (error instanceof TopologyError) return error.problems
    throw error
  }
  return []
}

describe("stages", () => {
  it("names every resource after the app and the stage, so stages never collide", () => {
    const dev = makeTopology({ stage: "dev" })
    const prod = makeTopology({ stage: "prod" })
    expect(dev.names.bus).toBe("cdc-pipeline-dev-events")
    expect([dev.functions.processor.name, dev.functions.dlqWorker.name]).toEqual([
      "cdc-pipeline-dev-processor",
      "cdc-pipeline-dev-dlq-worker"
    ])
    expect(prod.names.bus).toBe("cdc-pipeline-prod-events")
    const namesOf = (t: Topology) => [
      t.resources.stream.name,
      t.resources.stateTable.name,
      t.resources.dlq.name,
      t.resources.parkingQueue.name,
      t.delivery.dlq.name,
      t.resources.alertTopic.name,
      t.eventArchive.name,
      t.functions.processor.name,
      t.functions.dlqWorker.name,
      ...t.rules.map((r) => r.name),
      ...t.consumerQueues.map((q) => q.name),
      ...t.alarms.map((a) => a.name)
    ]
    for (const name of namesOf(dev)) expect(name.startsWith("cdc-pipeline-dev-")).toBe(true)
    const devNames = new Set(namesOf(dev))
    expect(namesOf(prod).filter((name) => devNames.has(name))).toEqual([])
  })

  it("never gives a resource of one stage the name of another stage's resource of its kind", () => {
    // stage `x` and stage `x-p` collide when one role is `p-` and another: e.g. `delivery-dlq` and `dlq`
    const t = makeTopology({ stage: "x" })
    const roles = (names: ReadonlyArray<string>) => names.map((name) => name.slice("cdc-pipeline-x-".length))
    const kinds = {
      queues: roles([t.resources.dlq.name, t.resources.parkingQueue.name, t.delivery.dlq.name, ...t.consumerQueues.map((q) => q.name)]),
      functions: roles([t.functions.processor.name, t.functions.dlqWorker.name]),
      alarms: roles(t.alarms.map((a) => a.name))
    }
    for (const [kind, ids] of Object.entries(kinds)) {
      const clashes = ids.flatMap((a) => ids.filter((b) => a !== b && a.endsWith(`-${b}`)).map((b) => `${a} / ${b}`))
      expect(clashes, kind).toEqual([])
    }
  })

  it("takes prod and production, alone or with a suffix (a second region), for production stages", async () => {
    const production = ["prod", "production", "prod-eu", "production-us-east-1", "prod-2"]
    const other = ["alice", "dev", "preprod", "prodigy", "productions", "alice-prod", "prod-", "staging"]
    for (const stage of production) expect(makeTopology({ stage }).production, stage).toBe(true)
    for (const stage of other) expect(isProductionStage(stage), stage).toBe(false)
    // sst.config.ts repeats the rule (its app() cannot import): the same answer for every stage
    const config = await sstConfig()
    for (const stage of [...production, ...other]) {
      expect(config.app({ stage }), stage).toMatchObject({
        protect: isProductionStage(stage),
        removal: isProductionStage(stage) ? "retain" : "remove"
      })
    }
  })

  it("retains and protects production data, and only there", () => {
    for (const stage of ["prod", "production", "prod-eu"]) {
      const t = makeTopology({ stage })
      expect([t.production, t.removal, t.protect, t.resources.stateTable.deletionProtection]).toEqual([true, "retain", true, true])
      expect(t.resources.stream.retentionHours).toBe(168)
    }
    const dev = makeTopology({ stage: "alice" })
    expect([dev.production, dev.removal, dev.protect, dev.resources.stateTable.deletionProtection]).toEqual([false, "remove", false, false])
    expect(dev.resources.stream.retentionHours).toBe(24)
  })

  it("refuses sst dev on a production stage before creating anything, and allows it elsewhere", async () => {
    expect(devModeProblem(makeTopology({ stage: "alice" }))).toBeUndefined()
    expect(devModeProblem(makeTopology({ stage: "prod-eu" }))).toMatch(/^sst dev is refused on the production stage prod-eu: /)
    const config = (await sstConfig()) as unknown as { readonly run: () => Promise<unknown> }
    const globals = globalThis as { $dev?: boolean; $app?: { stage: string } }
    try {
      // the first component it would create is SST's (`sst` is not defined here): never reached
      Object.assign(globals, { $dev: true, $app: { stage: "prod" } })
      await expect(config.run()).rejects.toThrow("sst dev is refused on the production stage prod")
      Object.assign(globals, { $dev: false })
      await expect(config.run()).rejects.toThrow("sst is not defined")
    } finally {
      delete globals.$dev
      delete globals.$app
    }
  })

  it("rejects a stage AWS cannot name resources after, listing the problem", () => {
    expect(problemsOf(() => makeTopology({ stage: "Dev" }))).toEqual([expect.stringContaining('stage "Dev"')])
    // S3 bucket names allow no underscore.
    expect(problemsOf(() => makeTopology({ stage: "my_stage" }))).toEqual([expect.stringContaining('stage "my_stage"')])
    // The bucket name (63 characters, with the account id) is the tightest: stages of up to 25 characters.
    expect(problemsOf(() => makeTopology({ stage: "a".repeat(25) }))).toEqual([])
    expect(problemsOf(() => makeTopology({ stage: "a".repeat(26) }))).toEqual([expect.stringContaining("bucket name")])
    // Then the rules (64) and the event archive (48).
    const tooLong = problemsOf(() => makeTopology({ stage: "a".repeat(30) }))
    expect(tooLong).toContainEqual(expect.stringContaining("archive name"))
    expect(tooLong).toContainEqual(expect.stringContaining("rule name"))
  })

  it("reports a configuration error that the DLQ routing understands", () => {
    try {
      makeTopology({ stage: "dev", streamShards: 0 })
      expect.unreachable()
    } catch (error) {
      expect(error).toBeInstanceOf(TopologyError)
      const e = error as TopologyError
      expect([e._tag, e.category, e.code, e.retryable]).toEqual(["TopologyError", "configuration", "invalid-topology", false])
      expect(e.message).toContain("shard count is 0")
    }
  })
})

describe("deploy-time options", () => {
  it("is on-demand unless a shard count is given", () => {
    expect(makeTopology(topologyOptionsFromEnv("dev", {})).resources.stream.capacity).toEqual({ _tag: "OnDemand" })
    expect(makeTopology(topologyOptionsFromEnv("dev", { CDC_STREAM_SHARDS: " 4 " })).resources.stream.capacity).toEqual({
      _tag: "Provisioned",
      shards: 4
    })
  })

  it("rejects a shard count that is not a positive integer", () => {
    expect(problemsOf(() => topologyOptionsFromEnv("dev", { CDC_STREAM_SHARDS: "two" }))).toEqual([expect.stringContaining('"two"')])
    expect(problemsOf(() => makeTopology(topologyOptionsFromEnv("dev", { CDC_STREAM_SHARDS: "0" })))).toHaveLength(1)
    for (const shards of ["-1", "1.5"]) {
      expect(problemsOf(() => topologyOptionsFromEnv("dev", { CDC_STREAM_SHARDS: shards }))).toEqual([
        expect.stringContaining(`CDC_STREAM_SHARDS must be a positive integer, got "${shards}"`)
      ])
    }
  })

  it("carries a custom source prefix into every pattern", () => {
    const t = makeTopology(topologyOptionsFromEnv("dev", { CDC_SOURCE_PREFIX: "acme-cdc" }))
    expect(t.sourcePrefix).toBe("acme-cdc")
    expect(t.eventArchive.pattern).toEqual({ source: [{ prefix: "acme-cdc" }] })
    expect(t.rules.map((r) => r.pattern.source[0]?.prefix)).toEqual(["acme-cdc.users", "acme-cdc.orders", "acme-cdc.orders"])
    expect(t.functions.processor.environment.CDC_SOURCE_PREFIX).toEqual({ _tag: "Value", value: "acme-cdc" })
    expect(problemsOf(() => makeTopology({ stage: "dev", sourcePrefix: "has space" }))).toHaveLength(1)
    // refused as the functions and the commands refuse it, not deployed trimmed
    expect(problemsOf(() => makeTopology(topologyOptionsFromEnv("dev", { CDC_SOURCE_PREFIX: " acme " })))).toEqual([
      'source prefix " acme " must be letters, digits, ".", "_" or "-"'
    ])
  })
})

describe("checkTopology", () => {
  const valid = makeTopology({ stage: "dev" })
  const withProcessorSource = (source: Partial<Topology["functions"]["processor"]["source"]>): Topology => ({
    ...valid,
    functions: {
      ...valid.functions,
      processor: { ...valid.functions.processor, source: { ...valid.functions.processor.source, ...source } }
    }
  })

  it("accepts the topology of every stage", () => {
    for (const stage of ["dev", "ci", "prod", "production", "pr-1234"]) expect(checkTopology(makeTopology({ stage }))).toEqual([])
  })

  it("catches event source mapping settings outside Lambda's bounds", () => {
    expect(checkTopology(withProcessorSource({ parallelizationFactor: 11 }))).toEqual([
      expect.stringContaining("parallelization factor is 11, must be an integer in [1, 10]"),
      expect.stringContaining("parallelization factor is 11, must be 1")
    ])
    expect(checkTopology(withProcessorSource({ batchSize: 10_001 }))).toEqual([expect.stringContaining("batch size is 10001")])
    expect(checkTopology(withProcessorSource({ maximumBatchingWindowInSeconds: 301 }))).toHaveLength(1)
  })

  it("accepts every event source mapping setting up to Lambda's bounds, and refuses one past them", () => {
    const atBounds = [
      { batchSize: 1 },
      { batchSize: 10_000 },
      { maximumBatchingWindowInSeconds: 0 },
      { maximumBatchingWindowInSeconds: 300 },
      { maximumRetryAttempts: 0 },
      { maximumRetryAttempts: 10_000 },
      { maximumRecordAgeInSeconds: 60 }
    ]
    for (const setting of atBounds) expect(checkTopology(withProcessorSource(setting)), JSON.stringify(setting)).toEqual([])
    expect(checkTopology(withProcessorSource({ batchSize: 500.5 }))).toEqual([expect.stringContaining("batch size is 500.5")])
    // Retries stay bounded: -1 (Lambda's "until the record expires") would block a shard for hours.
    expect(checkTopology(withProcessorSource({ maximumRetryAttempts: -1 }))).toEqual([
      expect.stringContaining("maximum retry attempts is -1")
    ])
    expect(checkTopology(withProcessorSource({ maximumRetryAttempts: 10_001 }))).toEqual([
      expect.stringContaining("maximum retry attempts is 10001")
    ])
    expect(checkTopology(withProcessorSource({ maximumRecordAgeInSeconds: 59 }))).toEqual([
      expect.stringContaining("maximum record age (s) is 59")
    ])
  })

  it("catches a DLQ worker batch larger than SQS allows without a longer window", () => {
    const t: Topology = {
      ...valid,
      functions: {
        ...valid.functions,
        dlqWorker: { ...valid.functions.dlqWorker, source: { ...valid.functions.dlqWorker.source, batchSize: 11 } }
      }
    }
    expect(checkTopology(t)).toEqual([expect.stringContaining("DLQ worker batch size is 11")])
  })

  it("catches a DLQ worker concurrency AWS refuses (2 to 1,000)", () => {
    for (const maximumConcurrency of [1, 1001]) {
      const t: Topology = {
        ...valid,
        functions: {
          ...valid.functions,
          dlqWorker: { ...valid.functions.dlqWorker, source: { ...valid.functions.dlqWorker.source, maximumConcurrency } }
        }
      }
      expect(checkTopology(t)).toEqual([expect.stringContaining(`DLQ worker maximum concurrency is ${maximumConcurrency}`)])
    }
  })

  it("catches concurrent batches per shard, which would skip records past another batch's checkpoint", () => {
    expect(checkTopology(withProcessorSource({ parallelizationFactor: 2 }))).toEqual([
      expect.stringContaining("parallelization factor is 2, must be 1: the processor skips records at or below its shard's checkpoint")
    ])
  })

  it("catches a maximum record age that outlives the stream's retention", () => {
    expect(checkTopology(withProcessorSource({ maximumRecordAgeInSeconds: 24 * 3600 }))).toEqual([
      expect.stringContaining("shorter than the stream's retention")
    ])
  })

  it("catches a parking queue that would let a parked letter expire within days (its age counts from the DLQ)", () => {
    const withDlqDays = (days: number): Topology => ({
      ...valid,
      resources: { ...valid.resources, dlq: { ...valid.resources.dlq, retentionSeconds: days * 86_400 } }
    })
    expect(checkTopology(withDlqDays(14))).toEqual([
      expect.stringContaining("the parking queue must keep messages at least three days longer")
    ])
    expect(checkTopology(withDlqDays(11))).toEqual([])
  })

  it("catches a DLQ that would redeliver a message the worker still holds", () => {
    const t: Topology = { ...valid, resources: { ...valid.resources, dlq: { ...valid.resources.dlq, visibilityTimeoutSeconds: 60 } } }
    // and whose third receive (when SQS stops counting the letter's age) would come before the age alarm
    expect(checkTopology(t)).toEqual([expect.stringContaining("six times"), expect.stringContaining("would never see it")])
  })

  it("catches a queue the rules send to that could not take the largest event once EventBridge wraps it", () => {
    const providerDefault = 262_144
    const small: Topology = {
      ...valid,
      consumerQueues: valid.consumerQueues.map((q) => (q.id === "analytics" ? { ...q, maxMessageBytes: providerDefault } : q)),
      delivery: { ...valid.delivery, dlq: { ...valid.delivery.dlq, maxMessageBytes: providerDefault } }
    }
    expect(checkTopology(small)).toEqual([
      expect.stringContaining("undelivered takes messages of at most 262144 bytes"),
      expect.stringContaining("analytics takes messages of at most 262144 bytes")
    ])
    const tooLarge: Topology = { ...valid, delivery: { ...valid.delivery, dlq: { ...valid.delivery.dlq, maxMessageBytes: 1_048_577 } } }
    expect(checkTopology(tooLarge)).toEqual([expect.stringContaining("maximum message size (bytes) is 1048577")])
  })

  it("catches rule target retries and a delivery DLQ retention EventBridge and SQS refuse", () => {
    const withDelivery = (retry: Partial<Topology["delivery"]["retry"]>, retentionSeconds = valid.delivery.dlq.retentionSeconds) => ({
      ...valid,
      delivery: { dlq: { ...valid.delivery.dlq, retentionSeconds }, retry: { ...valid.delivery.retry, ...retry } }
    })
    expect(checkTopology(withDelivery({ maximumRetryAttempts: 186 }))).toEqual([expect.stringContaining("retry attempts is 186")])
    expect(checkTopology(withDelivery({ maximumEventAgeSeconds: 59 }))).toEqual([expect.stringContaining("event age (s) is 59")])
    expect(checkTopology(withDelivery({ maximumEventAgeSeconds: 86_401 }))).toEqual([expect.stringContaining("event age (s) is 86401")])
    expect(checkTopology(withDelivery({}, 14 * 24 * 3600 + 1))).toEqual([expect.stringContaining("undelivered retention")])
    expect(checkTopology(withDelivery({ maximumRetryAttempts: 0, maximumEventAgeSeconds: 60 }))).toEqual([])
  })
})
