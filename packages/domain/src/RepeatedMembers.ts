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
 * without `\u`, where the name occurs no more often than in the images that kept the member,
 * cannot repeat it. Only the others are walked, token by token (a name with a character of JSON's
 * short escapes, `"`, `\`, `/` or a control character, looks for any backslash instead). The walk also
 * refuses an object naming twice a member whose value holds the name: `{"data":{…},"data":{…}}`.
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
  // only a `\u` escape writes a name's character, unless the name has one of the characters of
  // JSON's short escapes: other escapes (`\"`, `\n`, in values) leave the record on the fast path
  if (occurrences(text, name) <= kept && text.indexOf(shortEscaped(name) ? "\\" : "\\u") === -1) return false
  return walkRepeats(text, name)
}

/** Whether JSON may write one of the name's characters with a short escape (`\"`, `\\`, `\/`, `\n`, …). */
const shortEscaped = (name: string): boolean => {
  for (let i = 0; i < name.length; i++) {
    const c = name.charCodeAt(i)
    if (c < 32 || c === quote || c === backslash || c === slash) return true
  }
  return false
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
const slash = 47
const openBrace = 123
const closeBrace = 125
const openBracket = 91
const closeBracket = 93
const comma = 44

/** An open container of the walk: an array, or an object with the members it has named so far. */
interface Frame {
  /** Each member name: how often it was written, and whether one of its values holds a member `name`. */
  readonly members: Map<string, { count: number; holds: boolean }> | undefined
  /** The member whose value is being read. */
  key: string | undefined
  /** Whether this container (at any depth) holds a member `name`. */
  holds: boolean
  /** Whether some member of this object was written twice. */
  repeated: boolean
}

/**
 * Walks valid JSON: a stack of the open containers, and whether the next string of the innermost
 * object is a member name. True when an object names `name` twice, or names twice a member one of
 * whose values holds `name` (`{"data":{"is_secret":true},"data":{"is_secret":false}}`: `JSON.parse`
 * keeps the last image, another reader the first, the same ambiguity one level up).
 */
const walkRepeats = (text: string, name: string): boolean => {
  const stack: Array<Frame> = []
  let expectName = false
  let i = 0
  const close = (): boolean => {
    const frame = stack.pop() as Frame
    expectName = false
    if (frame.repeated && frame.members !== undefined) {
      for (const member of frame.members.values()) if (member.count > 1 && member.holds) return true
    }
    const parent = stack[stack.length - 1]
    if (frame.holds && parent !== undefined) {
      parent.holds = true
      if (parent.members !== undefined && parent.key !== undefined) (parent.members.get(parent.key) as { holds: boolean }).holds = true
    }
    return false
  }
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
        const frame = stack[stack.length - 1] as Frame
        const member = escaped ? (JSON.parse(text.slice(start - 1, i + 1)) as string) : text.slice(start, i)
        const named = member === name
        const seen = (frame.members as Map<string, { count: number; holds: boolean }>).get(member)
        if (seen === undefined) (frame.members as Map<string, { count: number; holds: boolean }>).set(member, { count: 1, holds: named })
        else {
          if (named) return true
          seen.count++
          frame.repeated = true
        }
        if (named) frame.holds = true
        frame.key = member
      }
    } else if (code === openBrace) {
      stack.push({ members: new Map(), key: undefined, holds: false, repeated: false })
      expectName = true
    } else if (code === openBracket) {
      stack.push({ members: undefined, key: undefined, holds: false, repeated: false })
      expectName = false
    } else if (code === closeBrace || code === closeBracket) {
      if (close()) return true
    } else if (code === comma) {
      expectName = (stack[stack.length - 1] as Frame).members !== undefined
    }
    i++
  }
  return false
}
