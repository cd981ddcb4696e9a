/**
 * The local Kinesis event source mapping (`@cdc/cli/local/KinesisEventSource`) driven to a target:
 * it reads the stream from its stored positions and invokes a handler until every shard's
 * position has reached the last record written, for the end-to-end benchmark and the chaos run.
 *
 * @example
 * ```ts
 * const seconds = await drainWith(emulated, handler, lastSequencePerShard, { positionsFile })
 * ```
 */
import { type KinesisBatchInfo, kinesisSourceSettings, runKinesisEventSource } from "@cdc/cli/local/KinesisEventSource"
import { makeLiveStats } from "@cdc/cli/local/LiveStats"
import { compareSequenceNumbers, openPositionStore, type PositionStore } from "@cdc/cli/local/PositionStore"
import type { KinesisStreamBatchResponse, KinesisStreamEvent } from "aws-lambda"
import * as Effect from "effect/Effect"
import type { Emulated } from "./Emulated"

export type Handler = (event: KinesisStreamEvent) => Promise<KinesisStreamBatchResponse | undefined>

/** True when every shard's stored position is at or past its target. */
export const reached = (positions: PositionStore, targets: ReadonlyMap<string, string>): boolean =>
  [...targets].every(([shardId, target]) => {
    const at = positions.get(shardId)
    return at !== undefined && compareSequenceNumbers(at, target) >= 0
  })

/**
 * The poller as an Effect that runs until interrupted (positions flushed on the way out); the
 * settings are the deployed event source mapping's, from the topology.
 */
export const poller = (
  emulated: Emulated,
  handler: Handler,
  positions: PositionStore,
  onExhausted: (info: KinesisBatchInfo, invocations: number) => Promise<void>
) => {
  const { provisioned, topology, clients } = emulated
  const esm = topology.functions.processor.source
  return runKinesisEventSource({
    kinesis: clients.kinesis,
    stream: { name: provisioned.stream.name, arn: provisioned.stream.arn, region: provisioned.region },
    settings: kinesisSourceSettings(esm),
    positions,
    stats: makeLiveStats(),
    handler,
    idlePollMillis: 100,
    shardRefreshMillis: 60_000,
    onFailure: (info, _condition, invocations) => Effect.promise(() => onExhausted(info, invocations))
  })
}

/** Opens a position store of the provisioned stream. */
export const openPositions = (emulated: Emulated, file: string): PositionStore =>
  openPositionStore(file, emulated.provisioned.stream.createdAt)

/**
 * Runs a poller over `handler` from the positions in `file` until `targets` are reached (or
 * `timeoutMillis` passes); returns the seconds it took and whether it got there.
 */
export const drainWith = (
  emulated: Emulated,
  handler: Handler,
  targets: ReadonlyMap<string, string>,
  file: string,
  timeoutMillis: number
) =>
  Effect.runPromise(
    Effect.scoped(
      Effect.gen(function* () {
        const positions = openPositions(emulated, file)
        const exhausted: Array<string> = []
        const started = performance.now()
        yield* Effect.forkScoped(
          poller(emulated, handler, positions, async (info) => {
            exhausted.push(`${info.shardId}:${info.startSequenceNumber}-${info.endSequenceNumber}`)
          })
        )
        while (!reached(positions, targets) && performance.now() - started < timeoutMillis) yield* Effect.sleep(50)
        return { seconds: (performance.now() - started) / 1000, drained: reached(positions, targets), exhausted }
      })
    )
  )
