import { describe, expect, it } from "vitest"
import { dashboardBody } from "../src/Dashboard"
import { checkTopology, makeTopology } from "../src/Topology"

const topology = makeTopology({ stage: "dev" })
const { alarms, functions, names } = topology
const byId = new Map(alarms.map((a) => [a.id, a]))

describe("alarms", () => {
  it("covers iterator age, DLQ depth and age, parked letters, undelivered and dropped events, and errors and throttles of both functions", () => {
    expect([...byId.keys()].sort()).toEqual([
      "analytics-order-events-dropped",
      "dlq-age",
      "dlq-depth",
      "dlq-parked",
      "dlq-worker-errors",
      "dlq-worker-throttles",
      "processor-discards-lost",
      "processor-errors",
      "processor-iterator-age",
      "processor-throttles",
      "undelivered",
      "wallboards-order-events-dropped",
      "wallboards-user-events-dropped"
    ])
  })

  it("watches the metric each alarm is about", () => {
    expect(alarms.map((a) => [a.id, a.namespace, a.metricName, a.statistic])).toEqual([
      ["processor-iterator-age", "AWS/Lambda", "IteratorAge", "Maximum"],
      ["dlq-depth", "AWS/SQS", "ApproximateNumberOfMessagesVisible", "Maximum"],
      ["dlq-age", "AWS/SQS", "ApproximateAgeOfOldestMessage", "Maximum"],
      ["dlq-parked", "AWS/SQS", "ApproximateNumberOfMessagesVisible", "Maximum"],
      ["undelivered", "AWS/SQS", "ApproximateNumberOfMessagesVisible", "Maximum"],
      ["processor-discards-lost", "AWS/Lambda", "DestinationDeliveryFailures", "Sum"],
      ["wallboards-user-events-dropped", "AWS/Events", "InvocationsFailedToBeSentToDlq", "Sum"],
      ["wallboards-order-events-dropped", "AWS/Events", "InvocationsFailedToBeSentToDlq", "Sum"],
      ["analytics-order-events-dropped", "AWS/Events", "InvocationsFailedToBeSentToDlq", "Sum"],
      ["processor-errors", "AWS/Lambda", "Errors", "Sum"],
      ["processor-throttles", "AWS/Lambda", "Throttles", "Sum"],
      ["dlq-worker-errors", "AWS/Lambda", "Errors", "Sum"],
      ["dlq-worker-throttles", "AWS/Lambda", "Throttles", "Sum"]
    ])
  })

  it("watches the resources of this stage", () => {
    expect(byId.get("processor-iterator-age")?.dimensions).toEqual({ FunctionName: functions.processor.name })
    expect(byId.get("dlq-depth")?.dimensions).toEqual({ QueueName: names.dlq })
    expect(byId.get("dlq-parked")?.dimensions).toEqual({ QueueName: names.parkingQueue })
    expect(byId.get("undelivered")?.dimensions).toEqual({ QueueName: topology.delivery.dlq.name })
    expect(byId.get("dlq-worker-throttles")?.dimensions).toEqual({ FunctionName: functions.dlqWorker.name })
  })

  it("pages on a lag of five minutes, long before records are given up", () => {
    const lag = byId.get("processor-iterator-age")!
    expect([lag.statistic, lag.threshold, lag.periodSeconds * lag.evaluationPeriods]).toEqual(["Maximum", 300_000, 300])
    expect(lag.threshold + lag.periodSeconds * lag.evaluationPeriods * 1000).toBeLessThan(
      functions.processor.source.maximumRecordAgeInSeconds * 1000
    )
  })

  it("pages on a lag seen in any one period, each period longer than a batch may run (one IteratorAge point per batch)", () => {
    const lag = byId.get("processor-iterator-age")!
    // a missing point counts as not breaching: every period of a lagging processor must hold a batch
    expect(lag.treatMissingData).toBe("notBreaching")
    expect(lag.periodSeconds).toBeGreaterThan(functions.processor.timeoutSeconds)
    expect(lag.evaluationPeriods).toBe(1)
    const perMinute = { ...topology, alarms: alarms.map((a) => (a.id === lag.id ? { ...a, periodSeconds: 60, evaluationPeriods: 5 } : a)) }
    expect(checkTopology(perMinute)).toEqual([expect.stringContaining("the alarm would not fire")])
  })

  it("pages on the first dead letter left undrained for 15 minutes, or older than 10 minutes, and on any parked one", () => {
    const depth = byId.get("dlq-depth")!
    expect([depth.threshold, depth.periodSeconds * depth.evaluationPeriods]).toEqual([1, 900])
    expect(byId.get("dlq-age")?.threshold).toBe(600)
    expect(byId.get("dlq-parked")?.threshold).toBe(1)
  })

  it("sees a dead letter the worker keeps failing before SQS leaves it out of the age metric (its third receive)", () => {
    // the worker fails a message (a refused archive write): SQS hands it out again every visibility
    // timeout, and from the third receive on ApproximateAgeOfOldestMessage no longer counts it
    const visibility = topology.resources.dlq.visibilityTimeoutSeconds
    const thirdReceive = 2 * visibility
    const age = byId.get("dlq-age")!
    // two one-minute samples of the metric between the threshold and the third receive
    expect(age.threshold + 120).toBeLessThanOrEqual(thirdReceive)
    // parking (after maxReceiveCount receives) is the only other page, and it comes much later
    const parkedAfter = (topology.resources.dlq.redrive?.maxReceiveCount ?? 0) * visibility
    expect(parkedAfter).toBeGreaterThan(2 * age.threshold)
    const slower = { ...topology, alarms: alarms.map((a) => (a.id === "dlq-age" ? { ...a, threshold: 900 } : a)) }
    expect(checkTopology(slower)).toEqual([expect.stringContaining("would never see it")])
  })

  it("pages on the first event the bus could not deliver to a consumer", () => {
    const undelivered = byId.get("undelivered")!
    expect([undelivered.threshold, undelivered.evaluationPeriods]).toEqual([1, 1])
  })

  it("pages on the first event a rule dropped (refused by its target and by the delivery DLQ), for every rule of the bus", () => {
    for (const rule of topology.rules) {
      expect(byId.get(`${rule.id}-dropped`)).toMatchObject({
        dimensions: { EventBusName: names.bus, RuleName: rule.name },
        statistic: "Sum",
        threshold: 1,
        evaluationPeriods: 1
      })
    }
  })

  it("pages on the first batch given up that the DLQ refused too (its on-failure record could not be sent)", () => {
    expect(functions.processor.source.onFailure).toBe("dlq")
    expect(byId.get("processor-discards-lost")).toMatchObject({
      dimensions: { FunctionName: functions.processor.name },
      statistic: "Sum",
      threshold: 1,
      evaluationPeriods: 1
    })
  })

  it("pages on any function error or throttle, and stays quiet without traffic", () => {
    for (const id of ["processor-errors", "processor-throttles", "dlq-worker-errors", "dlq-worker-throttles"]) {
      expect(byId.get(id)).toMatchObject({ statistic: "Sum", threshold: 1, comparison: "GreaterThanOrEqualToThreshold" })
    }
    for (const alarm of alarms) expect(alarm.treatMissingData).toBe("notBreaching")
  })
})

describe("dashboard", () => {
  it("charts the stage's stream, functions, queues and rules in its region", () => {
    const body = JSON.parse(dashboardBody(topology, "eu-west-1")) as {
      widgets: Array<{ properties: { title: string; region: string; metrics: Array<Array<unknown>> } }>
    }
    expect(body.widgets.every((w) => w.properties.region === "eu-west-1")).toBe(true)
    const referenced = new Set(body.widgets.flatMap((w) => w.properties.metrics.flat().filter((x) => typeof x === "string")))
    for (const name of [
      names.stream,
      functions.processor.name,
      functions.dlqWorker.name,
      names.dlq,
      names.parkingQueue,
      names.deliveryDlq,
      names.bus
    ]) {
      expect(referenced.has(name), name).toBe(true)
    }
    for (const rule of topology.rules) expect(referenced.has(rule.name), rule.name).toBe(true)
  })
})
