/**
 * Generators of CoreDB rows and change records for tests, the local simulator and benchmarks,
 * derived from the table definitions of `@cdc/domain/Tables` (one source of truth).
 *
 * - rows: realistic values per column (emails, phones, card numbers, addresses as JSON, decimals
 *   as strings, DMS timestamps, 0/1 booleans, ...), with recognisable sensitive "canary" values;
 * - fast-check arbitraries per table ({@link rowArbitrary}, {@link changeArbitrary});
 * - deterministic seeded samples ({@link sampleRows}, {@link sampleChanges}): same seed, same data;
 * - builders of the three input shapes: the reference CDC event ({@link toCdcEvent}), AWS DMS's
 *   Kinesis JSON ({@link toDmsRecord}, {@link dmsControlRecord}) and the Lambda
 *   `KinesisStreamRecord` with base64 data ({@link toKinesisRecord});
 * - {@link sensitiveValues}: the clear values of a row that must never appear in any output.
 *
 * @example
 * ```ts
 * import { sampleChanges, toDmsRecord, toKinesisRecord } from "@cdc/testkit/Changes"
 * const records = sampleChanges(100, 42).map((change, i) => toKinesisRecord(toDmsRecord(change), { index: i }))
 * ```
 */
import { type ColumnDefinition, type TableDefinition, tableNames, tables } from "@cdc/domain/Tables"
import type { KinesisStreamRecord } from "aws-lambda"
import fc from "fast-check"

/** A CoreDB row as DMS stores it (column name → raw value). */
export type Row = Readonly<Record<string, unknown>>

export type ChangeOperation = "INSERT" | "UPDATE" | "DELETE"

/** One change of one row, independent of the input shape it is later encoded in. */
export interface Change {
  readonly table: string
  readonly operation: ChangeOperation
  /** The row before the change (UPDATE, DELETE). */
  readonly before?: Row | undefined
  /** The row after the change (INSERT, UPDATE). */
  readonly after?: Row | undefined
  /** Source change time, epoch millis. */
  readonly changeTimeMillis: number
  readonly transactionId: string
}

const definitionOf = (table: string): TableDefinition => {
  const definition = tables.get(table)
  if (definition === undefined) throw new Error(`no table definition for ${table}`)
  return definition
}

// ---------------------------------------------------------------------------------------------
// Column values

const pad = (n: number, width: number) => String(n).padStart(width, "0")
const firstNames = ["Ada", "Grace", "Linus", "Margaret", "Alan", "Barbara", "Dennis", "Frances", "Ken", "Radia"]
const lastNames = ["Lovelace", "Hopper", "Torvalds", "Hamilton", "Turing", "Liskov", "Ritchie", "Allen", "Perlman"]
const streets = ["Canary Wharf Road", "Canary Lane", "Sensitive Street", "Privacy Avenue", "Hidden Close"]
const cities = ["London", "Paris", "Berlin", "Lisbon", "Dublin", "Austin"]
const statuses = ["pending", "active", "shipped", "delivered", "cancelled", "refunded"]

/** 2020-01-01 .. 2026-01-01, in millis. */
const timeMillis = fc.integer({ min: 1_577_836_800_000, max: 1_767_225_600_000 })

const dmsTimestamp = (millis: number, micros: number) => {
  const iso = new Date(millis).toISOString() // 2024-01-15T10:30:00.123Z
  return `${iso.slice(0, 10)} ${iso.slice(11, 19)}.${iso.slice(20, 23)}${pad(micros, 3)}`
}

/** Timestamps in every stored form: DMS `YYYY-MM-DD HH:MM:SS.ffffff`, ISO-8601, epoch millis. */
const timestamp: fc.Arbitrary<unknown> = fc.oneof(
  { weight: 6, arbitrary: fc.tuple(timeMillis, fc.integer({ min: 0, max: 999 })).map(([m, u]) => dmsTimestamp(m, u)) },
  { weight: 2, arbitrary: timeMillis.map((m) => new Date(m).toISOString()) },
  { weight: 1, arbitrary: timeMillis },
  { weight: 1, arbitrary: fc.constant(null) }
)

