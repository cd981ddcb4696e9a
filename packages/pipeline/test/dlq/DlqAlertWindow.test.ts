/**
 * The DLQ worker under a flood: one alert per problem per window, the rest counted and reported
 * by the next alert; an alert SNS refused is not silenced by its own claim; a window that cannot
 * be reached sends the alert anyway.
 */
import { assert, describe, it } from "@effect/vitest"
import * as Clock from "effect/Clock"
import * as Effect from "effect/Effect"
import * as Fiber from "effect/Fiber"
import * as Layer from "effect/Layer"
import { TestClock } from "effect/testing"
import { schemaDriftNotice } from "../../src/DeadLetters"
import { Alerts, alertBody, alertSubject } from "../../src/dlq/Alerts"
import { AlertWindow } from "../../src/dlq/AlertWindow"
import { handleDlqBatch } from "../../src/dlq/DlqWorker"
import { AwsLikeFault, AwsLikeRefusal } from "./faults"
import { delivery, memoryWorld, noRetries, poisonDeadLetter } from "./fixtures"

/** Alert-window writes retried (twice, 100 ms apart); everything else not. */
const retriedWrites = { ...noRetries, "dynamodb-write": { maxRetries: 2, baseDelayMillis: 100, maxDelayMillis: 100, jitter: 0 } }

/**
 * The world's alert window, losing the answers of the next `losing.lost` admits: each admit's
 * write lands, and the caller sees a timeout.
 */
const losingAdmitAnswers = (world: Layer.Layer<AlertWindow>, losing: { lost: number }) =>
  Layer.effect(
    AlertWindow,
    Effect.map(Effect.service(AlertWindow), (window) =>
      AlertWindow.of({
        ...window,
        admit: (problem, records, claimId) =>
          Effect.flatMap(window.admit(problem, records, claimId), (admission) => {
            if (losing.lost === 0) return Effect.succeed(admission)
            losing.lost--
            return Effect.fail(new AwsLikeFault({ code: "TimeoutError" }))
          })
      })
    )
  ).pipe(Layer.provide(world))

let sequence = 0
/** A DLQ batch of `size` poison dead letters of `table`, each a new record. */
const poisonBatch = (size: number, table = "users") =>
  Array.from({ length: size }, () => delivery(poisonDeadLetter(String(++sequence), table)))

