import { createHash, createHmac } from "node:crypto"
import { developmentHashKey, developmentRedactionKeys, developmentTokenizeKey, makeRedactionKeys } from "@cdc/domain/RedactionKeys"
import { sampleChanges } from "@cdc/testkit/Changes"
import { toDmsRecord } from "@cdc/testkit/InputShapes"
import { sensitiveValues } from "@cdc/testkit/SensitiveValues"
import { assert, describe, it } from "@effect/vitest"
import * as Clock from "effect/Clock"
import type * as Duration from "effect/Duration"
import * as Effect from "effect/Effect"
import * as Fiber from "effect/Fiber"
import * as Schema from "effect/Schema"
import { TestClock } from "effect/testing"
import { deadLetter, schemaDriftNotice } from "../../src/DeadLetters"
import { type Alert, Alerts, alertBody, alertSubject, maxLocationsPerAlert } from "../../src/dlq/Alerts"
import { archiveMetadata } from "../../src/dlq/Archive"
import { ArchivedFailure } from "../../src/dlq/ArchivedFailure"
import { keyedFingerprint } from "../../src/dlq/DlqRecordPath"
import { handleDlqBatch } from "../../src/dlq/DlqWorker"
import { appendRecord, expireThrough } from "../../src/dlq/MemoryStream"
import { RecordFetcher } from "../../src/dlq/RecordFetcher"
import { OversizedEntryError } from "../../src/PipelineErrors"
import { AwsLikeFault } from "./faults"
import {
  alertFixture,
  decodeDeadLetter,
  delivery,
  memoryWorld,
  noRetries,
  onFailureRecord,
  poisonDeadLetter,
  seedStream,
  streamArn
} from "./fixtures"

const decode = Schema.decodeUnknownSync(Schema.fromJsonString(ArchivedFailure))

/** A schema-drift notice: `users` gained an undeclared column. */
const nicknameDrift = schemaDriftNotice({
  table: "users",
  columns: ["nickname"],
  reason: "undeclared-columns",
  coordinates: { streamArn },
  at: "2026-01-15T00:00:00.000Z"
})

/** A world whose archive writes and alerts are retried `maxRetries` times, 100 ms apart and more. */
const retryingSends = (maxRetries: number) =>
  memoryWorld({ ...noRetries, "dlq-send": { maxRetries, baseDelayMillis: 100, maxDelayMillis: 1_000, jitter: 0 } })

/** A fault for the first `times` calls, then none. */
const failingFirst = (times: number, code: string) => {
  let left = times
  return () => (left-- > 0 ? new AwsLikeFault({ code }) : undefined)
}

/** A world whose stream holds a discarded batch of three records, and that batch's on-failure record. */
const discardedBatchWorld = () => {
  const world = memoryWorld()
  const { records } = seedStream(world.stream)
  return { world, discarded: onFailureRecord(records[0]?.sequenceNumber as string, records[2]?.sequenceNumber as string, 3) }
}

/** The worker's answer to one poison dead letter, given `duration` on the TestClock for its retries. */
const handledWhileTimePasses = (duration: Duration.Input) =>
  Effect.gen(function* () {
    const fiber = yield* Effect.forkChild(handleDlqBatch([delivery(poisonDeadLetter("1"), "a")]))
    yield* TestClock.adjust(duration)
    return yield* Fiber.join(fiber)
  })

