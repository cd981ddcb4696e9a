/**
 * The processor (Kinesis event source mapping) and the DLQ worker (SQS event source mapping).
 *
 * Access is least privilege through SST links: each grant of the topology becomes an
 * `sst.Linkable` that carries exactly its actions on exactly its resource (linking SST's own
 * components would grant `kinesis:*`, `sqs:*`, …). The functions read everything from the same
 * environment variables as locally (`CDC_EVENT_BUS_NAME`, …), so `sst dev` runs them unchanged.
 * The redaction keys are SST secrets (production stages have their own, `sstSecretName`), linked
 * and exposed as `CDC_HASH_KEY` / `CDC_TOKENIZE_KEY`;
 * the deploy stops when one is empty or a public development key (`redactionKeyProblem`), or
 * when both are the same key (`sameRedactionKeysProblem`).
 *
 * @example
 * ```ts
 * functions(topology, { ...streamAndState(topology), ...busRulesArchive(topology), ...failureHandling(topology) })
 * ```
 */
import type { EnvSource, FunctionSettings, ResourceKey, SecretName } from "@cdc/topology/Functions"
import { redactionKeyProblem, sameRedactionKeysProblem, secretNames, sstSecretName } from "@cdc/topology/Functions"
import type { Topology } from "@cdc/topology/Topology"
import { logicalName } from "./logicalName"

/** A deployed resource, as far as grants and environment variables need it. */
interface Deployed {
  readonly name: $util.Output<string>
  readonly arn: $util.Output<string>
  readonly url?: $util.Output<string>
}

export interface FunctionsInput {
  readonly stream: sst.aws.KinesisStream
  readonly stateTable: sst.aws.Dynamo
  readonly bus: sst.aws.Bus
  readonly dlq: sst.aws.Queue
  readonly parkingQueue: sst.aws.Queue
  readonly archiveBucket: sst.aws.Bucket
  readonly alertTopic: sst.aws.SnsTopic
}

const deployedResources = (input: FunctionsInput): Record<ResourceKey, Deployed> => ({
  stream: { name: input.stream.name, arn: input.stream.arn },
  stateTable: { name: input.stateTable.name, arn: input.stateTable.arn },
  bus: { name: input.bus.name, arn: input.bus.arn },
  dlq: { name: input.dlq.nodes.queue.name, arn: input.dlq.arn, url: input.dlq.url },
  parkingQueue: { name: input.parkingQueue.nodes.queue.name, arn: input.parkingQueue.arn, url: input.parkingQueue.url },
  archiveBucket: { name: input.archiveBucket.name, arn: input.archiveBucket.arn },
  alertTopic: { name: input.alertTopic.nodes.topic.name, arn: input.alertTopic.arn }
})

/** A redaction key's SST secret, and its value once checked (see `redactionKeyProblem`). */
interface RedactionSecret {
  readonly secret: sst.Secret
  readonly value: $util.Output<string>
}

/**
 * The redaction keys as SST secrets. The deploy stops when one is empty (the functions would fall
 * back, silently, to the public development key) or is a public development key, or when both
 * are the same key.
 */
const redactionSecrets = (production: boolean): Record<SecretName, RedactionSecret> => {
  const named = (name: SecretName) => sstSecretName(name, production)
  const secrets = Object.fromEntries(secretNames.map((name) => [name, new sst.Secret(named(name))])) as Record<SecretName, sst.Secret>
  const checked = $util.all([secrets.CdcHashKey.value, secrets.CdcTokenizeKey.value]).apply(([hashKey, tokenizeKey]) => {
    const problem =
      redactionKeyProblem(named("CdcHashKey"), hashKey) ??
      redactionKeyProblem(named("CdcTokenizeKey"), tokenizeKey) ??
      sameRedactionKeysProblem(hashKey, tokenizeKey, production)
    if (problem !== undefined) throw new Error(problem)
    return { CdcHashKey: hashKey, CdcTokenizeKey: tokenizeKey }
  })
  return Object.fromEntries(
    secretNames.map((name) => [name, { secret: secrets[name], value: checked.apply((keys) => keys[name]) }])
  ) as Record<SecretName, RedactionSecret>
}

/** The function's arguments shared by both: runtime, size, environment, least-privilege links. */
const functionArgs = (
  id: string,
  fn: FunctionSettings,
  deployed: Record<ResourceKey, Deployed>,
  secrets: Record<SecretName, RedactionSecret>
): sst.aws.FunctionArgs => {
  const value = (source: EnvSource): $util.Input<string> => {
    switch (source._tag) {
      case "Value":
        return source.value
      case "Secret":
        return secrets[source.secret].value
      case "Resource": {
        const attribute = deployed[source.resource][source.attribute]
        if (attribute === undefined) throw new Error(`${source.resource} has no ${source.attribute}`)
        return attribute
      }
    }
  }
  const grants = fn.grants.map(
    (grant) =>
      new sst.Linkable(`${id}${logicalName(grant.resource)}${grant.scope === "objects" ? "Objects" : ""}Access`, {
        properties: { name: deployed[grant.resource].name },
        include: [
          sst.aws.permission({
            actions: [...grant.actions],
            resources: [grant.scope === "objects" ? $interpolate`${deployed[grant.resource].arn}/*` : deployed[grant.resource].arn]
          })
        ]
      })
  )
  return {
    name: fn.name,
    handler: fn.handler,
    runtime: fn.runtime,
    architecture: fn.architecture,
    memory: `${fn.memoryMb} MB`,
    timeout: `${fn.timeoutSeconds} seconds`,
    environment: Object.fromEntries(Object.entries(fn.environment).map(([name, source]) => [name, value(source)])),
    link: [...grants, ...secretNames.map((name) => secrets[name].secret)]
  }
}

export const functions = (topology: Topology, input: FunctionsInput) => {
  const { processor, dlqWorker } = topology.functions
  const deployed = deployedResources(input)
  const secrets = redactionSecrets(topology.production)

  const esm = processor.source
  const processorSubscription = input.stream.subscribe("Processor", functionArgs("Processor", processor, deployed, secrets), {
    transform: {
      eventSourceMapping: {
        startingPosition: esm.startingPosition,
        batchSize: esm.batchSize,
        maximumBatchingWindowInSeconds: esm.maximumBatchingWindowInSeconds,
        parallelizationFactor: esm.parallelizationFactor,
        functionResponseTypes: [...esm.functionResponseTypes],
        bisectBatchOnFunctionError: esm.bisectBatchOnFunctionError,
        maximumRetryAttempts: esm.maximumRetryAttempts,
        maximumRecordAgeInSeconds: esm.maximumRecordAgeInSeconds,
        destinationConfig: { onFailure: { destinationArn: deployed[esm.onFailure].arn } }
      }
    }
  })

  const sqs = dlqWorker.source
  const dlqWorkerSubscription = input.dlq.subscribe(functionArgs("DlqWorker", dlqWorker, deployed, secrets), {
    batch: {
      size: sqs.batchSize,
      window: `${sqs.maximumBatchingWindowInSeconds} seconds`,
      partialResponses: sqs.functionResponseTypes.includes("ReportBatchItemFailures")
    },
    transform: { eventSourceMapping: { scalingConfig: { maximumConcurrency: sqs.maximumConcurrency } } }
  })

  return { processorSubscription, dlqWorkerSubscription, secrets }
}
