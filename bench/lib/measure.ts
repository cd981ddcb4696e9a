/**
 * Small measuring helpers shared by the benchmark sections: the median of samples, rounding,
 * and the machine the figures came from.
 *
 * @example
 * ```ts
 * const initMillis = median(samples) // the middle of several fresh-process timings
 * ```
 */
import { readFileSync } from "node:fs"
import os from "node:os"

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
