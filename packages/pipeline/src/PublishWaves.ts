/**
 * Which PutEvents requests of a shard may be in flight together. The requests (./Chunker) are
 * sent in waves: consecutive requests that share no ordering key, at most {@link publishWidth} of
 * them, all at once; the next wave starts when the whole wave has finished.
 *
 * Why this keeps each key's first deliveries in order: a key appears at most once per request
 * (./Chunker) and at most once per wave, so no two entries of a key are ever in flight together,
 * and a key's later entry is in a later wave. A hot key that is in every request makes every
 * wave one request long: the requests then go one at a time, as they must.
 *
 * Why waves at all: a shard's batches run one at a time (parallelization factor 1, see
 * `@cdc/topology`'s `checkTopology`), and one request at a time would bound a shard by the
 * PutEvents round trip, about 10 records per round trip.
 *
 * @example
 * ```ts
 * const waves = intoWaves(chunks, (item) => item.orderingKey)
 * for (const wave of waves) yield* Effect.forEach(wave, publishChunk, { concurrency: "unbounded" })
 * ```
 */

/**
 * Requests in flight at once, per shard. Four keep a shard's drain rate (≈ 40 records per round
 * trip) above the 1,000 records/s a shard accepts at a 30 ms round trip, while a batch of 500
 * records still makes only 50 requests, so many shards stay under the account's PutEvents quota
 * for longer (throttling is retried, see `@cdc/pipeline/RetryPolicy`).
 */
export const publishWidth = 4

/**
 * Groups consecutive requests into waves of at most `width` requests whose keys are disjoint.
 * The waves, flattened, are the requests in their order.
 *
 * @example
 * ```ts
 * intoWaves([["a", "b"], ["c"], ["a"], ["d"]], (key) => key) // [[["a","b"],["c"]], [["a"],["d"]]]
 * ```
 */
export const intoWaves = <A>(
  requests: ReadonlyArray<ReadonlyArray<A>>,
  key: (item: A) => string,
  width: number = publishWidth
): ReadonlyArray<ReadonlyArray<ReadonlyArray<A>>> => {
  const waves: Array<Array<ReadonlyArray<A>>> = []
  let wave: Array<ReadonlyArray<A>> = []
  let keys = new Set<string>()
  for (const request of requests) {
    const requestKeys = request.map(key)
    if (wave.length === width || requestKeys.some((k) => keys.has(k))) {
      waves.push(wave)
      wave = []
      keys = new Set()
    }
    wave.push(request)
    for (const k of requestKeys) keys.add(k)
  }
  if (wave.length > 0) waves.push(wave)
  return waves
}
