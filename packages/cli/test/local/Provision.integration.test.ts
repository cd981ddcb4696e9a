/**
 * The local topology on the emulator's real APIs: every rule's target keeps what it cannot
 * deliver in the delivery DLQ (as the stacks deploy it), only the rules may send there, and
 * provisioning again changes nothing.
 */
import { DescribeRuleCommand, ListTargetsByRuleCommand } from "@aws-sdk/client-eventbridge"
import { GetQueueAttributesCommand } from "@aws-sdk/client-sqs"
import { makeTopology } from "@cdc/topology"
import { Effect } from "effect"
import { describe, expect, it } from "vitest"
import { makeClients } from "../../src/local/LocalAws"
import { provision } from "../../src/local/Provision"

const clients = makeClients()
const topology = makeTopology({ stage: "provision-test" })
const provisioned = () => Effect.runPromise(provision(clients, topology, process.env.AWS_REGION ?? "us-east-1"))

const targetsOf = async (rule: string) =>
  (await clients.eventBridge.send(new ListTargetsByRuleCommand({ Rule: rule, EventBusName: topology.resources.bus.name }))).Targets ?? []

describe("local provisioning", () => {
  it("gives every rule's target the delivery DLQ and the topology's retries, and admits only those rules to the DLQ", async () => {
    const first = await provisioned()
    expect(first.deliveryDlq.name).toBe(topology.delivery.dlq.name)
    const ruleArns: Array<string> = []
    for (const rule of topology.rules) {
      const [target, ...others] = await targetsOf(rule.name)
      expect(others).toEqual([])
      expect(target?.Arn).toBe(first.consumerQueues.find((q) => q.id === rule.target)?.arn)
      expect(target?.DeadLetterConfig?.Arn).toBe(first.deliveryDlq.arn)
      expect(target?.RetryPolicy).toEqual({
        MaximumEventAgeInSeconds: topology.delivery.retry.maximumEventAgeSeconds,
        MaximumRetryAttempts: topology.delivery.retry.maximumRetryAttempts
      })
      const described = await clients.eventBridge.send(
        new DescribeRuleCommand({ Name: rule.name, EventBusName: topology.resources.bus.name })
      )
      ruleArns.push(described.Arn!)
    }
    const { Attributes } = await clients.sqs.send(
      new GetQueueAttributesCommand({ QueueUrl: first.deliveryDlq.url, AttributeNames: ["Policy", "MessageRetentionPeriod"] })
    )
    expect(Attributes?.MessageRetentionPeriod).toBe(String(topology.delivery.dlq.retentionSeconds))
    const policy = JSON.parse(Attributes?.Policy ?? "{}") as {
      Statement: Array<{ Condition: { ArnEquals: { "aws:SourceArn": Array<string> } } }>
    }
    expect([...(policy.Statement[0]?.Condition.ArnEquals["aws:SourceArn"] ?? [])].sort()).toEqual(ruleArns.sort())

    // create-if-missing: a second run finds the same resources
    const second = await provisioned()
    expect([second.deliveryDlq, second.consumerQueues, second.dlq]).toEqual([first.deliveryDlq, first.consumerQueues, first.dlq])
  })
})
