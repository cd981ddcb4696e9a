/**
 * A scripted world for the local Kinesis event source mapping (src/local/KinesisEventSource.ts):
 * a fake Kinesis whose shards and `GetRecords` quirks are given in advance, a handler that
 * follows a script per shard, and one log of everything the mapping did that can be seen from
 * outside: the batches the handler received and what it answered, each `acknowledge` on the
 * PositionStore, each on-failure record, each restart. ./EsmJudge.ts reads that log.
 *
 * The fake Kinesis behaves as the real one where it matters: sequence numbers are decimal
 * integers of varying length and a shard iterator's starting sequence number is compared as one
 * (`AT_SEQUENCE_NUMBER 10` does not start at `9`); `GetRecords` may answer with no records while
 * records wait, or with fewer than asked; an iterator that expired stays expired; throttling is a
 * `ProvisionedThroughputExceededException`, and a 5xx an `InternalFailure`.
 *
 * Time is the TestClock's: the driver of the property test adjusts it and tells the world the
 * time (`tick`), which wakes the slow handlers whose time has come.
 *
 * @example
 * ```ts
 * const world = makeEsmWorld([{ shardId: "shardId-0", sequenceNumbers: ["9", "10"], arrivals: [0, 5], quirks: ["empty"], behaviours: [] }])
 * runKinesisEventSource({ kinesis: world.kinesis, handler: world.handler, positions: world.track(store), ... })
 * world.log // [{ _tag: "Invoked", shardId: "shardId-0", sequenceNumbers: ["9", "10"], ... }, ...]
 * ```
 */
import type { KinesisClient, _Record as KinesisRecord } from "@aws-sdk/client-kinesis"
import { GetRecordsCommand, GetShardIteratorCommand, ListShardsCommand } from "@aws-sdk/client-kinesis"
import type { KinesisStreamBatchResponse, KinesisStreamEvent } from "aws-lambda"
import type { KinesisBatchInfo, KinesisHandler } from "../../../src/local/KinesisEventSource"
import type { PositionStore } from "../../../src/local/PositionStore"

/** What one `GetRecords` call answers: records as asked, none, fewer, or an error (a 5xx: `unavailable`). */
export type GetRecordsQuirk = "ok" | "empty" | "short" | "expired" | "throttled" | "unavailable"

/** An item identifier that names no record of the batch, as a faulty handler might report. */
export type OddIdentifier = "empty" | "badKey" | "zeroPadded" | "beforeBatch" | "afterBatch"

/** How the handler answers one invocation. */
export type Answer =
  | { readonly _tag: "Succeed"; readonly response: "undefined" | "empty" | "emptyList" | "nullList" }
  /** Fails the batch's record at `at` (modulo its size), and with `andLater` every record after it, in reverse order. */
  | { readonly _tag: "FailAt"; readonly at: number; readonly andLater: boolean }
  | { readonly _tag: "FailOdd"; readonly identifier: OddIdentifier }
  | { readonly _tag: "Throw" }

/** How the handler behaves on one invocation (`A`: the answers of the mapping under test). */
export interface Behaviour<A = Answer> {
  readonly answer: A
  /** How long the invocation takes, in test-clock seconds. */
  readonly seconds: number
}

export interface ShardScript {
  readonly shardId: string
  /** Ascending, as decimal strings. */
  readonly sequenceNumbers: ReadonlyArray<string>
  /** The test-clock second each record is put on the stream (readable from then on), ascending; records past its end come with its last. */
  readonly arrivals: ReadonlyArray<number>
  /** The answers of the shard's `GetRecords` calls, in turn; "ok" after them. */
  readonly quirks: ReadonlyArray<GetRecordsQuirk>
  /** The handler's behaviour on the shard's invocations, in turn; a quick success after them. */
  readonly behaviours: ReadonlyArray<Behaviour>
}

