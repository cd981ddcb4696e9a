import {
  developmentHashKey,
  developmentTokenizeKey,
  minimumRedactionKeyLength as functionsMinimum,
  redactionKeysConfig
} from "@cdc/domain/RedactionKeys"
import { maxRetryPaceMillis, wrapUpMillis } from "@cdc/pipeline/BatchProcessor"
import { defaultRetryPolicies } from "@cdc/pipeline/RetryPolicy"
import * as ConfigProvider from "effect/ConfigProvider"
import * as Effect from "effect/Effect"
import * as Redacted from "effect/Redacted"
import { assert, describe, expect, it } from "vitest"
import {
  batchTimeBudgetMillis,
  type FunctionSettings,
  minimumRedactionKeyLength,
  publicRedactionKeys,
  type ResourceKey,
  redactionKeyProblem,
  sameRedactionKeysProblem,
  secretNames,
  sstSecretName
} from "../src/Functions"
import { makeTopology } from "../src/Topology"

const topology = makeTopology({ stage: "dev" })
const { processor, dlqWorker } = topology.functions

describe("processor", () => {
  it("runs the processor handler on Node 22, arm64", () => {
    expect([processor.handler, processor.runtime, processor.architecture]).toEqual([
      "packages/functions/src/processor.handler",
      "nodejs22.x",
      "arm64"
    ])
  })

  it("reads the stream with partial batch responses, bisection, bounded retries and a DLQ on failure", () => {
    expect(processor.source).toEqual({
      _tag: "Kinesis",
      startingPosition: "TRIM_HORIZON",
      batchSize: 500,
      maximumBatchingWindowInSeconds: 1,
      parallelizationFactor: 1,
      functionResponseTypes: ["ReportBatchItemFailures"],
      bisectBatchOnFunctionError: true,
      maximumRetryAttempts: 20,
      maximumRecordAgeInSeconds: 21_600,
      onFailure: "dlq"
    })
  })

  it("gives up a record to the DLQ hours before the stream would drop it", () => {
    expect(processor.source.maximumRecordAgeInSeconds).toBeLessThanOrEqual((topology.resources.stream.retentionHours * 3600) / 4)
  })

  it("has time for a full batch even if every call exhausts its retries", () => {
    const budget = batchTimeBudgetMillis({
      batchSize: processor.source.batchSize,
      publish: defaultRetryPolicies["eventbridge-publish"],
      checkpoint: defaultRetryPolicies["dynamodb-write"],
      callMillis: 100,
      retryPaceMillis: maxRetryPaceMillis
    })
    expect(budget).toBeLessThan(processor.timeoutSeconds * 1000)
    // The batch stops starting calls `wrapUpMillis` before its end (the handler's 1 s margin
    // before the timeout), so the publishing must fit before that for a full batch to finish.
    const publishing = budget - maxRetryPaceMillis
    expect(publishing).toBeLessThan(processor.timeoutSeconds * 1000 - 1_000 - wrapUpMillis)
    // The budget grows with the batch: twice the batch would not fit.
    expect(
      batchTimeBudgetMillis({
        ...{ publish: defaultRetryPolicies["eventbridge-publish"] },
        checkpoint: defaultRetryPolicies["dynamodb-write"],
        callMillis: 100,
        retryPaceMillis: maxRetryPaceMillis,
        batchSize: 1000
      })
    ).toBeGreaterThan(processor.timeoutSeconds * 1000)
  })
})

describe("batchTimeBudgetMillis", () => {
  it("adds every PutEvents call's and the checkpoint's retries at their longest jittered delays, and the retry pace", () => {
    const budget = batchTimeBudgetMillis({
      // 11 records: 2 PutEvents calls of at most 10 entries.
      batchSize: 11,
      // 1 + (100 × 1.5 + 1) + (min(200, 150) × 1.5 + 1) = 378 per call
      publish: { maxRetries: 2, baseDelayMillis: 100, maxDelayMillis: 150, jitter: 0.5 },
      // 1 + (10 + 1) = 12
      checkpoint: { maxRetries: 1, baseDelayMillis: 10, maxDelayMillis: 1_000, jitter: 0 },
      callMillis: 1,
      retryPaceMillis: 7
    })
    expect(budget).toBe(2 * 378 + 12 + 7)
  })
})

describe("DLQ worker", () => {
  it("consumes the DLQ in batches with partial batch responses, two at a time at most (it reads the stream the processor reads)", () => {
    expect(dlqWorker.handler).toBe("packages/functions/src/dlqWorker.handler")
    expect(dlqWorker.source).toEqual({
      _tag: "Sqs",
      queue: "dlq",
      batchSize: 10,
      maximumBatchingWindowInSeconds: 5,
      functionResponseTypes: ["ReportBatchItemFailures"],
      maximumConcurrency: 2
    })
  })
})