/** Decimals as DMS sends them: strings with 2 to 4 decimals, sometimes a JSON number. */
const decimal: fc.Arbitrary<unknown> = fc.oneof(
  { weight: 6, arbitrary: fc.integer({ min: 0, max: 99_999_999 }).map((c) => `${Math.floor(c / 100)}.${pad(c % 100, 2)}`) },
  { weight: 2, arbitrary: fc.integer({ min: 0, max: 9_999_999 }).map((c) => `${Math.floor(c / 1000)}.${pad(c % 1000, 3)}`) },
  { weight: 1, arbitrary: fc.integer({ min: 0, max: 99_999 }).map((c) => c / 100) }
)

const boolean: fc.Arbitrary<unknown> = fc.constantFrom(true, false, 0, 1, "true", "false")
const digits = (n: number) => fc.array(fc.integer({ min: 0, max: 9 }), { minLength: n, maxLength: n }).map((d) => d.join(""))
const hex = (n: number) => fc.array(fc.constantFrom(..."0123456789abcdef"), { minLength: n, maxLength: n }).map((d) => d.join(""))
const id = (prefix: string) => fc.integer({ min: 1, max: 9_999_999 }).map((n) => `${prefix}_${pad(n, 7)}`)
const name = fc.tuple(fc.constantFrom(...firstNames), fc.constantFrom(...lastNames))

/** Emails whose local part carries a `canary` marker, so a leak is easy to spot. */
const email = fc
  .tuple(fc.constantFrom(...firstNames), digits(4), fc.constantFrom("example.com", "mail.example.org"))
  .map(([first, n, domain]) => `${first.toLowerCase()}.canary${n}@${domain}`)
const phone = fc.tuple(digits(3), digits(4)).map(([a, b]) => `+1 555-${a}-${b}`)
const card = fc.tuple(digits(4), digits(4), digits(4)).map(([a, b, c]) => `4111 ${a} ${b} ${c}`)
const address = fc.record({
  street: fc.tuple(fc.integer({ min: 1, max: 999 }), fc.constantFrom(...streets)).map(([n, s]) => `${n} ${s}`),
  city: fc.constantFrom(...cities),
  postcode: digits(5),
  country: fc.constantFrom("GB", "FR", "DE", "PT", "IE", "US")
})
/** JSON columns arrive as objects or as JSON text. */
const json = (value: fc.Arbitrary<object>): fc.Arbitrary<unknown> =>
  fc.oneof({ weight: 3, arbitrary: value }, { weight: 1, arbitrary: value.map((v) => JSON.stringify(v)) })
const ipv4 = fc.tuple(fc.nat(255), fc.nat(255), fc.nat(255), fc.nat(255)).map((p) => p.join("."))
const sentence = fc
  .array(fc.constantFrom("parcel", "arrived", "damaged", "canary", "wrong", "size", "colour", "late", "refund"), {
    minLength: 4,
    maxLength: 12
  })
  .map((words) => `${words.join(" ")} (canary note)`)

