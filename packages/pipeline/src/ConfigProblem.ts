/**
 * An invalid configuration as one line that names the variable first. Effect's message puts the
 * variable on a line of its own after the problem (`Expected a value greater than or equal to
 * 1\n  at ["CDC_BREAKER_FAILURE_THRESHOLD"]`); in a script's log, or beside other errors, the
 * variable is what the reader looks for. The message is Effect's own, which names the expected
 * form and never the value given (a redaction key may be the value).
 *
 * @example
 * ```ts
 * configProblem('Expected a value greater than or equal to 1\n  at ["CDC_BREAKER_FAILURE_THRESHOLD"]')
 * // "CDC_BREAKER_FAILURE_THRESHOLD: Expected a value greater than or equal to 1"
 * ```
 */
export const configProblem = (message: string): string => {
  const lines = message.split("\n")
  const problems: Array<string> = []
  let pending: Array<string> = []
  for (const line of lines) {
    const at = /^\s*at (\[.*\])$/.exec(line)
    const path = at === null ? undefined : pathOf(at[1] as string)
    if (path === undefined) {
      if (line.trim() !== "") pending.push(line.trim())
      continue
    }
    problems.push(`${path}: ${pending.join(" ")}`)
    pending = []
  }
  if (pending.length > 0) problems.push(pending.join(" "))
  return problems.join("; ")
}

/** `["CDC_X"]` → `CDC_X`; a nested path joined with dots; anything else is no path. */
const pathOf = (text: string): string | undefined => {
  try {
    const path: unknown = JSON.parse(text)
    return Array.isArray(path) && path.length > 0 && path.every((key) => typeof key === "string" || typeof key === "number")
      ? path.join(".")
      : undefined
  } catch {
    return undefined
  }
}