describe("environment", () => {
  const resourceEnv = (fn: FunctionSettings) =>
    Object.fromEntries(
      Object.entries(fn.environment).map(([name, source]) => [
        name,
        source._tag === "Resource"
          ? `${source.resource}.${source.attribute}`
          : source._tag === "Secret"
            ? `secret:${source.secret}`
            : source.value
      ])
    )

  it("gives the processor the variables it reads locally", () => {
    expect(resourceEnv(processor)).toEqual({
      CDC_EVENT_BUS_NAME: "bus.name",
      CDC_STATE_TABLE: "stateTable.name",
      CDC_CHECKPOINT_TTL_HOURS: "48",
      CDC_DLQ_URL: "dlq.url",
      CDC_STREAM_NAME: "stream.name",
      CDC_SOURCE_PREFIX: "cdc-pipeline",
      CDC_HASH_KEY: "secret:CdcHashKey",
      CDC_TOKENIZE_KEY: "secret:CdcTokenizeKey"
    })
  })

  it("lets a checkpoint expire a day after the last record it covers left the stream, in every stage", () => {
    for (const stage of ["dev", "prod"]) {
      const t = makeTopology({ stage })
      expect(t.functions.processor.environment.CDC_CHECKPOINT_TTL_HOURS).toEqual({
        _tag: "Value",
        value: String(t.resources.stream.retentionHours + 24)
      })
    }
  })

  it("gives the DLQ worker the variables it reads locally", () => {
    expect(resourceEnv(dlqWorker)).toEqual({
      CDC_ARCHIVE_BUCKET: "archiveBucket.name",
      CDC_ALERT_TOPIC_ARN: "alertTopic.arn",
      CDC_STATE_TABLE: "stateTable.name",
      CDC_ALERT_WINDOW_MINUTES: "15",
      CDC_STREAM_NAME: "stream.name",
      CDC_EVENT_BUS_NAME: "bus.name",
      CDC_SOURCE_PREFIX: "cdc-pipeline",
      CDC_HASH_KEY: "secret:CdcHashKey",
      CDC_TOKENIZE_KEY: "secret:CdcTokenizeKey"
    })
  })
})

describe("redaction keys", () => {
  it("knows the public development keys the functions fall back to", () => {
    expect([...publicRedactionKeys].sort()).toEqual([developmentHashKey, developmentTokenizeKey].sort())
    // the length the deploy refuses below is the one the functions warn about
    expect(minimumRedactionKeyLength).toBe(functionsMinimum)
  })

  it("guards what the functions do with an empty or blank key: read as unset, the public development key is used", () => {
    const keys = Effect.runSync(
      Effect.provide(
        Effect.gen(function* () {
          return yield* redactionKeysConfig
        }),
        ConfigProvider.layer(ConfigProvider.fromEnv({ env: { CDC_HASH_KEY: "", CDC_TOKENIZE_KEY: " \n" } }))
      )
    )
    // a blank key (a secret that came out as a newline) too: the deploy refuses both
    expect([Redacted.value(keys.hashKey), Redacted.value(keys.tokenizeKey)]).toEqual([developmentHashKey, developmentTokenizeKey])
  })

  it("refuses to deploy an empty key, which the functions would silently replace by the public development key", () => {
    for (const name of secretNames) {
      for (const empty of ["", "  ", "\n"]) expect(redactionKeyProblem(name, empty), JSON.stringify(empty)).toContain(`${name} is empty`)
    }
  })

  it("refuses to deploy a key too short to resist trying every value, naming the secret and never the key", () => {
    for (const name of secretNames) {
      for (const short of ["Qz", "hunter2", "0123456789abcdef0123456789abcde"]) {
        const problem = redactionKeyProblem(name, short)
        expect(problem, JSON.stringify(short)).toContain(`${name} is shorter than 32 characters`)
        expect(problem).not.toContain(short)
      }
      expect(redactionKeyProblem(name, "0123456789abcdef0123456789abcdef")).toBeUndefined()
    }
  })

  it("refuses to deploy a public development key", () => {
    for (const name of secretNames) {
      for (const key of [developmentHashKey, developmentTokenizeKey])
        expect(redactionKeyProblem(name, key)).toContain("public development key")
    }
  })

  it("keeps production's keys under secrets of their own, out of reach of a value set with --fallback", () => {
    expect(secretNames.map((name) => sstSecretName(name, false))).toEqual(["CdcHashKey", "CdcTokenizeKey"])
    expect(secretNames.map((name) => sstSecretName(name, true))).toEqual(["CdcHashKeyProduction", "CdcTokenizeKeyProduction"])
    expect(redactionKeyProblem(sstSecretName("CdcHashKey", true), "")).toContain(
      'CdcHashKeyProduction is empty: the functions would silently use the public development key. Set it with `npx sst secret set CdcHashKeyProduction "$(openssl rand -hex 32)"`'
    )
  })

  it("refuses to deploy one key for both, and the functions refuse to start with one, naming the variables only", () => {
    const key = "9f2c4e1a7b3d5f60c8e2a4b6d8f0a1c3e5b7d9f1a3c5e7b9d1f3a5c7e9b1d3f5"
    expect(sameRedactionKeysProblem(key, key)).toContain("CdcHashKey and CdcTokenizeKey are the same key")
    expect(sameRedactionKeysProblem(key, key, true)).toContain(
      "CdcHashKeyProduction and CdcTokenizeKeyProduction are the same key: a token could then be matched against a hash. Give each its own with `npx sst secret set CdcTokenizeKeyProduction"
    )
    expect(sameRedactionKeysProblem(key, `${key}0`)).toBeUndefined()
    const read = (env: Record<string, string>) =>
      Effect.runSync(
        Effect.result(
          Effect.gen(function* () {
            return yield* redactionKeysConfig
          })
        ).pipe(Effect.provide(ConfigProvider.layer(ConfigProvider.fromEnv({ env }))))
      )
    const refused = read({ CDC_HASH_KEY: key, CDC_TOKENIZE_KEY: key })
    assert(refused._tag === "Failure")
    expect(refused.failure.message).toContain("CDC_HASH_KEY and CDC_TOKENIZE_KEY hold the same key")
    expect(refused.failure.message).not.toContain(key)
    expect(read({ CDC_HASH_KEY: key, CDC_TOKENIZE_KEY: `${key}0` })._tag).toBe("Success")
  })

  it("accepts a random key", () => {
    expect(redactionKeyProblem("CdcHashKey", "9f2c4e1a7b3d5f60c8e2a4b6d8f0a1c3e5b7d9f1a3c5e7b9d1f3a5c7e9b1d3f5")).toBeUndefined()
  })
})

