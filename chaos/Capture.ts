/**
 * Captures this process's stdout and stderr (the functions' JSON logs and EMF lines) for the leak
 * scan, and into a file for the operator, while the harness keeps its own line to the terminal.
 *
 * @example
 * ```ts
 * const output = captureOutput("chaos/results/functions.log")
 * output.terminal("progress\n")
 * output.captured().includes("canary") // false
 * output.restore()
 * ```
 */
import { appendFileSync, mkdirSync, writeFileSync } from "node:fs"
import path from "node:path"

export const captureOutput = (file: string) => {
  mkdirSync(path.dirname(file), { recursive: true })
  writeFileSync(file, "")
  const chunks: Array<string> = []
  const original = { out: process.stdout.write.bind(process.stdout), err: process.stderr.write.bind(process.stderr) }
  const sink = ((chunk: string | Uint8Array) => {
    const text = typeof chunk === "string" ? chunk : Buffer.from(chunk).toString("utf8")
    chunks.push(text)
    appendFileSync(file, text)
    return true
  }) as typeof process.stdout.write
  process.stdout.write = sink
  process.stderr.write = sink
  return {
    terminal: (text: string) => original.err(text),
    captured: () => chunks.join(""),
    restore: () => {
      process.stdout.write = original.out
      process.stderr.write = original.err
    }
  }
}
