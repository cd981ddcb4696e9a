/**
 * Small measuring helpers shared by the benchmark sections: throughput as the best of several
 * rounds (the least disturbed by other processes on a shared machine), the median of samples,
 * and the machine the figures came from.
 *
 * @example
 * ```ts
 * const perSecond = bestRate(records.length, 5, () => records.forEach(work))
 * ```
 */
import { readFileSync } from "node:fs"
import os from "node:os"

/** Records per second of `run` over `count` records: best of `rounds` after one warm-up round. */
export const bestRate = (count: number, rounds: number, run: () => void): number => {
  run()
  let best = Number.POSITIVE_INFINITY
  for (let round = 0; round < rounds; round++) {
    const start = process.hrtime.bigint()
    run()
    best = Math.min(best, Number(process.hrtime.bigint() - start) / 1e9)
  }
  return count / best
}

/** The median of some numbers (the mean of the middle two for an even count). */
export const median = (values: ReadonlyArray<number>): number => {
  const sorted = [...values].sort((a, b) => a - b)
  const middle = Math.floor(sorted.length / 2)
  return sorted.length % 2 === 1 ? sorted[middle]! : (sorted[middle - 1]! + sorted[middle]!) / 2
}

/** Rounds to `digits` decimals. */
export const round = (value: number, digits = 2): number => Math.round(value * 10 ** digits) / 10 ** digits

export interface Machine {
  readonly cpus: number
  readonly cpuModel: string
  readonly memoryGiB: number
  readonly node: string
  readonly platform: string
}

/** The machine as `nproc`, `/proc/cpuinfo` and Node see it. */
export const machine = (): Machine => {
  let cpuModel = os.cpus()[0]?.model ?? "unknown"
  try {
    const line = readFileSync("/proc/cpuinfo", "utf8")
      .split("\n")
      .find((l) => l.startsWith("model name"))
    if (line) cpuModel = line.split(":")[1]!.trim()
  } catch {
    // not Linux: os.cpus() already named the model
  }
  return {
    cpus: os.availableParallelism(),
    cpuModel,
    memoryGiB: round(os.totalmem() / 2 ** 30, 1),
    node: process.version,
    platform: `${process.platform}-${process.arch}`
  }
}

/** One line of the result table: a figure, its baseline, and the target it is judged by. */
export interface Check {
  readonly section: string
  readonly name: string
  readonly value: string
  readonly target: string
  readonly pass: boolean
}
