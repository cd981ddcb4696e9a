/**
 * Change computation: INSERT publishes `new` only, DELETE `old` only, UPDATE only the fields
 * whose coerced values differ by deep equality. Protection applies to `old` and `new` alike;
 * REMOVE columns and undeclared columns (when withheld) never reach the output.
 *
 * A conditional rule (e.g. `configurations.value` when `is_secret`) applies when its condition
 * holds in either image, or cannot be evaluated there (the column absent or null: fail closed):
 * a secret that becomes public, or the reverse, never shows its secret side.
 *
 * Tables without conditional rules (all but `configurations`) take one-pass paths that build no
 * intermediate copy of a row (an UPDATE, unless the table publishes undeclared columns); the
 * general path coerces both images first because a condition must be known before any column
 * is published.
 *
 * @example
 * ```ts
 * const plan = compileTable(tables.get("users")!, makeSecrets(keys))
 * computeChanges(plan, "INSERT", undefined, { id: 1, email: "ada@example.com" })
 * ```
 */
import type { InvalidValueReason } from "./Errors"
import type { Operation, RuleCondition } from "./TableDefinition"
import type { ColumnPlan, TablePlan } from "./TablePlan"
import { deepEqual, Invalid, withinJsonDepth } from "./Values"

type Image = Readonly<Record<string, unknown>>
type FieldChange = { old?: unknown; new?: unknown }

/** What a change became: the published `changes`, or the first invalid column. */
export type ChangesResult =
  | {
      readonly _tag: "Changes"
      readonly changes: Record<string, FieldChange>
      readonly entityId: string | undefined
      readonly withheld: ReadonlyArray<string>
    }
  | { readonly _tag: "InvalidColumn"; readonly column: string; readonly reason: InvalidValueReason }

/** The first column of an image that could not be coerced. */
class InvalidAt {
  constructor(
    readonly column: string,
    readonly reason: InvalidValueReason
  ) {}
}

/**
 * An undeclared column is published only under the `publish` policy, and never one named
 * `__proto__`: a plain object cannot hold that key (the assignment sets its prototype), so it is
 * withheld and reported like any other.
 */
const publishesUndeclared = (plan: TablePlan, name: string): boolean => plan.publishUndeclared && name !== "__proto__"

/** Undeclared columns seen in a change, in the order first seen (allocated only when there is one). */
type Withheld = Array<string> | undefined

/**
 * The plan of column `name` of a row, where `slot` is where the previous column's plan was
 * found plus one. DMS writes a row's columns in the source table's order, and a definition
 * lists them in that order too, so the guess is right for nearly every column: one comparison
 * of two internalised strings instead of a `Map` lookup (≈ 1.4% of the record path, measured
 * with `npm run bench:compare`). A wrong guess (a column out of order, added or dropped) costs
 * that comparison more, and the next column is guessed from where this one was found.
 */
const columnOf = (plan: TablePlan, name: string, slot: number): ColumnPlan | undefined => {
  const guess = plan.bySlot[slot]
  return guess !== undefined && guess.name === name ? guess : plan.columns.get(name)
}

/**
 * The withheld columns of a long list, as a set beside it: a record of a hostile writer may carry
 * 100,000 undeclared columns, and `includes` over them all for each (quadratic: ≈ 10 s for one
 * 1 MB record) would hold up the window. Once a list is this long it only grows, so every later
 * name passes through its set, which stays whole.
 */
const longWithheld = new WeakMap<Array<string>, Set<string>>()
const shortList = 32

const withhold = (withheld: Withheld, name: string): Array<string> => {
  if (withheld === undefined) return [name]
  if (withheld.length < shortList) {
    if (!withheld.includes(name)) withheld.push(name)
    return withheld
  }
  let seen = longWithheld.get(withheld)
  if (seen === undefined) {
    seen = new Set(withheld)
    longWithheld.set(withheld, seen)
  }
  if (!seen.has(name)) {
    seen.add(name)
    withheld.push(name)
  }
  return withheld
}

/** A coerced image, with the undeclared columns it withheld; or the first invalid column. */
class Coerced {
  constructor(
    readonly values: Record<string, unknown>,
    readonly withheld: Withheld
  ) {}
}

const coercedImage = (plan: TablePlan, image: Image, withheldBefore: Withheld): Coerced | InvalidAt => {
  const out: Record<string, unknown> = {}
  let withheld = withheldBefore
  let next = 0
  for (const name in image) {
    const column = columnOf(plan, name, next)
    if (column === undefined) {
      if (publishesUndeclared(plan, name)) {
        if (!withinJsonDepth(image[name])) return new InvalidAt(name, "json-too-deep")
        out[name] = image[name]
      } else withheld = withhold(withheld, name)
      continue
    }
    next = column.slot + 1
    if (column.removed) continue
    const value = column.coerce(image[name])
    if (value instanceof Invalid) return new InvalidAt(name, value.reason)
    out[name] = value
  }
  return new Coerced(out, withheld)
}