export type Entry =
  | {
      readonly _tag: "Invoked"
      readonly shardId: string
      readonly sequenceNumbers: ReadonlyArray<string>
      /** The shard's position in the PositionStore when the handler was called. */
      readonly stored: string | undefined
    }
  | { readonly _tag: "Returned"; readonly shardId: string; readonly response: KinesisStreamBatchResponse | undefined }
  | { readonly _tag: "Threw"; readonly shardId: string }
  | { readonly _tag: "Acknowledged"; readonly shardId: string; readonly sequenceNumber: string }
  | { readonly _tag: "SentToOnFailure"; readonly info: KinesisBatchInfo }
  /** The poller was stopped and started again; `stored` is what the reopened PositionStore holds. */
  | { readonly _tag: "Restarted"; readonly stored: Readonly<Record<string, string>> }

const quickSuccess: Behaviour = { answer: { _tag: "Succeed", response: "emptyList" }, seconds: 0 }

/** An error as the SDK throws it: `AwsError.fromUnknown` reads its name and status. */
export const awsError = (name: string, httpStatusCode = 400) => Object.assign(new Error(name), { name, $metadata: { httpStatusCode } })

/** The first index whose sequence number is at least (`after`: above) `sequenceNumber`, numerically. */
const indexFrom = (shard: ReadonlyArray<string>, sequenceNumber: string, after: boolean): number => {
  const found = shard.findIndex((s) => (after ? BigInt(s) > BigInt(sequenceNumber) : BigInt(s) >= BigInt(sequenceNumber)))
  return found === -1 ? shard.length : found
}

const failures = (identifiers: ReadonlyArray<string>): KinesisStreamBatchResponse => ({
  batchItemFailures: identifiers.map((itemIdentifier) => ({ itemIdentifier }))
})

/** The handler's answer to `batch` (sequence numbers) of `shard`. */
const respond = (answer: Answer, batch: ReadonlyArray<string>, shard: ReadonlyArray<string>): KinesisStreamBatchResponse | undefined => {
  switch (answer._tag) {
    case "Succeed":
      return { undefined, empty: {}, emptyList: { batchItemFailures: [] }, nullList: { batchItemFailures: null } }[answer.response] as
        | KinesisStreamBatchResponse
        | undefined
    case "FailAt": {
      const at = answer.at % batch.length
      return failures(answer.andLater ? batch.slice(at).reverse() : [batch[at]!])
    }
    case "FailOdd": {
      const first = shard.indexOf(batch[0]!)
      const outside = (index: number) => shard[index] ?? String(BigInt(batch.at(-1)!) + 1n)
      const identifier = {
        empty: "",
        badKey: undefined,
        zeroPadded: `0${batch[0]}`,
        beforeBatch: outside(first - 1),
        afterBatch: outside(first + batch.length)
      }[answer.identifier]
      return identifier === undefined
        ? ({ batchItemFailures: [{ itemId: batch[0] }] } as unknown as KinesisStreamBatchResponse)
        : failures([identifier])
    }
    case "Throw":
      throw new Error("the handler failed")
  }
}

