/**
 * The emulator a process starts listens on a port no other server holds (tests against another
 * run's emulator would share its state), and dies with that process, even one killed with SIGKILL
 * (no exit handler runs then): an orphaned moto would keep its port and run on unseen.
 */
import { spawn } from "node:child_process"
import { readFileSync } from "node:fs"
import { createServer as createHttpServer } from "node:http"
import { createServer } from "node:net"
import path from "node:path"
import { afterEach, describe, expect, it } from "vitest"
import { EmulatorError, repoRoot, startEmulator } from "../src/Emulator"

/** False once `pid` has exited (a zombie not yet reaped by pid 1 counts as exited). */
const isRunning = (pid: number): boolean => {
  try {
    process.kill(pid, 0)
  } catch {
    return false
  }
  try {
    // "pid (comm) S …": the state follows the command name's closing parenthesis
    const stat = readFileSync(`/proc/${pid}/stat`, "utf8")
    return stat.slice(stat.lastIndexOf(")") + 2, stat.lastIndexOf(")") + 3) !== "Z"
  } catch {
    return true // no /proc (macOS): kill(0) answered
  }
}

const canListen = (port: number) =>
  new Promise<boolean>((resolve) => {
    const server = createServer()
    server.once("error", () => resolve(false))
    server.listen(port, "127.0.0.1", () => server.close(() => resolve(true)))
  })

const until = async (condition: () => boolean | Promise<boolean>, timeoutMs: number): Promise<boolean> => {
  const deadline = Date.now() + timeoutMs
  while (Date.now() < deadline) {
    if (await condition()) return true
    await new Promise((resolve) => setTimeout(resolve, 100))
  }
  return condition()
}

let leftover: number | undefined

afterEach(() => {
  // a failed run must not leave its orphan behind either
  if (leftover !== undefined && isRunning(leftover)) process.kill(leftover, "SIGKILL")
  leftover = undefined
})

describe("startEmulator", () => {
  it("starts an emulator that exits when its parent is killed with SIGKILL, freeing its port", { timeout: 60_000 }, async () => {
    const env = { ...process.env }
    delete env.AWS_ENDPOINT_URL // the parent starts an emulator of its own
    const parent = spawn(process.execPath, ["--import", "tsx", path.join(repoRoot, "packages/testkit/test/support/emulatorParent.ts")], {
      cwd: repoRoot,
      env,
      stdio: ["ignore", "pipe", "inherit"]
    })
    const parentExited = new Promise<void>((resolve) => parent.once("exit", () => resolve()))
    const line = await new Promise<string>((resolve, reject) => {
      let out = ""
      parent.stdout.on("data", (chunk: Buffer) => {
        out += chunk.toString()
        if (out.includes("\n")) resolve(out.split("\n")[0]!)
      })
      parent.once("exit", (code) => reject(new Error(`the parent exited (${code}) before starting the emulator`)))
    })
    const { pid, port } = JSON.parse(line) as { pid: number; port: number }
    leftover = pid
    expect(isRunning(pid)).toBe(true)
    expect((await fetch(`http://127.0.0.1:${port}/moto-api/data.json`)).ok).toBe(true)

    parent.kill("SIGKILL")
    await parentExited
    expect(await until(() => !isRunning(pid), 5_000)).toBe(true)
    expect(await until(() => canListen(port), 5_000)).toBe(true)
  })

  it("refuses a port another server holds, even one answering like moto, instead of using that server", { timeout: 60_000 }, async () => {
    // an impostor answering every request with 200, as a ready moto answers /moto-api/data.json
    const impostor = createHttpServer((_request, response) => response.end("{}"))
    await new Promise<void>((resolve) => impostor.listen(0, "127.0.0.1", resolve))
    const address = impostor.address()
    const port = typeof address === "object" && address !== null ? address.port : 0
    const given = process.env.AWS_ENDPOINT_URL
    delete process.env.AWS_ENDPOINT_URL // start one, as a fresh clone does
    try {
      const started = startEmulator({ port, log: () => {} })
      await expect(started).rejects.toBeInstanceOf(EmulatorError)
      await expect(started).rejects.toThrow(`cannot listen on 127.0.0.1:${port}`)
      // one line to print (`cdc start`, `npm run emulator`); moto's whole output kept beside it
      const error = (await started.catch((e: unknown) => e)) as EmulatorError
      expect(error.message).not.toContain("\n")
      expect(error.output).toContain(`cannot listen on 127.0.0.1:${port}`)
    } finally {
      if (given !== undefined) process.env.AWS_ENDPOINT_URL = given
      await new Promise((resolve) => impostor.close(resolve))
    }
  })
})
