/**
 * Splits the entries of one shard into PutEvents requests: at most 10 entries and at most
 * 256 KB per request, entry sizes computed the way EventBridge computes them, and never two
 * entries of the same ordering key in one request.
 *
 * Why one entry per key per request: EventBridge reports failures entry by entry. If entry 3
 * failed (throttled) while entry 7 of the same key succeeded, the consumer would see the later
 * change first, and an idempotent consumer (deduplicating by event id) would then apply the
 * earlier change last. Keeping a key to one entry per request, and requests of a shard in
 * sequence, makes the first delivery of every key's changes arrive in order. A repeated key is
 * deferred rather than closing the request early, so requests stay full: 1,000 records take
 * 100 requests unless a few hot keys dominate a batch.
 *
 * Entry size (AWS, "Calculating Amazon EventBridge PutEvents event entry size"): 14 bytes for
 * `Time` when present, plus the UTF-8 bytes of `Source`, `DetailType`, `Detail` and each of
 * `Resources`. `EventBusName` does not count.
 *
 * @example
 * ```ts
 * const chunks = chunkEntries(items, { key: (i) => i.orderingKey, entry: (i) => i.entry })
 * ```
 */

/** The fields of a PutEvents entry that count towards its size. */
export interface SizedEntry {
  readonly Source: string
  readonly DetailType: string
  readonly Detail: string
  readonly Time?: string | undefined
  readonly Resources?: ReadonlyArray<string> | undefined
}

/** PutEvents limits. */
export const maxEntriesPerRequest = 10
export const maxRequestBytes = 256 * 1024

const utf8 = (text: string) => Buffer.byteLength(text, "utf8")

/**
 * The size EventBridge counts for one entry.
 *
 * @example
 * ```ts
 * entrySize({ Source: "s", DetailType: "t", Detail: "{}", Time: "2024-01-01T00:00:00Z" }) // 18
 * ```
 */
export const entrySize = (entry: SizedEntry): number =>
  (entry.Time === undefined ? 0 : 14) +
  utf8(entry.Source) +
  utf8(entry.DetailType) +
  utf8(entry.Detail) +
  (entry.Resources ?? []).reduce((total, resource) => total + utf8(resource), 0)

/** True when the entry alone exceeds the request limit: it can never be published. */
export const isOversized = (entry: SizedEntry): boolean => entrySize(entry) > maxRequestBytes

/**
 * Groups `items` into requests. Items must not be oversized (filter with {@link isOversized}
 * first). Each request is filled greedily in sequence order; an item whose key is already in
 * the request (or was already deferred) is deferred to a later request together with every later
 * item of that key, so requests stay full (≈ 10 entries) even when keys repeat, and each key's
 * items keep their order across requests. Items of different keys may move ahead of each other.
 */
export const chunkEntries = <A>(
  items: ReadonlyArray<A>,
  options: { readonly key: (item: A) => string; readonly entry: (item: A) => SizedEntry }
): ReadonlyArray<ReadonlyArray<A>> => {
  const chunks: Array<Array<A>> = []
  let pending: ReadonlyArray<A> = items
  while (pending.length > 0) {
    const chunk: Array<A> = []
    const keys = new Set<string>()
    const blocked = new Set<string>()
    const rest: Array<A> = []
    let bytes = 0
    let index = 0
    for (; index < pending.length && chunk.length < maxEntriesPerRequest; index++) {
      const item = pending[index] as A
      const key = options.key(item)
      const size = entrySize(options.entry(item))
      if (keys.has(key) || blocked.has(key) || bytes + size > maxRequestBytes) {
        blocked.add(key)
        rest.push(item)
      } else {
        chunk.push(item)
        keys.add(key)
        bytes += size
      }
    }
    chunks.push(chunk)
    pending = index < pending.length ? [...rest, ...pending.slice(index)] : rest
  }
  return chunks
}