/** Named generators for columns whose name says what they hold. */
const byName: Record<string, fc.Arbitrary<unknown>> = {
  email,
  actor_email: email,
  author_email: email,
  phone,
  recipient_phone: phone,
  ssn: fc.tuple(digits(3), digits(2), digits(4)).map(([a, b, c]) => `${a}-${b}-${c}`),
  password_hash: hex(40).map((h) => `$2b$12$canary${h}`),
  first_name: fc.constantFrom(...firstNames),
  last_name: fc.constantFrom(...lastNames),
  full_name: name.map(([f, l]) => `${f} Canary ${l}`),
  recipient_name: name.map(([f, l]) => `${f} Canary ${l}`),
  card_number: card,
  account_number: digits(10).map((d) => `GB29CANARY${d}`),
  cvv: digits(3),
  tax_id: digits(9).map((d) => `TAX-CANARY-${d}`),
  session_token: hex(32).map((h) => `sess_canary_${h}`),
  ip_address: ipv4,
  author_ip: ipv4,
  shipping_address: json(address),
  billing_address: json(address),
  delivery_address: json(address),
  payment_details: json(fc.record({ cardNumber: card, expiry: digits(4), holder: name.map(([f, l]) => `${f} ${l}`) })),
  request_body: json(fc.record({ password: hex(12).map((h) => `canary-password-${h}`), remember: fc.boolean() })),
  customer_notes: sentence,
  // published in clear when not secret: no canary marker (sensitiveValues evaluates the condition)
  value: hex(16).map((h) => `cfg-value-${h}`),
  status: fc.constantFrom(...statuses),
  currency: fc.constantFrom("usd", "eur", "gbp", "USD", "Eur"),
  category: fc.constantFrom("Books", "GARDEN", "Toys", "electronics"),
  carrier: fc.constantFrom("ups", "dhl", "FedEx", "royal-mail"),
  reason_code: fc.constantFrom("damaged", "wrong_size", "Late", "other"),
  action: fc.constantFrom("login", "logout", "update_profile", "export"),
  segment: fc.constantFrom("retail", "wholesale", "vip"),
  rating: fc.integer({ min: 1, max: 5 }),
  user_agent: fc.constantFrom("Mozilla/5.0 (X11; Linux x86_64)", "curl/8.5.0", "CoreApp/3.2 (iOS 17)"),
  title: fc.constantFrom("Great", "Not as described", "Would buy again"),
  body: fc.constantFrom("Works well.", "Broke after a week.", "Exactly what I needed."),
  description: fc.constantFrom("feature flag", "rate limit", "API credential"),
  updated_by: fc.constantFrom("ops", "deploy-bot", "admin"),
  resource: fc.constantFrom("/users/1", "/orders/42", "/admin/config"),
  tracking_number: digits(12).map((d) => `1Z${d}`),
  warehouse_id: fc.constantFrom("wh-lon-1", "wh-ber-2", "wh-aus-1")
}

const keyPrefixes: Record<string, string> = {
  order_id: "ord",
  product_id: "prd",
  session_id: "ses",
  txn_id: "txn",
  sku: "sku",
  shipment_id: "shp",
  return_id: "ret",
  review_id: "rev",
  log_id: "log",
  config_key: "cfg"
}

const byType = (column: ColumnDefinition): fc.Arbitrary<unknown> => {
  switch (column.type) {
    case "int":
      return fc.oneof(
        { weight: 4, arbitrary: fc.integer({ min: 0, max: 1_000_000 }) },
        {
          weight: 1,
          arbitrary: fc.integer({ min: 0, max: 1_000_000 }).map(String)
        }
      )
    case "boolean":
      return boolean
    case "decimal":
      return decimal
    case "timestamp":
      return timestamp
    case "json":
      return json(fc.record({ note: fc.string({ maxLength: 8 }) }))
    case "string":
      return keyPrefixes[column.name] !== undefined ? id(keyPrefixes[column.name] as string) : fc.string({ maxLength: 12 })
  }
}

/** The arbitrary of one column's stored value. */
export const columnArbitrary = (column: ColumnDefinition): fc.Arbitrary<unknown> => byName[column.name] ?? byType(column)

const keyArbitrary = (column: ColumnDefinition): fc.Arbitrary<unknown> =>
  column.type === "int" ? fc.integer({ min: 1, max: 9_999_999 }) : id(keyPrefixes[column.name] ?? "key")

/**
 * A full row of a table: every declared column, realistic stored values.
 *
 * @example
 * ```ts
 * fc.assert(fc.property(rowArbitrary("users"), (row) => typeof row.id === "number"))
 * ```
 */
export const rowArbitrary = (table: string): fc.Arbitrary<Row> => {
  const definition = definitionOf(table)
  const fields: Record<string, fc.Arbitrary<unknown>> = {}
  for (const column of definition.columns) {
    fields[column.name] = column.name === definition.keyColumn ? keyArbitrary(column) : columnArbitrary(column)
  }
  return fc.record(fields) as fc.Arbitrary<Row>
}

/** {@link rowArbitrary} of every table, by name. */
export const rowArbitraries: Readonly<Record<string, fc.Arbitrary<Row>>> = Object.fromEntries(
  tableNames.map((table) => [table, rowArbitrary(table)])
)