describe("DLQ worker", () => {
  it.effect("archives a processor dead letter under its table and arrival date, with category and code metadata", () => {
    const world = memoryWorld()
    const message = poisonDeadLetter("4960")
    return Effect.gen(function* () {
      const response = yield* handleDlqBatch([delivery(message, "m-1")])
      assert.deepStrictEqual(response.batchItemFailures, [])
      const key = `failed-events/users/2026/01/14/${message.id}.json`
      assert.deepStrictEqual([...world.archive.objects.keys()], [key])
      const object = world.archive.objects.get(key)
      assert.deepStrictEqual(object?.metadata, {
        "cdc-kind": "cdc.dead-letter",
        "cdc-table": "users",
        "cdc-category": "poison",
        "cdc-code": "not-an-integer"
      })
      const failure = decode(object?.body)
      assert.strictEqual(failure.coordinates.sequenceNumber, "4960")
      assert.strictEqual(failure.delivery.messageId, "m-1")
      assert.strictEqual(failure.archivedAt, "1970-01-01T00:00:00.000Z", "archivedAt comes from the Clock")
    }).pipe(Effect.provide(world.layer))
  })

  it.effect("the same message delivered twice, in one batch and again later, yields one object and one counted record", () => {
    const world = memoryWorld()
    const message = poisonDeadLetter("4960")
    return Effect.gen(function* () {
      yield* handleDlqBatch([delivery(message), delivery(message)])
      yield* TestClock.adjust("1 day")
      yield* handleDlqBatch([delivery(message)])
      assert.strictEqual(world.archive.objects.size, 1)
      assert.strictEqual(world.archive.puts, 3)
      assert.deepStrictEqual(
        world.alerts.published.map((alert) => [alert.count, alert.newlyArchived]),
        [
          [1, 1],
          [1, 0]
        ]
      )
    }).pipe(Effect.provide(world.layer))
  })

  it.effect("sends one alert per distinct problem of a batch, with counts and locations", () => {
    const world = memoryWorld()
    const users = ["1", "2", "3"].map((n) => delivery(poisonDeadLetter(n, "users")))
    const orders = ["4", "5"].map((n) => delivery(poisonDeadLetter(n, "orders")))
    const drift = delivery(nicknameDrift)
    return Effect.gen(function* () {
      yield* handleDlqBatch([...users, ...orders, drift])
      const alerts = world.alerts.published.map((alert) => [alert.table, alert.category, alert.code, alert.count, alert.locations.length])
      assert.deepStrictEqual(alerts.sort(), [
        ["orders", "poison", "not-an-integer", 2, 2],
        ["users", "poison", "not-an-integer", 3, 3],
        ["users", "schema-drift", "undeclared-columns", 1, 1]
      ])
    }).pipe(Effect.provide(world.layer))
  })

  it.effect("fetches the records of a discarded Kinesis batch and archives each in the processor's form", () => {
    const world = memoryWorld()
    const { records, rows } = seedStream(world.stream)
    const first = records[0]?.sequenceNumber as string
    const last = records[2]?.sequenceNumber as string
    return Effect.gen(function* () {
      const response = yield* handleDlqBatch([delivery(onFailureRecord(first, last, 3), "m-batch")])
      assert.deepStrictEqual(response.batchItemFailures, [])
      const failures = [...world.archive.objects.values()].map((object) => decode(object.body))
      const byCode = Object.fromEntries(failures.map((failure) => [failure.code, failure]))
      assert.deepStrictEqual(Object.keys(byCode).sort(), ["invalid-json", "not-an-integer", "retry-attempts-exhausted"])
      const valid = byCode["retry-attempts-exhausted"] as ArchivedFailure
      assert.strictEqual(valid.kind, "kinesis.on-failure")
      assert.strictEqual(valid.table, "users")
      assert.strictEqual(valid.event?.DetailType, "user.created")
      assert.strictEqual(valid.batch?.condition, "RetryAttemptsExhausted")
      assert.strictEqual(byCode["not-an-integer"]?.columns?.[0], "id")
      assert.strictEqual(byCode["invalid-json"]?.table, "_unknown")
      assert.deepStrictEqual(
        failures.map((failure) => failure.id).sort(),
        records.map((record) => `kinesis-shardId-000000000000-${record.sequenceNumber}`).sort()
      )
      const everything = [...world.archive.objects.values()].map((object) => object.body).join("\n") + world.logs.join("\n")
      for (const row of rows) for (const value of sensitiveValues("users", row ?? {})) assert.notInclude(everything, value)
    }).pipe(Effect.provide(world.layer))
  })

  it.effect("lists the undeclared columns of a discarded batch's valid record in its object, never their values", () => {
    const world = memoryWorld()
    const [good] = sampleChanges(120, 5).filter((change) => change.table === "users" && change.operation === "INSERT")
    if (!good) throw new Error("sampleChanges gave no users insert")
    const withNickname = { ...good, after: { ...good.after, nickname: "Nick-Secret-4242" } }
    const record = appendRecord(world.stream, {
      partitionKey: "users#1",
      data: new TextEncoder().encode(JSON.stringify(toDmsRecord(withNickname))),
      arrivalTime: Date.UTC(2026, 0, 15)
    })
    return Effect.gen(function* () {
      yield* handleDlqBatch([delivery(onFailureRecord(record.sequenceNumber, record.sequenceNumber, 1))])
      const [failure] = [...world.archive.objects.values()].map((object) => decode(object.body))
      assert.deepStrictEqual([failure?.code, failure?.columns], ["retry-attempts-exhausted", ["nickname"]])
      assert.notInclude([...world.archive.objects.values()].map((object) => object.body).join("\n"), "Nick-Secret-4242")
    }).pipe(Effect.provide(world.layer))
  })

  it.effect("reads the stream for one discarded batch at a time, however many arrive in one SQS batch", () => {
    // the shard's reads are shared with the processor: two invocations must mean two readers
    const { world, discarded } = discardedBatchWorld()
    return Effect.gen(function* () {
      const inner = yield* RecordFetcher
      let reading = 0
      let most = 0
      const counting = RecordFetcher.of({
        fetchOne: inner.fetchOne,
        fetchRange: (range) =>
          Effect.suspend(() => {
            most = Math.max(most, ++reading)
            // give the other messages' fibers every chance to start their reads meanwhile
            return Effect.andThen(Effect.repeat(Effect.yieldNow, { times: 20 }), inner.fetchRange(range))
          }).pipe(Effect.ensuring(Effect.sync(() => reading--)))
      })
      const deliveries = Array.from({ length: 6 }, (_, i) => delivery(discarded, `m-${i}`))
      const response = yield* handleDlqBatch(deliveries).pipe(Effect.provideService(RecordFetcher, counting))
      assert.deepStrictEqual(response.batchItemFailures, [])
      assert.strictEqual(most, 1)
    }).pipe(Effect.provide(world.layer))
  })

  it.effect("returns by its end when a stream read hangs: that message is redelivered, the others archived and alerted", () => {
    const { world, discarded } = discardedBatchWorld()
    return Effect.gen(function* () {
      const inner = yield* RecordFetcher
      const hanging = RecordFetcher.of({ fetchOne: inner.fetchOne, fetchRange: () => Effect.never })
      const started = yield* Clock.currentTimeMillis
      const endsAt = started + 60_000
      const fiber = yield* Effect.forkChild(
        handleDlqBatch([delivery(discarded, "m-stream"), delivery(poisonDeadLetter("9"), "m-poison")], {
          endsAt
        }).pipe(Effect.provideService(RecordFetcher, hanging))
      )
      yield* TestClock.adjust("2 minutes")
      const response = yield* Fiber.join(fiber)
      assert.deepStrictEqual(response.batchItemFailures, [{ itemIdentifier: "m-stream" }])
      assert.strictEqual(world.archive.objects.size, 1, "the poison dead letter was archived")
      assert.strictEqual(world.alerts.published.length, 1)
      assert.include(world.logs.join("\n"), "out-of-time")
    }).pipe(Effect.provide(world.layer))
  })

  it.effect("an alert that hangs is given up 5 s before the end: the message is redelivered, and alerted then, archived once", () => {
    const world = memoryWorld()
    return Effect.gen(function* () {
      const inner = yield* Alerts
      const hanging = Alerts.of({ ...inner, publish: () => Effect.never })
      const message = delivery(poisonDeadLetter("9"), "m-1")
      const started = yield* Clock.currentTimeMillis
      const fiber = yield* Effect.forkChild(
        handleDlqBatch([message], { endsAt: started + 60_000 }).pipe(Effect.provideService(Alerts, hanging))
      )
      yield* TestClock.adjust("2 minutes")
      assert.deepStrictEqual((yield* Fiber.join(fiber)).batchItemFailures, [{ itemIdentifier: "m-1" }])
      assert.strictEqual(world.archive.objects.size, 1)
      assert.strictEqual(world.alerts.published.length, 0)
      // SQS's redelivery: the object is there already (written once), the alert goes out now
      const again = yield* handleDlqBatch([message], { endsAt: (yield* Clock.currentTimeMillis) + 60_000 })
      assert.deepStrictEqual(again.batchItemFailures, [])
      assert.strictEqual(world.archive.objects.size, 1)
      assert.strictEqual(world.alerts.published.length, 1)
    }).pipe(Effect.provide(world.layer))
  })

  it.effect("records a discarded batch whose records have all expired, instead of retrying it", () => {
    const world = memoryWorld()
    const { records } = seedStream(world.stream)
    const last = records[2]?.sequenceNumber as string
    expireThrough(world.stream, last)
    return Effect.gen(function* () {
      const response = yield* handleDlqBatch([delivery(onFailureRecord(records[0]?.sequenceNumber as string, last, 3))])
      assert.deepStrictEqual(response.batchItemFailures, [])
      const [failure] = [...world.archive.objects.values()].map((object) => decode(object.body))
      assert.strictEqual(failure?.code, "records-expired")
      assert.strictEqual(failure?.id, `kinesis-shardId-000000000000-${records[0]?.sequenceNumber}-expired`)
      assert.include(failure?.message ?? "", "None of the 3 records")
    }).pipe(Effect.provide(world.layer))
  })

  it.effect("records the records of a discarded batch already past retention, once, beside those still there, and alerts", () => {
    const world = memoryWorld()
    const { records, rows } = seedStream(world.stream)
    const first = records[0]?.sequenceNumber as string
    const last = records[2]?.sequenceNumber as string
    expireThrough(world.stream, first)
    const message = onFailureRecord(first, last, 3)
    const lossKey = `failed-events/_unknown/2026/01/15/kinesis-shardId-000000000000-${first}-partly-expired.json`
    return Effect.gen(function* () {
      assert.deepStrictEqual((yield* handleDlqBatch([delivery(message, "m-partial")])).batchItemFailures, [])
      const failures = [...world.archive.objects.values()].map((object) => decode(object.body))
      assert.deepStrictEqual(failures.map((failure) => failure.id).sort(), [
        `kinesis-shardId-000000000000-${first}-partly-expired`,
        `kinesis-shardId-000000000000-${records[1]?.sequenceNumber}`,
        `kinesis-shardId-000000000000-${last}`
      ])
      const loss = decode(world.archive.objects.get(lossKey)?.body)
      assert.strictEqual(loss.code, "records-expired")
      assert.include(loss.message, "1 of the 3 records")
      assert.include(loss.message, `${first}..${last}`)
      assert.deepStrictEqual([loss.batch?.startSequenceNumber, loss.batch?.endSequenceNumber, loss.batch?.batchSize], [first, last, 3])

      // redelivered the next day, with one more record gone: the same key, nothing new
      expireThrough(world.stream, records[1]?.sequenceNumber as string)
      yield* TestClock.adjust("1 day")
      yield* handleDlqBatch([delivery(message, "m-partial")])
      assert.strictEqual(world.archive.objects.size, 3)
      assert.deepStrictEqual(
        world.alerts.published.filter((alert) => alert.code === "records-expired").map((alert) => [alert.count, alert.newlyArchived]),
        [
          [1, 1],
          [1, 0]
        ]
      )
      const everything =
        JSON.stringify([...world.archive.objects.values()]) + JSON.stringify(world.alerts.published) + world.logs.join("\n")
      for (const row of rows) for (const value of sensitiveValues("users", row ?? {})) assert.notInclude(everything, value)
    }).pipe(Effect.provide(world.layer))
  })

  it.effect("alerts records lost to retention although their category does not alert", () => {
    const world = memoryWorld()
    const { records } = seedStream(world.stream)
    const last = records[2]?.sequenceNumber as string
    expireThrough(world.stream, last)
    return Effect.gen(function* () {
      yield* handleDlqBatch([delivery(onFailureRecord(records[0]?.sequenceNumber as string, last, 3))])
      const [alert] = world.alerts.published
      assert.deepStrictEqual([alert?.table, alert?.category, alert?.code, alert?.count], ["_unknown", "permanent", "records-expired", 1])
      assert.strictEqual(JSON.parse(alertBody(alert as Alert)).severity, "high")
    }).pipe(Effect.provide(world.layer))
  })

  it.effect("records the loss of a batch that expired between two deliveries under its own key, not its first record's", () => {
    const world = memoryWorld()
    const arrivalTime = Date.UTC(2026, 0, 15, 0, 38, 4)
    // the first record is undecodable: archived under `_unknown`, on the day the batch's loss would be
    const undecodable = appendRecord(world.stream, { partitionKey: "p#1", data: new TextEncoder().encode("{not json"), arrivalTime })
    const other = appendRecord(world.stream, { partitionKey: "p#2", data: new TextEncoder().encode("{not json either"), arrivalTime })
    const message = onFailureRecord(undecodable.sequenceNumber, other.sequenceNumber, 2)
    world.archive.failPut = (failure) =>
      failure.coordinates.sequenceNumber === other.sequenceNumber ? new AwsLikeFault({ code: "SlowDown" }) : undefined
    return Effect.gen(function* () {
      assert.deepStrictEqual((yield* handleDlqBatch([delivery(message, "m")])).batchItemFailures, [{ itemIdentifier: "m" }])
      world.archive.failPut = undefined
      expireThrough(world.stream, other.sequenceNumber)
      assert.deepStrictEqual((yield* handleDlqBatch([delivery(message, "m")])).batchItemFailures, [])
      const failures = [...world.archive.objects.values()].map((object) => decode(object.body))
      assert.deepStrictEqual(failures.map((failure) => [failure.id, failure.code]).sort(), [
        [`kinesis-shardId-000000000000-${undecodable.sequenceNumber}`, "invalid-json"],
        [`kinesis-shardId-000000000000-${undecodable.sequenceNumber}-expired`, "records-expired"]
      ])
    }).pipe(Effect.provide(world.layer))
  })

  it.effect("archives a failure whose table name cannot travel in an HTTP header, with header-safe metadata", () => {
    const world = memoryWorld()
    const chinese = poisonDeadLetter("1", "用户")
    const newline = { ...poisonDeadLetter("2", "users\r\nx-amz-meta-evil: 1"), reason: "bad\nreason" }
    return Effect.gen(function* () {
      assert.deepStrictEqual((yield* handleDlqBatch([delivery(chinese), delivery(newline)])).batchItemFailures, [])
      const objects = [...world.archive.objects.entries()]
      assert.deepStrictEqual(objects.map(([key]) => key).sort(), [
        `failed-events/users~0D~0Ax-amz-meta-evil~3A~201/2026/01/14/${newline.id}.json`,
        `failed-events/~E7~94~A8~E6~88~B7/2026/01/14/${chinese.id}.json`
      ])
      for (const [key, object] of objects) {
        for (const value of Object.values(object.metadata)) assert.match(value, /^[\x20-\x7e]*$/)
        assert.strictEqual(object.metadata["cdc-table"], key.split("/")[1], "the metadata's table is the key's")
      }
      assert.strictEqual(
        decode(world.archive.objects.get(`failed-events/~E7~94~A8~E6~88~B7/2026/01/14/${chinese.id}.json`)?.body).table,
        "用户"
      )
    }).pipe(Effect.provide(world.layer))
  })

  it("keeps every metadata value in printable ASCII, whatever the table and code", () => {
    const failure: ArchivedFailure = {
      version: 1,
      id: "dl-1",
      kind: "cdc.dead-letter",
      table: "用户\u0000\r\n\u00e9",
      category: "poison",
      code: "bad\ncode\u2028",
      errorTag: "InvalidValueError",
      message: "m",
      retryable: false,
      coordinates: {},
      delivery: { messageId: "m-1" },
      recordTime: 0,
      archivedAt: "2026-01-15T00:00:00.000Z"
    }
    const metadata = archiveMetadata({ ...failure, table: failure.table.repeat(100) })
    for (const value of Object.values(metadata)) {
      assert.match(value, /^[\x20-\x7e]*$/)
      assert.isAtMost(value.length, 128)
    }
  })

  it.effect("archives and alerts a malformed message without its body, and acknowledges it", () => {
    const world = memoryWorld()
    const secret = "ssn=123-45-6789 card=4111111111111111"
    return Effect.gen(function* () {
      const response = yield* handleDlqBatch([delivery(secret, "m-bad"), delivery({ hello: secret }, "m-shape")])
      assert.deepStrictEqual(response.batchItemFailures, [])
      const failures = [...world.archive.objects.entries()].map(([key, object]) => [key, decode(object.body)] as const)
      assert.deepStrictEqual(failures.map(([key, failure]) => [key, failure.kind, failure.code]).sort(), [
        ["failed-events/_unknown/2026/01/15/sqs-m-bad.json", "malformed", "malformed-message"],
        ["failed-events/_unknown/2026/01/15/sqs-m-shape.json", "malformed", "malformed-message"]
      ])
      assert.match(failures[0]?.[1].bodyFingerprint ?? "", /^[0-9a-f]{32}$/)
      assert.deepStrictEqual(
        world.alerts.published.map((alert) => [alert.code, alert.count]),
        [["malformed-message", 2]]
      )
      const everything =
        JSON.stringify([...world.archive.objects.values()]) + JSON.stringify(world.alerts.published) + world.logs.join("\n")
      assert.notInclude(everything, "123-45-6789")
      assert.notInclude(everything, "4111111111111111")
    }).pipe(Effect.provide(world.layer))
  })

  it.effect("reports only the messages whose archive write failed; the others are acknowledged", () => {
    const world = memoryWorld()
    world.archive.failPut = (failure) => (failure.coordinates.sequenceNumber === "2" ? new AwsLikeFault({ code: "SlowDown" }) : undefined)
    return Effect.gen(function* () {
      const response = yield* handleDlqBatch([
        delivery(poisonDeadLetter("1"), "ok-1"),
        delivery(poisonDeadLetter("2"), "fails"),
        delivery(decodeDeadLetter("3"), "ok-2")
      ])
      assert.deepStrictEqual(response.batchItemFailures, [{ itemIdentifier: "fails" }])
      assert.strictEqual(world.archive.objects.size, 2)
    }).pipe(Effect.provide(world.layer))
  })

  it.effect("alerts what a discarded batch archived even when one of its objects was not, and reports the message", () => {
    // by the redelivery its records may have left the stream: the poison record archived now
    // would then be archived but never alerted
    const world = memoryWorld()
    const { records } = seedStream(world.stream)
    const last = records[2]!.sequenceNumber
    world.archive.failPut = (failure) => (failure.coordinates.sequenceNumber === last ? new AwsLikeFault({ code: "SlowDown" }) : undefined)
    return Effect.gen(function* () {
      const response = yield* handleDlqBatch([delivery(onFailureRecord(records[0]!.sequenceNumber, last, 3), "batch")])
      assert.deepStrictEqual(response.batchItemFailures, [{ itemIdentifier: "batch" }])
      assert.strictEqual(world.archive.objects.size, 2)
      assert.include(
        world.alerts.published.map((alert) => alert.code),
        "not-an-integer",
        "the poison record archived in this run is alerted in this run"
      )
    }).pipe(Effect.provide(world.layer))
  })

  it.effect("reports the messages of a problem whose alert could not be published", () => {
    const world = memoryWorld()
    world.alerts.failPublish = (alert) => (alert.code === "invalid-json" ? new AwsLikeFault({ code: "InternalError" }) : undefined)
    return Effect.gen(function* () {
      const response = yield* handleDlqBatch([delivery(poisonDeadLetter("1"), "a"), delivery(decodeDeadLetter("2"), "b")])
      assert.deepStrictEqual(response.batchItemFailures, [{ itemIdentifier: "b" }])
      assert.strictEqual(world.archive.objects.size, 2, "both are archived; the redelivery finds b already there")
    }).pipe(Effect.provide(world.layer))
  })

  it.effect("reports a discarded batch whose records cannot be read, so SQS redelivers it", () => {
    const world = memoryWorld()
    world.stream.failFetch = () => new AwsLikeFault({ code: "ProvisionedThroughputExceededException" })
    return Effect.gen(function* () {
      const response = yield* handleDlqBatch([delivery(onFailureRecord("1", "2", 2), "batch")])
      assert.deepStrictEqual(response.batchItemFailures, [{ itemIdentifier: "batch" }])
      assert.strictEqual(world.archive.objects.size, 0)
    }).pipe(Effect.provide(world.layer))
  })

  it.effect("retries a throttled archive write on the Clock and then succeeds", () => {
    const world = retryingSends(3)
    world.archive.failPut = failingFirst(2, "SlowDown")
    return Effect.gen(function* () {
      const response = yield* handledWhileTimePasses("300 millis")
      assert.deepStrictEqual(response.batchItemFailures, [])
      assert.strictEqual(world.archive.puts, 3)
    }).pipe(Effect.provide(world.layer))
  })

  it.effect("retries a throttled alert publish on the Clock, so its messages are acknowledged and alerted once", () => {
    const world = retryingSends(2)
    world.alerts.failPublish = failingFirst(1, "Throttling")
    return Effect.gen(function* () {
      const response = yield* handledWhileTimePasses("100 millis")
      assert.deepStrictEqual(response.batchItemFailures, [])
      assert.deepStrictEqual(
        world.alerts.published.map((alert) => [alert.table, alert.code, alert.count]),
        [["users", "not-an-integer", 1]]
      )
    }).pipe(Effect.provide(world.layer))
  })

  it.effect(
    "alerts only what an operator must act on: not a valid record that ran out of retries, a throttled or an oversized entry",
    () => {
      const world = memoryWorld()
      const { records } = seedStream(world.stream)
      const coordinates = (sequenceNumber: string) => ({ streamArn, shardId: "shardId-000000000000", sequenceNumber, table: "orders" })
      const throttled = deadLetter({
        error: new AwsLikeFault({ code: "ThrottlingException" }),
        coordinates: coordinates("7"),
        at: "2026-01-15T00:00:01.000Z"
      })
      const oversized = deadLetter({
        error: new OversizedEntryError({ bytes: 300_000, limit: 262_144 }),
        coordinates: coordinates("8"),
        at: "2026-01-15T00:00:01.000Z"
      })
      const batch = onFailureRecord(records[0]?.sequenceNumber as string, records[2]?.sequenceNumber as string, 3)
      return Effect.gen(function* () {
        yield* handleDlqBatch([delivery(batch), delivery(throttled), delivery(oversized)])
        const codes = [...world.archive.objects.values()].map((object) => decode(object.body).code).sort()
        assert.deepStrictEqual(codes, ["ThrottlingException", "invalid-json", "not-an-integer", "oversized", "retry-attempts-exhausted"])
        assert.deepStrictEqual(world.alerts.published.map((alert) => [alert.table, alert.category, alert.code]).sort(), [
          ["_unknown", "poison", "invalid-json"],
          ["users", "poison", "not-an-integer"]
        ])
      }).pipe(Effect.provide(world.layer))
    }
  )

  it.effect("sends one alert per reason code, even for problems of the same table and category", () => {
    const world = memoryWorld()
    return Effect.gen(function* () {
      // both are `_unknown` and `poison`: an undecodable record, and a message of no known shape
      yield* handleDlqBatch([delivery(decodeDeadLetter("1")), delivery(decodeDeadLetter("2")), delivery("junk")])
      assert.deepStrictEqual(world.alerts.published.map((alert) => [alert.table, alert.category, alert.code, alert.count]).sort(), [
        ["_unknown", "poison", "invalid-json", 2],
        ["_unknown", "poison", "malformed-message", 1]
      ])
    }).pipe(Effect.provide(world.layer))
  })

  it.effect("counts a record as newly archived when its first copy in the batch was throttled and its second one wrote it", () => {
    const world = memoryWorld({ ...noRetries, "dlq-send": { maxRetries: 1, baseDelayMillis: 100, maxDelayMillis: 1_000, jitter: 0 } })
    const message = poisonDeadLetter("4960")
    let throttled = 1
    world.archive.failPut = () => (throttled-- > 0 ? new AwsLikeFault({ code: "SlowDown" }) : undefined)
    return Effect.gen(function* () {
      const fiber = yield* Effect.forkChild(handleDlqBatch([delivery(message, "first"), delivery(message, "second")]))
      yield* TestClock.adjust("100 millis")
      assert.deepStrictEqual((yield* Fiber.join(fiber)).batchItemFailures, [])
      assert.strictEqual(world.archive.puts, 3, "the first copy's put was retried after the second wrote the object")
      assert.deepStrictEqual(
        world.alerts.published.map((alert) => [alert.count, alert.newlyArchived]),
        [[1, 1]]
      )
    }).pipe(Effect.provide(world.layer))
  })

  it.effect("rates a poison alert high and a schema-drift alert medium", () => {
    const world = memoryWorld()
    return Effect.gen(function* () {
      yield* handleDlqBatch([delivery(poisonDeadLetter("1")), delivery(nicknameDrift)])
      const severities = world.alerts.published.map((alert) => [alert.category, JSON.parse(alertBody(alert)).severity])
      assert.deepStrictEqual(severities.sort(), [
        ["poison", "high"],
        ["schema-drift", "medium"]
      ])
    }).pipe(Effect.provide(world.layer))
  })

  it.effect("lists at most 20 archive locations in an alert and counts the others", () => {
    const world = memoryWorld()
    const messages = Array.from({ length: maxLocationsPerAlert + 1 }, (_, n) => poisonDeadLetter(String(n + 1)))
    return Effect.gen(function* () {
      yield* handleDlqBatch(messages.map((message) => delivery(message)))
      const [alert] = world.alerts.published
      assert.deepStrictEqual([alert?.count, alert?.locations.length, alert?.moreLocations], [21, 20, 1])
      assert.strictEqual(new Set(alert?.locations).size, 20)
      assert.deepStrictEqual(JSON.parse(alertBody(alert as Alert)).archive.moreLocations, 1)
    }).pipe(Effect.provide(world.layer))
  })

  it("keeps an alert's body far below SNS's 256 KiB whatever table name a record carried, with a hint that pastes into a shell", () => {
    const alert = (table: string, message = "m") => alertFixture({ table, message })
    const huge = "t".repeat(100_000)
    const body = JSON.parse(alertBody(alert(huge, `Record s/1: table ${huge} has no definition`)))
    assert.isBelow(Buffer.byteLength(JSON.stringify(body)), 8_192)
    assert.match(body.problem.table, /^t{256}… \(99744 more characters\)$/)
    // a clipped name would name another table: the hint lists the category only
    assert.strictEqual(body.hint, "npx cdc dlq list --category configuration")
    const hint = (table: string) => JSON.parse(alertBody(alert(table))).hint
    assert.strictEqual(hint("users"), "npx cdc dlq list --table users --category configuration")
    assert.strictEqual(hint("my table $(rm -rf ~)"), "npx cdc dlq list --table 'my table $(rm -rf ~)' --category configuration")
    assert.strictEqual(hint("o'brien"), "npx cdc dlq list --table 'o'\\''brien' --category configuration")
  })

  it.effect("names every undeclared column of a drift alert, not only the first notice's", () => {
    const world = memoryWorld()
    const notice = (column: string, sequenceNumber: string) =>
      schemaDriftNotice({
        table: "users",
        columns: [column],
        reason: "undeclared-columns",
        coordinates: { streamArn, shardId: "shardId-000000000000", sequenceNumber },
        at: "2026-01-15T00:00:01.000Z"
      })
    return Effect.gen(function* () {
      yield* handleDlqBatch([delivery(notice("nickname", "1"), "a"), delivery(notice("shoe_size", "2"), "b")])
      const [alert] = world.alerts.published
      assert.deepStrictEqual([alert?.count, alert?.columns], [2, ["nickname", "shoe_size"]])
      assert.deepStrictEqual(JSON.parse(alertBody(alert as Alert)).problem.columns, ["nickname", "shoe_size"])
    }).pipe(Effect.provide(world.layer))
  })

  it("keeps an alert's subject within what SNS accepts (printable ASCII, at most 100 characters)", () => {
    const alert = alertFixture({ table: "用户\r\n".repeat(40), category: "poison", code: "not-an-integer", count: 3, newlyArchived: 3 })
    const subject = alertSubject(alert)
    assert.match(subject, /^CDC DLQ poison\/not-an-integer on /)
    assert.match(subject, /^[\x20-\x7e]*$/)
    assert.isAtMost(subject.length, 100)
  })

  it.effect("archives an on-failure record whose sequence numbers are not integers as malformed, and acknowledges it", () => {
    const world = memoryWorld()
    const range = (startSequenceNumber: string, endSequenceNumber: string) => {
      const record = onFailureRecord("1", "2", 2)
      return { ...record, KinesisBatchInfo: { ...record.KinesisBatchInfo, startSequenceNumber, endSequenceNumber } }
    }
    return Effect.gen(function* () {
      const response = yield* handleDlqBatch([delivery(range("first", "2"), "m-start"), delivery(range("1", "0x2"), "m-end")])
      assert.deepStrictEqual(response.batchItemFailures, [])
      assert.deepStrictEqual(
        [...world.archive.objects.values()].map((object) => [decode(object.body).id, decode(object.body).code]).sort(),
        [
          ["sqs-m-end", "malformed-message"],
          ["sqs-m-start", "malformed-message"]
        ]
      )
    }).pipe(Effect.provide(world.layer))
  })

  it("fingerprints a malformed body with the hash key (HMAC-SHA256), so a short body cannot be found by hashing guesses", () => {
    const body = "555-0100"
    const fingerprint = keyedFingerprint(developmentRedactionKeys)(body)
    assert.strictEqual(fingerprint, keyedFingerprint(developmentRedactionKeys)(body), "two copies of one body match")
    assert.strictEqual(fingerprint, createHmac("sha256", developmentHashKey).update(body).digest("hex").slice(0, 32))
    assert.notStrictEqual(fingerprint, keyedFingerprint(makeRedactionKeys("another-hash-key", developmentTokenizeKey))(body))
    assert.notStrictEqual(fingerprint, createHash("sha256").update(body).digest("hex").slice(0, 32))
  })
})
