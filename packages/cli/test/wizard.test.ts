import { spawn } from "node:child_process"
import path from "node:path"
import { describe, expect, it } from "vitest"

const bin = path.resolve(import.meta.dirname, "..", "bin", "cdc.mjs")

/** Runs `cdc --wizard`, presses `key` at its first prompt, and returns the exit code and stdout. */
const cancelWizard = (key: string) =>
  new Promise<{ readonly code: number | null; readonly stdout: string }>((resolve, reject) => {
    const child = spawn(process.execPath, [bin, "--wizard"], { stdio: ["pipe", "pipe", "pipe"] })
    let stdout = ""
    let pressed = false
    child.stdout.on("data", (chunk: Buffer) => {
      stdout += chunk.toString()
      if (!pressed && stdout.includes("Command ›")) {
        pressed = true
        child.stdin.write(key)
      }
    })
    const timer = setTimeout(() => {
      child.kill()
      reject(new Error(`no exit after the key; stdout:\n${stdout}`))
    }, 60_000)
    child.once("exit", (code) => {
      clearTimeout(timer)
      resolve({ code, stdout })
    })
  })

describe("cdc --wizard", { timeout: 120_000 }, () => {
  it("cancelled with Ctrl+C at a prompt exits 130, as Ctrl-C does everywhere else", async () => {
    const { code, stdout } = await cancelWizard("\x03")
    expect(stdout).toContain("Wizard cancelled.")
    expect(code).toBe(130)
  })

  it("cancelled with Escape exits 130 too", async () => {
    const { code, stdout } = await cancelWizard("\x1b")
    expect(stdout).toContain("Wizard cancelled.")
    expect(code).toBe(130)
  })
})
