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

/**
 * Every order of `items`, each once. Runs timed back to back in a round are timed in each of
 * these orders in turn, so that each run takes each place as often: in a fixed order (or forwards
 * and backwards) one run is always in the middle, and the same code measured ≈ 1.5% slower or
 * faster there than in the outer places.
 *
 * @example
 * ```ts
 * permutations(["floor", "ours"]) // [["floor", "ours"], ["ours", "floor"]]
 * ```
 */
export const permutations = <A>(items: ReadonlyArray<A>): Array<Array<A>> =>
  items.length <= 1
    ? [[...items]]
    : items.flatMap((first, index) => permutations([...items.slice(0, index), ...items.slice(index + 1)]).map((rest) => [first, ...rest]))

/** Rounds to `digits` decimals. */
export const round = (value: number, digits = 2): number => Math.round(value * 10 ** digits) / 10 ** digits

/**
 * A ratio as a check prints it: two decimals, or as many more as it takes to tell it from the
 * limit it is checked against, so that a MISS never reads as the limit itself.
 *
 * @example
 * ```ts
 * ratioText(1.30011, 1.3) // "1.3001" (checked ≤ 1.3: a miss)
 * ratioText(1.2249, 1.3)  // "1.22"
 * ```
 */
export const ratioText = (value: number, limit: number): string => {
  for (let digits = 2; digits <= 6; digits++) {
    const shown = round(value, digits)
    if (shown !== limit || value === limit) return String(shown)
  }
  return String(value)
}

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
