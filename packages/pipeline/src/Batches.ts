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
}

export const packBatches = <A>(items: Iterable<A>, limits: BatchLimits<A>): Array<Array<A>> => {
  const batches: Array<Array<A>> = []
  let current: Array<A> = []
  let bytes = 0
  for (const item of items) {
    const size = limits.sizeOf(item)
    if (current.length > 0 && (current.length >= limits.maxItems || bytes + size > limits.maxBytes)) {
      batches.push(current)
      current = []
      bytes = 0
    }
    current.push(item)
    bytes += size
  }
  if (current.length > 0) batches.push(current)
  return batches
}
