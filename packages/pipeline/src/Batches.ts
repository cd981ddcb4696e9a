/**
 * Packs items, in order, into requests bounded by a count and a byte size: what every AWS batch
 * API asks for (SQS `SendMessageBatch`: 10 messages / 256 KB; Kinesis `PutRecords`: 500 records /
 * 5 MiB). An item larger than the byte bound travels alone; the caller decides what that means.
 *
 * @example
 * ```ts
 * packBatches(messages, { maxItems: 10, maxBytes: 262_144, sizeOf: (m) => Buffer.byteLength(m) })
 * // [[m0, …, m9], [m10, m11]]
 * ```
 */
export interface BatchLimits<A> {
  readonly maxItems: number
  readonly maxBytes: number
  readonly sizeOf: (item: A) => number
  /**
   * When given, a batch never holds two items of one key: it closes before the repeat. For APIs
   * that report failures entry by entry, where a retried entry must not be overtaken by a later
   * item of its key that the same call already wrote.
   */
  readonly keyOf?: (item: A) => string
}

export const packBatches = <A>(items: Iterable<A>, limits: BatchLimits<A>): Array<Array<A>> => {
  const batches: Array<Array<A>> = []
  let current: Array<A> = []
  let bytes = 0
  const keys = new Set<string>()
  for (const item of items) {
    const size = limits.sizeOf(item)
    const key = limits.keyOf?.(item)
    if (
      current.length > 0 &&
      (current.length >= limits.maxItems || bytes + size > limits.maxBytes || (key !== undefined && keys.has(key)))
    ) {
      batches.push(current)
      current = []
      bytes = 0
      keys.clear()
    }
    current.push(item)
    bytes += size
    if (key !== undefined) keys.add(key)
  }
  if (current.length > 0) batches.push(current)
  return batches
}
