/**
 * Deterministic event ids `evt_<ms>_<base36>`: `<ms>` is the source change time in epoch millis
 * and `<base36>` a 64-bit digest of the record's identity, so a retry or a replay of the same
 * record yields the same id (consumers deduplicate on it). The identity is the Kinesis shard and
 * sequence number when present, else table, operation, key, change time and source transaction.
 *
 * The digest is neither keyed nor cryptographic, on purpose: ids must survive a rotation of the
 * redaction keys, the identity holds no protected value (the key is published as `entityId`
 * anyway), and it only has to separate records within one millisecond (64 bits is ample). A
 * SHA-256 here cost about a third of the whole record path (measured by `npm run bench -- --only 1`).
 *
 * @example
 * ```ts
 * eventIdOf(1705314600123, "kinesis|shardId-000000000000|4960…") // "evt_1705314600123_2k3j…"
 * ```
 */
/** The `eventId` pattern of the published schema. */
export const eventIdPattern = /^evt_[0-9]+_[a-z0-9]+$/

/** An id from a change time and an identity string. */
export const eventIdOf = (changeTimeMillis: number, identity: string): string =>
  `evt_${Math.max(0, changeTimeMillis)}_${identityDigest(identity)}`

/**
 * The `<base36>` part of an id: a 64-bit digest of the identity, two well-mixed 32-bit lanes
 * (multiply-xorshift, as cyrb53) printed in base 36, the low lane padded to 7 digits so the
 * text is a function of both lanes (see {@link base36} for why the printing is by hand).
 *
 * @example
 * ```ts
 * identityDigest("kinesis|shardId-000000000000|4960") // e.g. "1kq2x7h0c4f2k9"
 * ```
 */
export const identityDigest = (text: string): string => {
  begin()
  feed(text)
  return digest()
}

// The digest's two lanes, fed part by part so an identity never has to be concatenated first.
// Module state is safe: begin → feed → digest never yields.
let h1 = 0
let h2 = 0

const begin = () => {
  h1 = 0xdeadbeef
  h2 = 0x41c6ce57
}

const feed = (text: string) => {
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i)
    h1 = Math.imul(h1 ^ c, 2654435761)
    h2 = Math.imul(h2 ^ c, 1597334677)
  }
}

const digest = (): string => {
  const low = Math.imul(h1 ^ (h1 >>> 16), 2246822507) ^ Math.imul(h2 ^ (h2 >>> 13), 3266489909)
  const high = Math.imul(h2 ^ (h2 >>> 16), 2246822507) ^ Math.imul(low ^ (low >>> 13), 3266489909)
  return base36(high >>> 0, 1) + base36(low >>> 0, 7)
}

/** Char code of a base-36 digit. */
const digitCode = (digit: number) => (digit < 10 ? 48 + digit : 87 + digit)

/**
 * `n.toString(36).padStart(width, "0")` for a uint32 (at most 7 base-36 digits), without the
 * engine's generic radix conversion, which cost more than the hashing itself.
 */
export const base36 = (n: number, width: number): string => {
  let rest = n
  const d6 = rest % 36
  rest = (rest - d6) / 36
  const d5 = rest % 36
  rest = (rest - d5) / 36
  const d4 = rest % 36
  rest = (rest - d4) / 36
  const d3 = rest % 36
  rest = (rest - d3) / 36
  const d2 = rest % 36
  rest = (rest - d2) / 36
  const d1 = rest % 36
  const d0 = (rest - d1) / 36
  const text = String.fromCharCode(digitCode(d0), digitCode(d1), digitCode(d2), digitCode(d3), digitCode(d4), digitCode(d5), digitCode(d6))
  if (width >= 7) return width === 7 ? text : text.padStart(width, "0")
  // drop leading zeros down to `width` digits
  let start = 0
  while (start < 7 - width && text.charCodeAt(start) === 48) start++
  return start === 0 ? text : text.slice(start)
}

/**
 * The id of a record read from Kinesis: `eventIdOf(changeTimeMillis, kinesisIdentity(shardId,
 * sequenceNumber))`, computed without building the identity text.
 *
 * @example
 * ```ts
 * kinesisEventId(1705314600123, "shardId-000000000000", "4960…") === eventIdOf(1705314600123, kinesisIdentity("shardId-000000000000", "4960…"))
 * ```
 */
export const kinesisEventId = (changeTimeMillis: number, shardId: string, sequenceNumber: string): string => {
  begin()
  feed("kinesis|")
  feed(shardId)
  feed("|")
  feed(sequenceNumber)
  return `evt_${Math.max(0, changeTimeMillis)}_${digest()}`
}

/** The identity of a record read from Kinesis. */
export const kinesisIdentity = (shardId: string, sequenceNumber: string): string => `kinesis|${shardId}|${sequenceNumber}`

/**
 * The identity of a record without Kinesis coordinates. It holds the operation: DMS stamps every
 * change of a transaction with one commit time, so an INSERT then a DELETE of a row in one
 * transaction share everything else, and would share an id that consumers deduplicate on.
 */
export const sourceIdentity = (table: string, operation: string, entityId: string, changeTimeMillis: number, transaction: string): string =>
  `source|${table}|${operation}|${entityId}|${changeTimeMillis}|${transaction}`
