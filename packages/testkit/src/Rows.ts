/**
 * Generators of CoreDB rows, derived from the table definitions of `@cdc/domain/Tables` (one
 * source of truth): realistic values per column (emails, phones, card numbers, addresses as JSON,
 * decimals as strings, DMS timestamps, 0/1 booleans, ...), with recognisable sensitive "canary"
 * values, as fast-check arbitraries ({@link rowArbitrary}) and seeded samples ({@link sampleRows}).
 *
 * @example
 * ```ts
 * import { sampleRows } from "@cdc/testkit/Rows"
 * const users = sampleRows("users", 10, 42) // the same ten rows on every run
 * ```
 */
import { type ColumnDefinition, tableNames } from "@cdc/domain/Tables"
import fc from "fast-check"
import { definitionOf } from "./internal/tableDefinition"

/** A CoreDB row as DMS stores it (column name → raw value). */
export type Row = Readonly<Record<string, unknown>>

const pad = (n: number, width: number) => String(n).padStart(width, "0")
const firstNames = ["Ada", "Grace", "Linus", "Margaret", "Alan", "Barbara", "Dennis", "Frances", "Ken", "Radia"]
const lastNames = ["Lovelace", "Hopper", "Torvalds", "Hamilton", "Turing", "Liskov", "Ritchie", "Allen", "Perlman"]
const streets = ["Canary Wharf Road", "Canary Lane", "Sensitive Street", "Privacy Avenue", "Hidden Close"]
const cities = ["London", "Paris", "Berlin", "Lisbon", "Dublin", "Austin"]
const statuses = ["pending", "active", "shipped", "delivered", "cancelled", "refunded"]

/** A moment between 2020-01-01 and 2026-01-01, in epoch millis. */
export const timeMillis = fc.integer({ min: 1_577_836_800_000, max: 1_767_225_600_000 })

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
