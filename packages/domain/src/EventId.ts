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
  `evt_${millisText(changeTimeMillis)}_${identityDigest(identity)}`

/** The 1,000 three-digit texts, `000` to `999`. */
const threeDigits = Array.from({ length: 1000 }, (_, n) => String(n).padStart(3, "0"))

/**
 * `String(Math.max(0, millis))`, printed as the millions and two 3-digit groups: a change time
 * is a 13-digit number, beyond the small integers whose text the engine prints fast, and its
 * generic printing cost ≈ 70 ns of an id (measured: 172 → 100 ns per id).
 *
 * @example
 * ```ts
 * millisText(1705314600123) // "1705314600123"
 * ```
 */
export const millisText = (millis: number): string => {
  const ms = Math.max(0, millis)
  if (ms >= 1e15 || !Number.isInteger(ms)) return String(ms)
  const millions = Math.floor(ms / 1e6)
  const rest = ms - millions * 1e6
  return millions === 0 ? String(rest) : `${millions}${threeDigits[(rest / 1000) | 0]}${threeDigits[rest % 1000]}`
}

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
  lanes(seed1, seed2, text)
  return digest(lane1, lane2)
}

// The digest's two lanes, fed part by part so an identity never has to be concatenated first.
// {@link lanes} hashes in local variables and leaves its result here once per part (module
// state is safe: nothing between a feed and the digest yields); the per-character loop over
// module variables cost half of the id.
let lane1 = 0
let lane2 = 0

const seed1 = 0xdeadbeef
const seed2 = 0x41c6ce57

/** 2654435761 as the int32 `Math.imul` reads it (a constant above 2^31 measured slower in the loop). */
const prime1 = 2654435761 | 0
const prime2 = 1597334677

/** Feeds `text` into the lanes `h1`, `h2`; the result is left in `lane1`, `lane2`. */
const lanes = (h1: number, h2: number, text: string): void => {
  let a = h1
  let b = h2
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i)
    a = Math.imul(a ^ c, prime1)
    b = Math.imul(b ^ c, prime2)
  }
  lane1 = a
  lane2 = b
}

const digest = (h1: number, h2: number): string => {
  const low = Math.imul(h1 ^ (h1 >>> 16), 2246822507) ^ Math.imul(h2 ^ (h2 >>> 13), 3266489909)
  const high = Math.imul(h2 ^ (h2 >>> 16), 2246822507) ^ Math.imul(low ^ (low >>> 13), 3266489909)
  return base36(high >>> 0, 1) + base36(low >>> 0, 7)
}

const digitText = (digit: number) => String.fromCharCode(digit < 10 ? 48 + digit : 87 + digit)
const singleDigits = Array.from({ length: 36 }, (_, n) => digitText(n))
/** The 1,296 two-digit base-36 texts, `00` to `zz`. */
const digitPairs = Array.from({ length: 1296 }, (_, n) => digitText(Math.floor(n / 36)) + digitText(n % 36))

/**
 * `n.toString(36).padStart(width, "0")` for a uint32 (at most 7 base-36 digits), without the
 * engine's generic radix conversion, which cost more than the hashing itself. The digits are
 * read in pairs from a table, from two int32 halves (three and four digits): a uint32 is a
 * double to the engine, and six divisions and remainders of doubles by 36 cost ≈ 170 ns per
 * lane where this takes ≈ 50.
 */
export const base36 = (n: number, width: number): string => {
  const high = Math.floor(n / 1_679_616) | 0 // 36^4: the top three digits, below 2558
  const low = (n - high * 1_679_616) | 0
  const text = singleDigits[(high / 1296) | 0]! + digitPairs[high % 1296] + digitPairs[(low / 1296) | 0] + digitPairs[low % 1296]
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
  if (shardId !== lastShard) {
    lanes(kinesisPrefix1, kinesisPrefix2, shardId)
    lanes(lane1, lane2, "|")
    lastShard = shardId
    shardLane1 = lane1
    shardLane2 = lane2
  }
  lanes(shardLane1, shardLane2, sequenceNumber)
  return `evt_${millisText(changeTimeMillis)}_${digest(lane1, lane2)}`
}

// the lanes after "kinesis|<shard>|" for the last shard seen: a batch comes from one shard
let lastShard: string | undefined
let shardLane1 = 0
let shardLane2 = 0

// the lanes after the constant "kinesis|", fed once
lanes(seed1, seed2, "kinesis|")
const kinesisPrefix1 = lane1
const kinesisPrefix2 = lane2

/** The identity of a record read from Kinesis. */
export const kinesisIdentity = (shardId: string, sequenceNumber: string): string => `kinesis|${shardId}|${sequenceNumber}`

/**
 * The identity of a record without Kinesis coordinates. It holds the operation: DMS stamps every
 * change of a transaction with one commit time, so an INSERT then a DELETE of a row in one
 * transaction share everything else, and would share an id that consumers deduplicate on.
 */
export const sourceIdentity = (table: string, operation: string, entityId: string, changeTimeMillis: number, transaction: string): string =>
  `source|${table}|${operation}|${entityId}|${changeTimeMillis}|${transaction}`