// ---------------------------------------------------------------------------------------------
// Changes

const transactionId = fc.integer({ min: 1, max: 2 ** 31 }).map(String)

/** A change of `table` by `operation`: UPDATE regenerates at least one non-key column. */
export const changeOfArbitrary = (table: string, operation: ChangeOperation): fc.Arbitrary<Change> => {
  const definition = definitionOf(table)
  const others = definition.columns.filter((c) => c.name !== definition.keyColumn)
  const base = { table, operation }
  const time = fc.tuple(timeMillis, transactionId)
  switch (operation) {
    case "INSERT":
      return fc
        .tuple(rowArbitrary(table), time)
        .map(([after, [changeTimeMillis, txn]]) => ({ ...base, after, changeTimeMillis, transactionId: txn }))
    case "DELETE":
      return fc
        .tuple(rowArbitrary(table), time)
        .map(([before, [changeTimeMillis, txn]]) => ({ ...base, before, changeTimeMillis, transactionId: txn }))
    case "UPDATE":
      return fc
        .tuple(rowArbitrary(table), fc.subarray(others, { minLength: 1 }), rowArbitrary(table), time)
        .map(([before, changed, fresh, [changeTimeMillis, txn]]) => {
          const after: Record<string, unknown> = { ...before }
          for (const column of changed) after[column.name] = fresh[column.name]
          return { ...base, before, after, changeTimeMillis, transactionId: txn }
        })
  }
}

/**
 * Any change of `table` (any operation, published or not), or of any table when omitted.
 *
 * @example
 * ```ts
 * fc.assert(fc.property(changeArbitrary(), (change) => tables.has(change.table)))
 * ```
 */
export const changeArbitrary = (table?: string): fc.Arbitrary<Change> =>
  (table === undefined ? fc.constantFrom(...tableNames) : fc.constant(table)).chain((t) =>
    fc.constantFrom<ChangeOperation>("INSERT", "UPDATE", "DELETE").chain((op) => changeOfArbitrary(t, op))
  )

/** A change whose operation the table publishes. */
export const publishedChangeArbitrary = (table?: string): fc.Arbitrary<Change> =>
  (table === undefined ? fc.constantFrom(...tableNames) : fc.constant(table)).chain((t) =>
    fc.constantFrom(...definitionOf(t).operations).chain((op) => changeOfArbitrary(t, op))
  )

/**
 * `count` rows of `table`, deterministic for a seed.
 *
 * @example
 * ```ts
 * sampleRows("users", 3, 7) // the same three rows on every run
 * ```
 */
export const sampleRows = (table: string, count: number, seed = 1): ReadonlyArray<Row> =>
  fc.sample(rowArbitrary(table), { seed, numRuns: count })

/**
 * `count` published changes cycling through all twelve tables and their published operations,
 * deterministic for a seed.
 *
 * @example
 * ```ts
 * const changes = sampleChanges(1200, 42) // 100 per table
 * ```
 */
export const sampleChanges = (count: number, seed = 1): ReadonlyArray<Change> => {
  const plan = tableNames.flatMap((table) => definitionOf(table).operations.map((operation) => ({ table, operation })))
  const perKind = Math.ceil(count / plan.length)
  const byKind = plan.map(({ table, operation }, index) =>
    fc.sample(changeOfArbitrary(table, operation), { seed: seed + index, numRuns: perKind })
  )
  const out: Array<Change> = []
  for (let i = 0; out.length < count; i++) {
    const kind = byKind[i % plan.length] as ReadonlyArray<Change>
    out.push(kind[Math.floor(i / plan.length)] as Change)
  }
  return out
}

// ---------------------------------------------------------------------------------------------
// Input shapes

/** The reference design's CDC event. */
export interface CdcEvent {
  readonly tableName: string
  readonly operation: ChangeOperation
  readonly beforeImage?: Row
  readonly afterImage?: Row
  readonly timestamp: string
  readonly sequenceNumber: string
}

/**
 * Encodes a change as the reference design's CDC event.
 *
 * @example
 * ```ts
 * toCdcEvent(change).tableName // change.table
 * ```
 */
