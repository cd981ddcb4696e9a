/**
 * The help layout of `cdc`: Effect's default formatter, coloured when the terminal can show it,
 * with every section heading after a blank line. The default leaves none between a command's
 * subcommand table and its EXAMPLES (`cdc --help`, `cdc dlq --help`), so the examples read as
 * one more subcommand.
 *
 * @example
 * ```ts
 * NodeRuntime.runMain(program.pipe(Effect.provide(helpFormatterLayer), Effect.provide(NodeServices.layer)))
 * ```
 */

import { CliOutput, TerminalCapabilities } from "effect/cli"
import * as Effect from "effect/Effect"
import * as Layer from "effect/Layer"

// Terminal styling (SGR sequences) around a heading, e.g. bold.
// biome-ignore lint/suspicious/noControlCharactersInRegex: the escape character is what is matched
const styling = /\u001b\[[0-9;]*m/g

/** `USAGE`, `GLOBAL FLAGS`, `EXAMPLES`…: a line of capitals alone, once styling is taken off. */
const isHeading = (line: string): boolean => /^[A-Z][A-Z ]*[A-Z]$/.test(line.replace(styling, ""))

/**
 * A help text with a blank line before every section heading that lacks one.
 *
 * @example
 * ```ts
 * spaceSections("SUBCOMMANDS\n  dlq  …\nEXAMPLES\n  cdc dlq list") // "SUBCOMMANDS\n  dlq  …\n\nEXAMPLES\n  cdc dlq list"
 * ```
 */
export const spaceSections = (help: string): string => {
  const lines = help.split("\n")
  const out: Array<string> = []
  lines.forEach((line, index) => {
    if (index > 0 && isHeading(line) && out[out.length - 1] !== "") out.push("")
    out.push(line)
  })
  return out.join("\n")
}

/**
 * The `Formatter` every help text of `cdc` goes through (explicit `--help` and usage errors alike).
 * A `Reference` (it has a default) is keyed by `never` in a layer's type.
 */
export const helpFormatterLayer: Layer.Layer<never> = Layer.effect(
  CliOutput.Formatter,
  Effect.gen(function* () {
    const { canColor } = yield* TerminalCapabilities.TerminalCapabilities
    const base = CliOutput.defaultFormatter({ colors: canColor })
    return { ...base, formatHelpDoc: (doc) => spaceSections(base.formatHelpDoc(doc)) }
  })
)