export const makeEsmWorld = (scripts: ReadonlyArray<ShardScript>) => {
  const log: Array<Entry> = []
  const shards = new Map(scripts.map((script) => [script.shardId, script]))
  const getRecordsCalls = new Map<string, number>()
  const invocations = new Map<string, number>()
  const expired = new Set<string>()
  let iterators = 0
  let now = 0
  const sleepers: Array<{ readonly until: number; readonly wake: () => void }> = []
  /** Shards whose handler is running. */
  const running = new Set<string>()
  let positions: PositionStore | undefined

  const script = (shardId: string | undefined): ShardScript => {
    const found = shards.get(shardId ?? "")
    if (!found) throw awsError("ResourceNotFoundException")
    return found
  }

  /** Iterators name their shard and the index they read from; each one is new, so one can expire alone. */
  const iterator = (shardId: string, index: number) => `${shardId}/${index}/${iterators++}`

  const getRecords = (shardIterator: string, limit: number) => {
    const [shardId, start] = shardIterator.split("/")
    const { sequenceNumbers, arrivals, quirks } = script(shardId)
    const call = getRecordsCalls.get(shardId!) ?? 0
    getRecordsCalls.set(shardId!, call + 1)
    // As Kinesis: InvalidArgumentException outside [1, 10000].
    if (limit < 1 || limit > 10_000) throw awsError("InvalidArgumentException")
    const quirk = quirks[call] ?? "ok"
    if (quirk === "expired") expired.add(shardIterator)
    if (expired.has(shardIterator)) throw awsError("ExpiredIteratorException")
    if (quirk === "throttled") throw awsError("ProvisionedThroughputExceededException")
    if (quirk === "unavailable") throw awsError("InternalFailure", 500)
    const from = Number(start)
    const count = quirk === "empty" ? 0 : quirk === "short" ? Math.ceil(limit / 2) : limit
    const arrived = sequenceNumbers.filter((_, i) => (arrivals[Math.min(i, arrivals.length - 1)] ?? 0) <= now)
    const records: Array<KinesisRecord> = arrived.slice(from, from + count).map((SequenceNumber) => ({
      SequenceNumber,
      PartitionKey: "users-1",
      Data: new TextEncoder().encode(SequenceNumber)
    }))
    return { Records: records, NextShardIterator: iterator(shardId!, from + records.length), MillisBehindLatest: 0 }
  }

  const send = async (command: unknown): Promise<unknown> => {
    if (command instanceof ListShardsCommand) return { Shards: scripts.map(({ shardId }) => ({ ShardId: shardId })) }
    if (command instanceof GetShardIteratorCommand) {
      const { ShardId: shardId, ShardIteratorType: type, StartingSequenceNumber: at } = command.input
      const { sequenceNumbers } = script(shardId)
      const start =
        type === "TRIM_HORIZON"
          ? 0
          : at !== undefined && /^\d+$/.test(at)
            ? indexFrom(sequenceNumbers, at, type === "AFTER_SEQUENCE_NUMBER")
            : -1
      if (start < 0) throw awsError("InvalidArgumentException")
      return { ShardIterator: iterator(shardId!, start) }
    }
    if (command instanceof GetRecordsCommand) return getRecords(command.input.ShardIterator ?? "", command.input.Limit ?? 10_000)
    throw new Error("unexpected command")
  }

  const handler: KinesisHandler = async (event: KinesisStreamEvent) => {
    const batch = event.Records.map((record) => record.kinesis.sequenceNumber)
    const shardId = event.Records[0]?.eventID.split(":")[0] ?? ""
    log.push({ _tag: "Invoked", shardId, sequenceNumbers: batch, stored: positions?.get(shardId) })
    const { sequenceNumbers, behaviours } = script(shardId)
    const n = invocations.get(shardId) ?? 0
    invocations.set(shardId, n + 1)
    const { answer, seconds } = behaviours[n] ?? quickSuccess
    running.add(shardId)
    try {
      if (seconds > 0) await new Promise<void>((wake) => sleepers.push({ until: now + seconds, wake }))
    } finally {
      running.delete(shardId)
    }
    try {
      const response = respond(answer, batch, sequenceNumbers)
      log.push({ _tag: "Returned", shardId, response })
      return response
    } catch (error) {
      log.push({ _tag: "Threw", shardId })
      throw error
    }
  }

  return {
    kinesis: { send } as unknown as KinesisClient,
    handler,
    log: log as ReadonlyArray<Entry>,
    onFailure: (info: KinesisBatchInfo) => void log.push({ _tag: "SentToOnFailure", info }),
    /** The PositionStore as the mapping sees it: every acknowledgement is logged. */
    track: (store: PositionStore): PositionStore => {
      positions = store
      return {
        ...store,
        acknowledge: (shardId, sequenceNumber) => {
          log.push({ _tag: "Acknowledged", shardId, sequenceNumber })
          store.acknowledge(shardId, sequenceNumber)
        }
      }
    },
    restarted: (stored: Readonly<Record<string, string>>) => void log.push({ _tag: "Restarted", stored }),
    /** Moves the world's clock to `seconds`, waking the handlers whose time has come. */
    tick: (seconds: number) => {
      now = seconds
      for (const sleeper of sleepers.filter((s) => s.until <= now)) {
        sleepers.splice(sleepers.indexOf(sleeper), 1)
        sleeper.wake()
      }
    },
    /** True while some invocation is running. */
    busy: () => running.size > 0,
    invocations: () => [...invocations.values()].reduce((a, b) => a + b, 0)
  }
}

export type EsmWorld = ReturnType<typeof makeEsmWorld>