const changesOf = (changes: Record<string, FieldChange>, key: unknown, withheld: Withheld): ChangesResult => ({
  _tag: "Changes",
  changes,
  entityId: key === undefined || key === null ? undefined : String(key),
  withheld: withheld ?? noColumns
})

/**
 * INSERT and DELETE of a table without conditional rules: one image, coerced and protected in
 * one pass (no intermediate copy of the row).
 */
const singleImage = (plan: TablePlan, image: Image, side: "old" | "new"): ChangesResult => {
  const changes: Record<string, FieldChange> = {}
  const keyName = plan.key.name
  let key: unknown
  let withheld: Withheld
  let next = 0
  for (const name in image) {
    const column = columnOf(plan, name, next)
    if (column === undefined) {
      if (publishesUndeclared(plan, name)) {
        if (!withinJsonDepth(image[name])) return { _tag: "InvalidColumn", column: name, reason: "json-too-deep" }
        changes[name] = side === "new" ? { new: image[name] } : { old: image[name] }
      } else withheld = withhold(withheld, name)
      continue
    }
    next = column.slot + 1
    if (column.removed) continue
    const coerced = column.coerce(image[name])
    if (coerced instanceof Invalid) return { _tag: "InvalidColumn", column: name, reason: coerced.reason }
    if (name === keyName) key = coerced
    const value = column.redact === undefined ? coerced : column.redact(coerced)
    changes[name] = side === "new" ? { new: value } : { old: value }
  }
  return changesOf(changes, key, withheld)
}

/**
 * UPDATE of a table without conditional rules that withholds undeclared columns. The before
 * image is coerced (and so validated) whole, into an array by column slot rather than a copy
 * of the row (measured: a users UPDATE 2.3 → 2.0 µs); an after value
 * stored exactly as before is the same published value and is neither coerced again nor
 * compared (most columns of an UPDATE).
 */
const updateImages = (plan: TablePlan, beforeRaw: Image, afterRaw: Image): ChangesResult => {
  // coerced before values by slot; a coerced value is never `undefined`, which marks an absent column
  const before = new Array<unknown>(plan.columns.size)
  let withheld: Withheld
  let next = 0
  // the before image's published columns, to know whether the after image has them all
  let beforeCount = 0
  for (const name in beforeRaw) {
    const column = columnOf(plan, name, next)
    if (column === undefined) withheld = withhold(withheld, name)
    else {
      next = column.slot + 1
      if (column.removed) continue
      const value = column.coerce(beforeRaw[name])
      if (value instanceof Invalid) return { _tag: "InvalidColumn", column: name, reason: value.reason }
      before[column.slot] = value
      beforeCount++
    }
  }
  const keyName = plan.key.name
  let afterKey: unknown
  const changes: Record<string, FieldChange> = {}
  next = 0
  let inBeforeCount = 0
  for (const name in afterRaw) {
    const column = columnOf(plan, name, next)
    if (column === undefined) {
      withheld = withhold(withheld, name)
      continue
    }
    next = column.slot + 1
    if (column.removed) continue
    const raw = afterRaw[name]
    const old = before[column.slot]
    const inBefore = old !== undefined
    if (inBefore) inBeforeCount++
    let value: unknown
    if (inBefore && raw === beforeRaw[name]) value = old
    else {
      value = column.coerce(raw)
      if (value instanceof Invalid) return { _tag: "InvalidColumn", column: name, reason: value.reason }
    }
    if (name === keyName) afterKey = value
    if (inBefore && (old === value || deepEqual(old, value))) continue
    const redact = column.redact
    changes[name] = inBefore
      ? { old: redact === undefined ? old : redact(old), new: redact === undefined ? value : redact(value) }
      : { new: redact === undefined ? value : redact(value) }
  }
  // only a column the after image lacks is published from the before image alone (an after image rarely lacks one)
  if (inBeforeCount === beforeCount) return changesOf(changes, afterKey ?? before[plan.key.slot], withheld)
  for (const name in beforeRaw) {
    const column = plan.columns.get(name)
    if (column === undefined || column.removed || Object.hasOwn(afterRaw, name)) continue
    const redact = column.redact
    const old = before[column.slot]
    changes[name] = { old: redact === undefined ? old : redact(old) }
  }
  return changesOf(changes, afterKey ?? before[plan.key.slot], withheld)
}

