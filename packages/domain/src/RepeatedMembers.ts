/**
 * Whether a record's JSON text names one member twice in one object. `JSON.parse` keeps the last
 * of two members of the same name, another parser may keep the first: such a record says two
 * things at once. That matters where a column decides the protection of another
 * (`configurations.value` is masked when `is_secret`): `{"is_secret": true, "is_secret": false}`
 * would publish the value in clear while the source may have meant it secret. The record path
 * refuses those records (`duplicate-column`), as it refuses a redriven record carrying both of
 * its forms.
 *
 * The look is cheap for the records that need none: a member is written with the name's own
 * characters or with `\u` escapes (no other JSON escape writes a letter, digit or `_`), so a text
 * without a backslash, where the name occurs no more often than in the images that kept the
 * member, cannot repeat it. Only the others are walked, token by token (a name of characters JSON
 * must escape always has a backslash, so it is always walked).
 *
 * @example
 * ```ts
 * repeatsMember('{"data":{"is_secret":true,"is_secret":false}}', "is_secret", 1) // true
 * repeatsMember('{"data":{"is_secret":true},"before-image":{"is_secret":true}}', "is_secret", 2) // false
 * ```
 */
import type { SourceChange } from "./Input"
import type { RuleCondition } from "./TableDefinition"
import type { TablePlan } from "./TablePlan"

/**
 * The column deciding a conditional rule of `plan` that some object of `text` names twice, if
 * any. Tables without conditional rules are not looked at.
 *
 * @example
 * ```ts
 * repeatedConditionColumn(configurationsPlan, change, text) // "is_secret" or undefined
 * ```
 */
export const repeatedConditionColumn = (plan: TablePlan, change: SourceChange, text: string): string | undefined => {
  for (const column of plan.conditional) {
    const name = (column.condition as RuleCondition).column
    const kept = keptIn(change.before, name) + (change.after === change.before ? 0 : keptIn(change.after, name))
    if (repeatsMember(text, name, kept)) return name
  }
  return undefined
}

const keptIn = (image: Readonly<Record<string, unknown>> | undefined, name: string): number =>
  image !== undefined && Object.hasOwn(image, name) ? 1 : 0

/**
 * `text` is JSON that `JSON.parse` accepted; `kept` counts the objects of its parse known to hold
 * the member (each was written at least once), a lower bound the fast path compares with.
 */
export const repeatsMember = (text: string, name: string, kept: number): boolean => {
  // the bare name is looked for, not the quoted one: a search for a pattern starting with `"`
  // stops at every quote of the text (measured: 2.5x slower on a configurations record)
  if (occurrences(text, name) <= kept && text.indexOf("\\") === -1) return false
  return walkRepeats(text, name)
}

/** Non-overlapping occurrences: at least as many as the members written with the name's characters. */
const occurrences = (text: string, name: string): number => {
  if (name.length === 0) return Number.POSITIVE_INFINITY
  let count = 0
  for (let at = text.indexOf(name); at !== -1; at = text.indexOf(name, at + name.length)) count++
  return count
}

const quote = 34
const backslash = 92
const openBrace = 123
const closeBrace = 125
const openBracket = 91
const closeBracket = 93
const comma = 44

/**
 * Walks valid JSON: a stack of the open containers (how often an object has named `name` so far,
 * `-1` for an array), and whether the next string of the innermost object is a member name.
 */
const walkRepeats = (text: string, name: string): boolean => {
  const counts: Array<number> = []
  let expectName = false
  let i = 0
  while (i < text.length) {
    const code = text.charCodeAt(i)
    if (code === quote) {
      const start = i + 1
      let escaped = false
      i = start
      for (let c = text.charCodeAt(i); c !== quote; c = text.charCodeAt(i)) {
        if (c === backslash) {
          escaped = true
          i += 2
        } else i++
      }
      if (expectName) {
        expectName = false
        const member = escaped ? (JSON.parse(text.slice(start - 1, i + 1)) as string) : undefined
        const named = member === undefined ? i - start === name.length && text.startsWith(name, start) : member === name
        if (named) {
          const top = counts.length - 1
          const seen = (counts[top] as number) + 1
          if (seen > 1) return true
          counts[top] = seen
        }
      }
    } else if (code === openBrace) {
      counts.push(0)
      expectName = true
    } else if (code === openBracket) {
      counts.push(-1)
      expectName = false
    } else if (code === closeBrace || code === closeBracket) {
      counts.pop()
      expectName = false
    } else if (code === comma) {
      expectName = counts[counts.length - 1] !== -1
    }
    i++
  }
  return false
}