export const toCdcEvent = (change: Change): CdcEvent => ({
  tableName: change.table,
  operation: change.operation,
  ...(change.before === undefined ? {} : { beforeImage: change.before }),
  ...(change.after === undefined ? {} : { afterImage: change.after }),
  timestamp: new Date(change.changeTimeMillis).toISOString(),
  sequenceNumber: change.transactionId
})

/** AWS DMS's Kinesis JSON (data or control record). */
export interface DmsRecord {
  readonly data?: Row | null
  readonly "before-image"?: Row
  readonly control?: unknown
  readonly metadata: {
    readonly timestamp: string
    readonly "record-type": "data" | "control"
    readonly operation: string
    readonly "partition-key-type": string
    readonly "schema-name": string
    readonly "table-name": string
    readonly "transaction-id"?: number
  }
}

/** DMS writes its metadata timestamp with microseconds. */
const dmsMetadataTime = (millis: number) => `${new Date(millis).toISOString().slice(0, 23)}000Z`

export interface DmsOptions {
  /** Include `before-image` on UPDATE (DMS's `BeforeImageSettings`); default true. */
  readonly beforeImage?: boolean
  /** Encode an INSERT as a full-load `load` record; default false. */
  readonly load?: boolean
}

/**
 * Encodes a change as AWS DMS's Kinesis JSON data record.
 *
 * @example
 * ```ts
 * toDmsRecord(change, { load: true }).metadata.operation // "load"
 * ```
 */
export const toDmsRecord = (change: Change, options: DmsOptions = {}): DmsRecord => {
  const operation = options.load === true && change.operation === "INSERT" ? "load" : change.operation.toLowerCase()
  const withBefore = options.beforeImage !== false && change.operation === "UPDATE" && change.before !== undefined
  return {
    data: change.operation === "DELETE" ? (change.before ?? null) : (change.after ?? null),
    ...(withBefore ? { "before-image": change.before as Row } : {}),
    metadata: {
      timestamp: dmsMetadataTime(change.changeTimeMillis),
      "record-type": "data",
      operation,
      "partition-key-type": "schema-table",
      "schema-name": "coredb",
      "table-name": change.table,
      "transaction-id": Number(change.transactionId)
    }
  }
}

/**
 * A DMS control record (DDL), e.g. a column added to CoreDB.
 *
 * @example
 * ```ts
 * dmsControlRecord({ table: "users", operation: "add-column", columns: ["nickname"], changeTimeMillis: 0 })
 * ```
 */
export const dmsControlRecord = (options: {
  readonly table: string
  readonly operation: "add-column" | "drop-column" | "rename-column" | "create-table" | "drop-table" | "change-columns"
  readonly columns: ReadonlyArray<string>
  readonly changeTimeMillis: number
}): DmsRecord => ({
  control: {
    "table-def": {
      columns: Object.fromEntries(options.columns.map((column) => [column, { type: "STRING", nullable: true }])),
      "primary-key": []
    }
  },
  metadata: {
    timestamp: dmsMetadataTime(options.changeTimeMillis),
    "record-type": "control",
    operation: options.operation,
    "partition-key-type": "task-id",
    "schema-name": "coredb",
    "table-name": options.table
  }
})

export interface KinesisOptions {
  /** Position in the stream; drives the default sequence number. */
  readonly index?: number
  readonly shardId?: string
  readonly sequenceNumber?: string
  readonly partitionKey?: string
  /** Epoch millis at which Kinesis accepted the record. */
  readonly arrivalTimeMillis?: number
  readonly streamArn?: string
}

/** The default stream ARN of generated records. */
export const testStreamArn = "arn:aws:kinesis:eu-west-1:123456789012:stream/cdc-pipeline-changes"

/** A Kinesis-like 56-digit sequence number, increasing with `index` (compare as BigInt, never as strings). */
export const sequenceNumberAt = (index: number): string =>
  (49_650_000_000_000_000_000_000_000_000_000_000_000_000_000_000_000n + BigInt(index) * 1_000_003n).toString()

