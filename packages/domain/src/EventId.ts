/**
 * Deterministic event ids `evt_<ms>_<base36>`: `<ms>` is the source change time in epoch millis
 * and `<base36>` a 53-bit digest of the record's identity, so a retry or a replay of the same
 * record yields the same id (consumers deduplicate on it). The identity is the Kinesis shard and
 * sequence number when present, else table, key, change time and source transaction.
 *
 * The digest is neither keyed nor cryptographic, on purpose: ids must survive a rotation of the
 * redaction keys, the identity holds no protected value (the key is published as `entityId`
 * anyway), and it only has to separate records within one millisecond (53 bits is ample). A
 * SHA-256 here cost about a third of the whole record path (measured in bench/recordPath.ts).
 *
 * @example
 * ```ts
 * eventIdOf(1705314600123, "kinesis|shardId-000000000000|4960…") // "evt_1705314600123_2k3j…"
 * ```
 */
/** The `eventId` pattern of the published schema. */
export const eventIdPattern = /^evt_[0-9]+_[a-z0-9]+$/

/** An id from a change time and an identity string. */
export const eventIdOf = (changeTimeMillis: number, identity: string): string => {
  return `evt_${Math.max(0, changeTimeMillis)}_${digest53(identity).toString(36)}`
}

/** cyrb53: a fast, well-mixed 53-bit string hash (two 32-bit lanes of multiply-xorshift). */
export const digest53 = (text: string): number => {
  let h1 = 0xdeadbeef
  let h2 = 0x41c6ce57
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i)
    h1 = Math.imul(h1 ^ c, 2654435761)
    h2 = Math.imul(h2 ^ c, 1597334677)
  }
  h1 = Math.imul(h1 ^ (h1 >>> 16), 2246822507) ^ Math.imul(h2 ^ (h2 >>> 13), 3266489909)
  h2 = Math.imul(h2 ^ (h2 >>> 16), 2246822507) ^ Math.imul(h1 ^ (h1 >>> 13), 3266489909)
  return 4294967296 * (2097151 & h2) + (h1 >>> 0)
}

/** The identity of a record read from Kinesis. */
export const kinesisIdentity = (shardId: string, sequenceNumber: string): string => `kinesis|${shardId}|${sequenceNumber}`

/** The identity of a record without Kinesis coordinates. */
export const sourceIdentity = (table: string, entityId: string, changeTimeMillis: number, transaction: string): string =>
  `source|${table}|${entityId}|${changeTimeMillis}|${transaction}`
