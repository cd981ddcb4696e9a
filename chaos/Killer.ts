/**
 * The processor, killable mid-batch: most invocations go to the real Lambda handler
 * (`@cdc/functions/processor`); every `every`-th one runs the same batch program over the same
 * live Layers as a fiber that is interrupted after a random delay, wherever it is (between two
 * `PutEvents` chunks, or inside one, whose request is then aborted), as when Lambda's sandbox
 * dies. The invocation then fails, and the event source mapping re-delivers the batch. The delay
 * is at most `maxDelayMillis`, and at most `millisPerRecord` per record of the batch, so that a
 * small batch (a short run has only a few) is cut while it runs rather than after it ended. A
 * kill whose batch ended before its delay did not happen: the next invocation is killed instead,
 * with half the delay, until one lands (as faults are forced until they fire).
 *
 * @example
 * ```ts
 * const processor = makeKillableProcessor({ every: 4, maxDelayMillis: 1500, roll })
 * await processor.handler(event) // throws "killed" for a killed invocation
 * processor.kills() // 3
 * ```
 */
import { liveLayer, handler as processorHandler } from "@cdc/functions/processor"
import { processBatch, shardOf } from "@cdc/pipeline/BatchProcessor"
import type { KinesisStreamBatchResponse, KinesisStreamEvent } from "aws-lambda"
import * as Cause from "effect/Cause"
import * as Exit from "effect/Exit"
import * as Fiber from "effect/Fiber"
import * as ManagedRuntime from "effect/ManagedRuntime"

export interface KillableProcessor {
  readonly handler: (event: KinesisStreamEvent) => Promise<KinesisStreamBatchResponse>
  readonly kills: () => number
  /** Killed invocations that ended otherwise than by the kill (a defect of the batch program). */
  readonly crashes: () => number
  /** Invocations still running (including ones whose poller was restarted). */
  readonly inFlight: () => number
  /**
   * Invocations that started while another one of the same shard still ran. Lambda never does
   * that (one batch per shard at a time), so a run with any does not model Lambda.
   */
  readonly overlaps: () => number
  readonly dispose: () => Promise<void>
}

export const makeKillableProcessor = (options: {
  /** Kill the invocations numbered `every - 1`, `2 * every - 1`, … (so even a short run has kills); see the module doc for a kill that misses. */
  readonly every: number
  readonly maxDelayMillis: number
  /** The longest delay per record of the batch (default 10 ms). */
  readonly millisPerRecord?: number
  readonly roll: () => number
}): KillableProcessor => {
  const runtime = ManagedRuntime.make(liveLayer)
  let kills = 0
  let crashes = 0
  let inFlight = 0
  let invocations = 0
  let overlaps = 0
  /** Kills in a row whose batch ended before their delay: the next invocation is killed, sooner. */
  let missed = 0
  const running = new Map<string, number>()
  const context = { awsRequestId: "chaos", functionName: "chaos-processor" }
  const longestDelay = (event: KinesisStreamEvent) =>
    Math.min(options.maxDelayMillis, (event.Records?.length ?? 0) * (options.millisPerRecord ?? 10))

  const killed = async (event: KinesisStreamEvent, delay: number): Promise<KinesisStreamBatchResponse> => {
    const fiber = runtime.runFork(processBatch(event.Records ?? []))
    const timer = setTimeout(() => runtime.runFork(Fiber.interrupt(fiber)), delay)
    const exit = await runtime.runPromise(Fiber.await(fiber))
    clearTimeout(timer)
    if (Exit.isSuccess(exit)) {
      missed += 1
      return { batchItemFailures: [...exit.value.batchItemFailures] }
    }
    missed = 0
    // only an interruption is the kill; the program never fails otherwise, so anything else is a crash
    if (Cause.hasInterruptsOnly(exit.cause)) kills += 1
    else crashes += 1
    throw new Error(`processor killed after ${delay} ms (chaos)`)
  }

  return {
    handler: async (event) => {
      inFlight += 1
      const first = event.Records?.[0]
      const shard = first === undefined ? "" : shardOf(first).shardId
      if ((running.get(shard) ?? 0) > 0) overlaps += 1
      running.set(shard, (running.get(shard) ?? 0) + 1)
      try {
        invocations += 1
        const kill = missed > 0 || invocations % options.every === options.every - 1
        return kill
          ? await killed(event, Math.floor((options.roll() * longestDelay(event)) / 2 ** missed))
          : await processorHandler(event, context as never)
      } finally {
        inFlight -= 1
        running.set(shard, (running.get(shard) ?? 1) - 1)
      }
    },
    kills: () => kills,
    crashes: () => crashes,
    inFlight: () => inFlight,
    overlaps: () => overlaps,
    dispose: () => runtime.dispose()
  }
}