/** Whether a condition holds in an image, or cannot be evaluated there: its column absent or null. */
const holds = (condition: RuleCondition, image: Record<string, unknown> | undefined): boolean => {
  if (image === undefined) return false
  const value = image[condition.column]
  return value === undefined || value === null || value === condition.equals
}

/** The columns whose conditional protection applies to this change. */
const protectedByCondition = (
  plan: TablePlan,
  before: Record<string, unknown> | undefined,
  after: Record<string, unknown> | undefined
): Set<string> | undefined => {
  let applies: Set<string> | undefined
  for (const column of plan.conditional) {
    if (holds(column.condition as RuleCondition, before) || holds(column.condition as RuleCondition, after)) {
      applies ??= new Set()
      applies.add(column.name)
    }
  }
  return applies
}

/** The published form of a coerced value: redacted when its protection applies to this change. */
const published = (plan: TablePlan, conditional: Set<string> | undefined, name: string, value: unknown): unknown => {
  const column = plan.columns.get(name)
  if (column === undefined || column.redact === undefined) return value
  if (column.condition !== undefined && conditional?.has(name) !== true) return value
  return column.redact(value)
}

/** A conditional REMOVE that applies to this change: the column is left out. */
const dropped = (plan: TablePlan, conditional: Set<string> | undefined, name: string): boolean => {
  if (conditional === undefined) return false
  const column = plan.columns.get(name)
  return column?.condition !== undefined && column.redact === undefined && conditional.has(name)
}

/**
 * Coerces, diffs and redacts one change of a table.
 *
 * @example
 * ```ts
 * computeChanges(plan, "INSERT", undefined, { id: 1, email: "ada@example.com" })
 * // { _tag: "Changes", changes: { id: { new: 1 }, email: { new: "a**@example.com" } }, entityId: "1", withheld: [] }
 * ```
 */
export const computeChanges = (
  plan: TablePlan,
  operation: Operation,
  beforeRaw: Image | undefined,
  afterRaw: Image | undefined
): ChangesResult => {
  if (plan.conditional.length === 0) {
    if (operation === "INSERT" && afterRaw !== undefined) return singleImage(plan, afterRaw, "new")
    if (operation === "DELETE" && beforeRaw !== undefined) return singleImage(plan, beforeRaw, "old")
    if (operation === "UPDATE" && beforeRaw !== undefined && afterRaw !== undefined && !plan.publishUndeclared) {
      return updateImages(plan, beforeRaw, afterRaw)
    }
  }
  let withheld: Withheld
  let before: Record<string, unknown> | undefined
  let after: Record<string, unknown> | undefined
  if (beforeRaw !== undefined && operation !== "INSERT") {
    const result = coercedImage(plan, beforeRaw, withheld)
    if (result instanceof InvalidAt) return { _tag: "InvalidColumn", column: result.column, reason: result.reason }
    before = result.values
    withheld = result.withheld
  }
  if (afterRaw !== undefined && operation !== "DELETE") {
    const result = coercedImage(plan, afterRaw, withheld)
    if (result instanceof InvalidAt) return { _tag: "InvalidColumn", column: result.column, reason: result.reason }
    after = result.values
    withheld = result.withheld
  }
  // an UPDATE without its before image (a DMS task that sends none) had a row before it that
  // cannot be evaluated: fail closed, as for a condition's column absent from an image
  const conditional =
    plan.conditional.length === 0
      ? undefined
      : protectedByCondition(plan, operation === "UPDATE" && before === undefined ? {} : before, after)
  const changes: Record<string, FieldChange> = {}
  if (operation === "INSERT" || (operation === "UPDATE" && before === undefined)) {
    for (const name in after)
      if (!dropped(plan, conditional, name)) changes[name] = { new: published(plan, conditional, name, after[name]) }
  } else if (operation === "DELETE") {
    for (const name in before)
      if (!dropped(plan, conditional, name)) changes[name] = { old: published(plan, conditional, name, before[name]) }
  } else {
    const b = before as Record<string, unknown>
    const a = after ?? {}
    for (const name in a) {
      if (dropped(plan, conditional, name)) continue
      const inBefore = Object.hasOwn(b, name)
      if (inBefore && (b[name] === a[name] || deepEqual(b[name], a[name]))) continue
      changes[name] = inBefore
        ? { old: published(plan, conditional, name, b[name]), new: published(plan, conditional, name, a[name]) }
        : { new: published(plan, conditional, name, a[name]) }
    }
    for (const name in b) {
      if (!Object.hasOwn(a, name) && !dropped(plan, conditional, name)) changes[name] = { old: published(plan, conditional, name, b[name]) }
    }
  }
  const keyName = plan.key.name
  const key = after?.[keyName] ?? before?.[keyName]
  return changesOf(changes, key, withheld)
}

const noColumns: ReadonlyArray<string> = []