describe("least privilege", () => {
  const service: Record<ResourceKey, string> = {
    stream: "kinesis",
    stateTable: "dynamodb",
    bus: "events",
    dlq: "sqs",
    parkingQueue: "sqs",
    archiveBucket: "s3",
    alertTopic: "sns"
  }
  const actionsOf = (fn: FunctionSettings) =>
    fn.grants.flatMap((g) => g.actions.map((a) => `${g.resource}${g.scope ? `/${g.scope}` : ""} ${a}`))

  it("never grants a wildcard action, and every action belongs to its resource's service", () => {
    for (const fn of [processor, dlqWorker]) {
      for (const grant of fn.grants) {
        for (const action of grant.actions) {
          expect(action).not.toContain("*")
          expect(action.split(":")[0]).toBe(service[grant.resource])
        }
      }
    }
  })

  it("lets the processor read the stream, publish, checkpoint and dead-letter, nothing more", () => {
    expect(actionsOf(processor)).toEqual([
      "stream kinesis:DescribeStream",
      "stream kinesis:DescribeStreamSummary",
      "stream kinesis:GetRecords",
      "stream kinesis:GetShardIterator",
      "stream kinesis:ListShards",
      "stream kinesis:ListStreams",
      "stream kinesis:SubscribeToShard",
      "bus events:PutEvents",
      "stateTable dynamodb:BatchGetItem",
      "stateTable dynamodb:UpdateItem",
      "dlq sqs:SendMessage"
    ])
  })

  it("lets the DLQ worker consume the DLQ, re-read records, archive, alert and keep its alert windows, nothing more", () => {
    expect(actionsOf(dlqWorker)).toEqual([
      "dlq sqs:ChangeMessageVisibility",
      "dlq sqs:DeleteMessage",
      "dlq sqs:GetQueueAttributes",
      "dlq sqs:GetQueueUrl",
      "dlq sqs:ReceiveMessage",
      "stream kinesis:GetRecords",
      "stream kinesis:GetShardIterator",
      "archiveBucket/objects s3:PutObject",
      "alertTopic sns:Publish",
      "stateTable dynamodb:UpdateItem"
    ])
  })

  it("grants no function anything on the parking queue: only an operator redrives from it", () => {
    for (const fn of [processor, dlqWorker]) expect(fn.grants.map((g) => g.resource)).not.toContain("parkingQueue")
  })

  it("grants a function access to every resource whose address it is given, except the bus name the worker only stamps", () => {
    for (const fn of [processor, dlqWorker]) {
      const granted = new Set(fn.grants.map((g) => g.resource))
      const read = Object.values(fn.environment).flatMap((s) => (s._tag === "Resource" ? [s.resource] : []))
      const missing = read.filter((r) => !granted.has(r))
      expect(missing).toEqual(fn === dlqWorker ? ["bus"] : [])
    }
  })
})