/**
 * Wraps a payload (any shape, or raw text/bytes) in the Lambda `KinesisStreamRecord` that an
 * event source mapping delivers, with base64 `data`.
 *
 * @example
 * ```ts
 * const record = toKinesisRecord(toDmsRecord(change), { index: 3, shardId: "shardId-000000000001" })
 * ```
 */
export const toKinesisRecord = (payload: unknown, options: KinesisOptions = {}): KinesisStreamRecord => {
  const index = options.index ?? 0
  const shardId = options.shardId ?? "shardId-000000000000"
  const sequenceNumber = options.sequenceNumber ?? sequenceNumberAt(index)
  const bytes =
    payload instanceof Uint8Array
      ? Buffer.from(payload)
      : Buffer.from(typeof payload === "string" ? payload : JSON.stringify(payload), "utf8")
  const streamArn = options.streamArn ?? testStreamArn
  return {
    awsRegion: "eu-west-1",
    eventID: `${shardId}:${sequenceNumber}`,
    eventName: "aws:kinesis:record",
    eventSource: "aws:kinesis",
    eventSourceARN: streamArn,
    eventVersion: "1.0",
    invokeIdentityArn: "arn:aws:iam::123456789012:role/cdc-processor",
    kinesis: {
      approximateArrivalTimestamp: (options.arrivalTimeMillis ?? 1_705_314_600_000 + index) / 1000,
      data: bytes.toString("base64"),
      kinesisSchemaVersion: "1.0",
      partitionKey: options.partitionKey ?? `partition-${index % 16}`,
      sequenceNumber
    }
  }
}

/** The three input shapes, by name (for tests that run every shape). */
export type InputShape = "cdc" | "dms" | "kinesis"
export const inputShapes: ReadonlyArray<InputShape> = ["cdc", "dms", "kinesis"]

/**
 * Encodes a change in one of the three input shapes (`kinesis` wraps the DMS JSON).
 *
 * @example
 * ```ts
 * const lines = sampleChanges(12).map((c, i) => JSON.stringify(encodeChange(c, "kinesis", i)))
 * ```
 */
export const encodeChange = (change: Change, shape: InputShape, index = 0): unknown =>
  shape === "cdc" ? toCdcEvent(change) : shape === "dms" ? toDmsRecord(change) : toKinesisRecord(toDmsRecord(change), { index })

// ---------------------------------------------------------------------------------------------
// Sensitive values

const leaves = (value: unknown, out: Array<string>): void => {
  if (typeof value === "string") {
    if (value.length >= 6) out.push(value)
    const trimmed = value.trimStart()
    if (trimmed.startsWith("{") || trimmed.startsWith("[")) {
      try {
        leaves(JSON.parse(value), out)
      } catch {
        // not JSON text: the string itself is already listed
      }
    }
  } else if (typeof value === "number") {
    if (String(value).length >= 6) out.push(String(value))
  } else if (Array.isArray(value)) {
    for (const item of value) leaves(item, out)
  } else if (typeof value === "object" && value !== null) {
    out.push(JSON.stringify(value))
    for (const item of Object.values(value)) leaves(item, out)
  }
}

const isTrue = (value: unknown) => value === true || value === 1 || value === "true" || value === "1"

/**
 * The clear values of a row's protected columns (REMOVE, HASH, PARTIAL_MASK, FULL_MASK,
 * TOKENIZE; conditional rules evaluated on the row), including the leaf strings of JSON values,
 * that must never appear in any output, log line or error. Values shorter than 6 characters
 * (a CVV, a small number) are left out: they occur by chance in ids and timestamps.
 *
 * @example
 * ```ts
 * for (const value of sensitiveValues("users", row)) expect(output).not.toContain(value)
 * ```
 */
export const sensitiveValues = (table: string, row: Row): ReadonlyArray<string> => {
  const out: Array<string> = []
  for (const column of definitionOf(table).columns) {
    const protection = column.protection
    if (protection === undefined) continue
    const condition = protection.when
    if (condition !== undefined && condition.equals === true && !isTrue(row[condition.column])) continue
    leaves(row[column.name], out)
  }
  return out
}
