/**
 * Creates the topology of `@cdc/topology` on the emulator (or any endpoint the SDK is pointed
 * at), with the real AWS APIs, create-if-missing: running it twice changes nothing. Every name,
 * pattern and setting comes from the topology description that `stacks/` deploys; nothing here
 * repeats it.
 *
 * One addition exists only locally: the tap, a rule matching every `<prefix>` event into its own
 * queue, so the local runner can see everything that was actually published (for the Wallboard's
 * per-table chart and the headless accounting). In AWS, that role is played by the event archive.
 *
 * @example
 * ```ts
 * const provisioned = yield* provision(clients, makeTopology({ stage: "local" }), "us-east-1")
 * provisioned.environment(topology.functions.processor) // { CDC_EVENT_BUS_NAME: "cdc-pipeline-local-events", … }
 * ```
 */
import { CreateTopicCommand } from "@aws-sdk/client-sns"
import type { FunctionSettings, ResourceKey, Topology } from "@cdc/topology"
import * as Effect from "effect/Effect"
import { type Clients, call } from "./LocalAws"
import { archiveBucket } from "./provision/ArchiveBucket"
import { allowRules, bus, queue, rule } from "./provision/BusRulesQueues"
import { stateTable, stream } from "./provision/StreamAndState"

export interface ProvisionedQueue {
  readonly name: string
  readonly url: string
  readonly arn: string
}

export interface Provisioned {
  readonly region: string
  readonly stream: { readonly name: string; readonly arn: string; readonly createdAt: number }
  readonly stateTable: { readonly name: string; readonly arn: string }
  readonly bus: { readonly name: string; readonly arn: string }
  readonly dlq: ProvisionedQueue
  readonly parkingQueue: ProvisionedQueue
  readonly consumerQueues: ReadonlyArray<ProvisionedQueue & { readonly id: string }>
  /** Events a rule could not deliver to its consumer queue. */
  readonly deliveryDlq: ProvisionedQueue
  /** Local only: receives every published event (see the module doc). */
  readonly tap: ProvisionedQueue
  readonly archiveBucket: { readonly name: string; readonly arn: string }
  readonly alertTopic: { readonly name: string; readonly arn: string }
  /** The environment a function reads, resolved from the topology's description of it. */
  readonly environment: (fn: FunctionSettings) => Record<string, string>
}

/** Creates (if missing) every resource of the topology, plus the local tap. */
export const provision = (clients: Clients, topology: Topology, region: string) =>
  Effect.gen(function* () {
    const { resources } = topology
    const [createdStream, table, createdBus, bucket, topic] = yield* Effect.all(
      [
        stream(clients, topology),
        stateTable(clients, topology),
        bus(clients, topology),
        archiveBucket(clients, topology),
        call("SNS", "CreateTopic", (abortSignal) =>
          clients.sns.send(new CreateTopicCommand({ Name: resources.alertTopic.name }), { abortSignal })
        )
      ],
      { concurrency: "unbounded" }
    )
    const parkingQueue = yield* queue(clients, resources.parkingQueue)
    const dlq = yield* queue(clients, resources.dlq, parkingQueue.arn)
    const consumerQueues = yield* Effect.forEach(topology.consumerQueues, (settings) =>
      queue(clients, settings).pipe(Effect.map((created) => ({ ...created, id: settings.id })))
    )
    const deliveryDlq = yield* queue(clients, topology.delivery.dlq)
    const delivery = { dlq: deliveryDlq, retry: topology.delivery.retry }
    const deliveringRules: Array<string> = []
    for (const consumer of consumerQueues) {
      const ruleArns = yield* Effect.forEach(
        topology.rules.filter((r) => r.target === consumer.id),
        (r) => rule(clients, createdBus.name, r.name, r.description, r.pattern, consumer, delivery)
      )
      yield* allowRules(clients, consumer, ruleArns)
      deliveringRules.push(...ruleArns)
    }
    yield* allowRules(clients, deliveryDlq, deliveringRules)
    const tap = yield* queue(clients, { name: topology.names.of("tap"), retentionSeconds: 4 * 24 * 3600 })
    const tapRule = yield* rule(
      clients,
      createdBus.name,
      topology.names.of("tap"),
      "Local runner only: every pipeline event, for the Wallboard chart and the headless accounting",
      topology.eventArchive.pattern,
      tap
    )
    yield* allowRules(clients, tap, [tapRule])
    const alertTopic = { name: resources.alertTopic.name, arn: topic.TopicArn! }
    const byKey: Record<ResourceKey, { readonly name: string; readonly arn: string; readonly url?: string }> = {
      stream: createdStream,
      stateTable: table,
      bus: createdBus,
      dlq,
      parkingQueue,
      archiveBucket: bucket,
      alertTopic
    }
    const environment = (fn: FunctionSettings): Record<string, string> => {
      const out: Record<string, string> = {}
      for (const [name, source] of Object.entries(fn.environment)) {
        if (source._tag === "Value") out[name] = source.value
        else if (source._tag === "Resource") {
          const value = byKey[source.resource][source.attribute]
          if (value !== undefined) out[name] = value
        }
        // Secrets: the redaction keys come from the user's environment, or their documented development defaults.
      }
      return out
    }
    return {
      region,
      stream: createdStream,
      stateTable: table,
      bus: createdBus,
      dlq,
      parkingQueue,
      consumerQueues,
      deliveryDlq,
      tap,
      archiveBucket: bucket,
      alertTopic,
      environment
    } satisfies Provisioned
  })
