/**
 * Where the local event source mapping stopped: per shard, the last sequence number whose batch
 * the processor fully acknowledged. Kept in a JSON file under `.cdc/` so that a restarted
 * `cdc start` resumes after it instead of replaying the whole stream.
 *
 * Positions belong to one incarnation of a stream: when the emulator is restarted the stream is
 * created anew and old sequence numbers mean nothing, so the file records the stream's creation
 * time and is ignored when it no longer matches.
 *
 * @example
 * ```ts
 * const store = openPositionStore(".cdc/positions/cdc-stream.json", stream.creationTime)
 * store.get("shardId-000000000000") // "4960…" or undefined (start at TRIM_HORIZON)
 * store.acknowledge("shardId-000000000000", "49607933946721…")
 * store.flush()
 * ```
 */
import { readFileSync, renameSync, writeFileSync } from "node:fs"
import path from "node:path"
import { makeDirectories } from "../Directories"

export interface PositionStore {
  /** The last acknowledged sequence number of a shard, if any. */
  readonly get: (shardId: string) => string | undefined
  /** Records that everything up to and including `sequenceNumber` is done; ignores going backwards. */
  readonly acknowledge: (shardId: string, sequenceNumber: string) => void
  /** Writes the positions to disk (atomically: write then rename). */
  readonly flush: () => void
  readonly snapshot: () => Readonly<Record<string, string>>
}

interface PositionFile {
  readonly streamCreatedAt: number
  readonly shards: Record<string, string>
}

/** Kinesis sequence numbers are decimal strings of varying length: compare them as integers. */
export const compareSequenceNumbers = (a: string, b: string): number => {
  const x = BigInt(a)
  const y = BigInt(b)
  return x < y ? -1 : x > y ? 1 : 0
}

const readFile = (file: string, streamCreatedAt: number): Record<string, string> => {
  try {
    const parsed = JSON.parse(readFileSync(file, "utf8")) as Partial<PositionFile>
    if (parsed.streamCreatedAt !== streamCreatedAt || typeof parsed.shards !== "object" || parsed.shards === null) return {}
    return Object.fromEntries(Object.entries(parsed.shards).filter(([, value]) => typeof value === "string" && /^\d+$/.test(value)))
  } catch {
    return {}
  }
}

/** Opens (or starts) the position file of one stream incarnation. */
export const openPositionStore = (file: string, streamCreatedAt: number): PositionStore => {
  const shards = readFile(file, streamCreatedAt)
  let dirty = false
  return {
    get: (shardId) => shards[shardId],
    acknowledge: (shardId, sequenceNumber) => {
      const current = shards[shardId]
      if (current !== undefined && compareSequenceNumbers(sequenceNumber, current) <= 0) return
      shards[shardId] = sequenceNumber
      dirty = true
    },
    flush: () => {
      if (!dirty) return
      makeDirectories(path.dirname(file))
      const temporary = `${file}.${process.pid}.tmp`
      writeFileSync(temporary, `${JSON.stringify({ streamCreatedAt, shards } satisfies PositionFile, null, 2)}\n`)
      renameSync(temporary, file)
      dirty = false
    },
    snapshot: () => ({ ...shards })
  }
}