describe("DLQ worker alert window", () => {
  it.effect("a flood of one problem is one alert per window; the next one says how many were not sent", () => {
    const world = memoryWorld()
    return Effect.gen(function* () {
      for (let i = 0; i < 6; i++) {
        assert.deepStrictEqual((yield* handleDlqBatch(poisonBatch(10))).batchItemFailures, [])
        yield* TestClock.adjust("1 minute")
      }
      yield* handleDlqBatch(poisonBatch(2, "orders"))
      assert.deepStrictEqual(
        world.alerts.published.map((alert) => [alert.table, alert.count, alert.quieted]),
        [
          ["users", 10, undefined],
          ["orders", 2, undefined]
        ]
      )
      assert.strictEqual(world.archive.objects.size, 62, "every failure is archived, alerted or not")
      assert.strictEqual(JSON.parse(alertBody(world.alerts.published[0]!)).quietUntil, "1970-01-01T00:15:00.000Z")

      yield* TestClock.adjust("9 minutes")
      yield* handleDlqBatch(poisonBatch(3))
      const next = world.alerts.published[2]!
      assert.deepStrictEqual([next.table, next.count, next.quieted], ["users", 3, { alerts: 5, records: 50 }])
      assert.strictEqual(alertSubject(next), "CDC DLQ poison/not-an-integer on users: 3 records (+50 since the last alert)")
      assert.deepStrictEqual(JSON.parse(alertBody(next)).quieted, { alerts: 5, records: 50 })
      assert.isTrue(world.logs.some((line) => line.includes('"alertsQuieted":1')))
    }).pipe(Effect.provide(world.layer))
  })

  it.effect("a schema drift on new columns is alerted within the window of the table's last drift alert", () => {
    const world = memoryWorld()
    const drift = (columns: ReadonlyArray<string>) =>
      delivery(
        schemaDriftNotice({
          table: "users",
          columns,
          reason: "undeclared-columns",
          coordinates: {
            streamArn: "arn:aws:kinesis:us-east-1:123456789012:stream/s",
            shardId: "shardId-0",
            sequenceNumber: String(++sequence)
          },
          at: "1970-01-01T00:00:00.000Z"
        })
      )
    return Effect.gen(function* () {
      yield* handleDlqBatch([drift(["nickname"])])
      yield* TestClock.adjust("1 minute")
      // the same column again: quiet; a column never seen: alerted, the set in any order once
      yield* handleDlqBatch([drift(["nickname"])])
      yield* handleDlqBatch([drift(["loyalty_tier"])])
      yield* handleDlqBatch([drift(["nickname", "loyalty_tier"])])
      yield* handleDlqBatch([drift(["loyalty_tier", "nickname"])])
      assert.deepStrictEqual(
        world.alerts.published.map((alert) => [alert.code, alert.columns, alert.count]),
        [
          ["undeclared-columns", ["nickname"], 1],
          ["undeclared-columns", ["loyalty_tier"], 1],
          ["undeclared-columns", ["loyalty_tier", "nickname"], 1]
        ]
      )
      yield* TestClock.adjust("15 minutes")
      yield* handleDlqBatch([drift(["nickname"])])
      assert.deepStrictEqual(world.alerts.published.at(-1)?.quieted, { alerts: 1, records: 1 })
    }).pipe(Effect.provide(world.layer))
  })

  it.effect("an alert SNS refused leaves the problem unsilenced: its redelivery alerts at once", () => {
    const world = memoryWorld()
    const batch = poisonBatch(4)
    return Effect.gen(function* () {
      world.alerts.failPublish = () => new AwsLikeRefusal({ code: "AuthorizationError" })
      const refused = yield* handleDlqBatch(batch)
      assert.strictEqual(refused.batchItemFailures.length, 4, "the messages come back")
      world.alerts.failPublish = undefined
      yield* TestClock.adjust("1 second")
      yield* handleDlqBatch(batch)
      assert.deepStrictEqual(
        world.alerts.published.map((alert) => [alert.count, alert.newlyArchived]),
        [[4, 0]]
      )
    }).pipe(Effect.provide(world.layer))
  })

  it.effect("a window that cannot be reached does not hold an alert back", () => {
    const world = memoryWorld()
    const unreachable = Layer.succeed(
      AlertWindow,
      AlertWindow.of({
        admit: () => Effect.fail(new AwsLikeFault({ code: "ProvisionedThroughputExceededException" })),
        confirm: () => Effect.die("not reached"),
        release: () => Effect.die("not reached")
      })
    )
    return Effect.gen(function* () {
      yield* handleDlqBatch(poisonBatch(2))
      yield* handleDlqBatch(poisonBatch(2))
      assert.strictEqual(world.alerts.published.length, 2)
      assert.isUndefined(world.alerts.published[0]?.quietUntil, "no window, so no quiet time is promised")
      assert.isTrue(world.logs.some((line) => line.includes("alert window unavailable")))
    }).pipe(Effect.provide(Layer.merge(world.layer, unreachable)))
  })

  it.effect("a confirm that fails costs one more alert once the claim lapses, not a lost one", () => {
    const world = memoryWorld()
    const forgetful = Layer.effect(
      AlertWindow,
      Effect.map(Effect.service(AlertWindow), (window) =>
        AlertWindow.of({ ...window, confirm: () => Effect.fail(new AwsLikeFault({ code: "InternalServerError" })) })
      )
    ).pipe(Layer.provide(world.layer))
    return Effect.gen(function* () {
      yield* handleDlqBatch(poisonBatch(1))
      yield* TestClock.adjust("30 seconds")
      yield* handleDlqBatch(poisonBatch(1))
      yield* TestClock.adjust("31 seconds")
      yield* handleDlqBatch(poisonBatch(1))
      assert.deepStrictEqual(
        world.alerts.published.map((alert) => alert.quieted),
        [undefined, { alerts: 1, records: 1 }]
      )
      assert.isTrue(world.logs.some((line) => line.includes("alert window not confirmed")))
    }).pipe(Effect.provide(Layer.merge(world.layer, forgetful)))
  })

  it.effect("an alert the batch's end cut off keeps the counts it was to report for the next", () => {
    const world = memoryWorld()
    let hang = false
    const slowSns = Layer.effect(
      Alerts,
      Effect.map(Effect.service(Alerts), (alerts) =>
        Alerts.of({ publish: (alert) => (hang ? Effect.andThen(Effect.sleep("1 minute"), alerts.publish(alert)) : alerts.publish(alert)) })
      )
    ).pipe(Layer.provide(world.layer))
    return Effect.gen(function* () {
      yield* handleDlqBatch(poisonBatch(1))
      yield* TestClock.adjust("1 minute")
      yield* handleDlqBatch(poisonBatch(10))
      yield* TestClock.adjust("14 minutes")
      hang = true
      const cut = poisonBatch(2)
      const now = yield* Clock.currentTimeMillis
      const fiber = yield* Effect.forkChild(handleDlqBatch(cut, { endsAt: now + 20_000 }))
      yield* TestClock.adjust("20 seconds")
      assert.strictEqual((yield* Fiber.join(fiber)).batchItemFailures.length, 2, "its messages come back")
      hang = false
      yield* TestClock.adjust("1 minute")
      yield* handleDlqBatch(cut)
      assert.deepStrictEqual(
        world.alerts.published.map((alert) => [alert.count, alert.quieted]),
        [
          [1, undefined],
          [2, { alerts: 1, records: 10 }]
        ]
      )
    }).pipe(Effect.provide(Layer.merge(world.layer, slowSns)))
  })

  it.effect("a confirm the batch's end cuts off leaves the published alert's messages acknowledged", () => {
    const world = memoryWorld()
    const stuck = Layer.effect(
      AlertWindow,
      Effect.map(Effect.service(AlertWindow), (window) => AlertWindow.of({ ...window, confirm: () => Effect.never }))
    ).pipe(Layer.provide(world.layer))
    return Effect.gen(function* () {
      const now = yield* Clock.currentTimeMillis
      const fiber = yield* Effect.forkChild(handleDlqBatch(poisonBatch(2), { endsAt: now + 20_000 }))
      yield* TestClock.adjust("20 seconds")
      assert.deepStrictEqual((yield* Fiber.join(fiber)).batchItemFailures, [])
      assert.strictEqual(world.alerts.published.length, 1)
      assert.isFalse(world.logs.some((line) => line.includes("alert not published")))
      assert.isTrue(world.logs.some((line) => line.includes("alert window not confirmed")))
    }).pipe(Effect.provide(Layer.merge(world.layer, stuck)))
  })

  it.effect("a claim retried after its first write landed (the answer lost) is the alert's own: sent, not quieted", () => {
    const world = memoryWorld(retriedWrites)
    const lossy = losingAdmitAnswers(world.layer, { lost: 1 })
    return Effect.gen(function* () {
      const fiber = yield* Effect.forkChild(handleDlqBatch(poisonBatch(3)))
      yield* TestClock.adjust("1 second")
      assert.deepStrictEqual((yield* Fiber.join(fiber)).batchItemFailures, [])
      assert.deepStrictEqual(
        world.alerts.published.map((alert) => [alert.count, alert.quietUntil !== undefined]),
        [[3, true]]
      )
      assert.isFalse(world.logs.some((line) => line.includes("alert window unavailable")))
    }).pipe(Effect.provide(Layer.merge(world.layer, lossy)))
  })

  it.effect("a quieted alert retried after its count landed (the answer lost) is counted once", () => {
    const world = memoryWorld(retriedWrites)
    const losing = { lost: 0 }
    return Effect.gen(function* () {
      yield* handleDlqBatch(poisonBatch(2))
      losing.lost = 1
      const fiber = yield* Effect.forkChild(handleDlqBatch(poisonBatch(5)))
      yield* TestClock.adjust("1 second")
      assert.deepStrictEqual((yield* Fiber.join(fiber)).batchItemFailures, [])
      assert.strictEqual(losing.lost, 0, "an answer was lost, and the admit retried")
      yield* TestClock.adjust("15 minutes")
      yield* handleDlqBatch(poisonBatch(1))
      assert.deepStrictEqual(
        world.alerts.published.map((alert) => [alert.count, alert.quieted]),
        [
          [2, undefined],
          [1, { alerts: 1, records: 5 }]
        ]
      )
    }).pipe(Effect.provide(Layer.merge(world.layer, losingAdmitAnswers(world.layer, losing))))
  })

  it.effect("a redelivery within the window is counted as a held alert of no new record", () => {
    const world = memoryWorld()
    const batch = poisonBatch(4)
    return Effect.gen(function* () {
      yield* handleDlqBatch(batch)
      yield* TestClock.adjust("5 minutes")
      yield* handleDlqBatch(batch)
      yield* TestClock.adjust("10 minutes")
      yield* handleDlqBatch(poisonBatch(2))
      const next = world.alerts.published[1]!
      assert.deepStrictEqual(next.quieted, { alerts: 1, records: 0 })
      assert.strictEqual(alertSubject(next), "CDC DLQ poison/not-an-integer on users: 2 records (1 held since the last alert)")
    }).pipe(Effect.provide(world.layer))
  })

  it.effect("switched off, every batch alerts and no alert promises a quiet time", () => {
    const world = memoryWorld()
    return Effect.gen(function* () {
      yield* handleDlqBatch(poisonBatch(2))
      yield* handleDlqBatch(poisonBatch(2))
      assert.deepStrictEqual(
        world.alerts.published.map((alert) => [alert.quieted, alert.quietUntil]),
        [
          [undefined, undefined],
          [undefined, undefined]
        ]
      )
      assert.notInclude(alertBody(world.alerts.published[0]!), "quietUntil")
    }).pipe(Effect.provide(Layer.merge(world.layer, AlertWindow.layerOff)))
  })

  it.effect("a confirm that fails once is retried, and the window then holds past its claim", () => {
    const world = memoryWorld({ ...noRetries, "dynamodb-write": { maxRetries: 2, baseDelayMillis: 100, maxDelayMillis: 100, jitter: 0 } })
    let failures = 1
    const flaky = Layer.effect(
      AlertWindow,
      Effect.map(Effect.service(AlertWindow), (window) =>
        AlertWindow.of({
          ...window,
          confirm: (problem, admission) =>
            Effect.suspend(() =>
              failures-- > 0
                ? Effect.fail(new AwsLikeFault({ code: "ProvisionedThroughputExceededException" }))
                : window.confirm(problem, admission)
            )
        })
      )
    ).pipe(Layer.provide(world.layer))
    return Effect.gen(function* () {
      const fiber = yield* Effect.forkChild(handleDlqBatch(poisonBatch(1)))
      yield* TestClock.adjust("1 second")
      yield* Fiber.join(fiber)
      yield* TestClock.adjust("2 minutes")
      yield* handleDlqBatch(poisonBatch(1))
      assert.strictEqual(world.alerts.published.length, 1)
      assert.isFalse(world.logs.some((line) => line.includes("alert window not confirmed")))
    }).pipe(Effect.provide(Layer.merge(world.layer, flaky)))
  })
})
