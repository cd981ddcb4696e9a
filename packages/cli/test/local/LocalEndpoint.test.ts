import { spawnSync } from "node:child_process"
import { mkdtempSync, readFileSync, writeFileSync } from "node:fs"
import { tmpdir } from "node:os"
import path from "node:path"
import * as Effect from "effect/Effect"
import { describe, expect, it } from "vitest"
import { announceLocalEndpoint, claimStateDir, readLocalEndpoint, useLocalEndpoint } from "../../src/local/LocalEndpoint"
import { currentProcess, formatIdentity, startTimeOf } from "../../src/local/ProcessIdentity"

const where = {
  endpoint: "http://127.0.0.1:4566",
  stream: "cdc-pipeline-local-changes",
  archiveBucket: "cdc-pipeline-local-dlq-archive",
  region: "us-east-1"
}

describe("the local endpoint file", () => {
  it("is there while `cdc start` runs, and gone after", async () => {
    const dir = mkdtempSync(path.join(tmpdir(), "cdc-local-"))
    const during = await Effect.runPromise(
      Effect.scoped(
        Effect.andThen(
          announceLocalEndpoint(dir, where),
          Effect.sync(() => readLocalEndpoint(dir))
        )
      )
    )
    expect(during).toEqual({ ...where, ...currentProcess() })
    expect(readLocalEndpoint(dir)).toBeUndefined()
  })

  it("is left alone on exit when another live `cdc start` owns it", async () => {
    const dir = mkdtempSync(path.join(tmpdir(), "cdc-local-"))
    const other = { ...where, pid: process.ppid } // a live process that is not this one
    await Effect.runPromise(
      Effect.scoped(
        Effect.andThen(
          announceLocalEndpoint(dir, where),
          Effect.sync(() => writeFileSync(path.join(dir, "local.json"), JSON.stringify(other)))
        )
      )
    )
    expect(JSON.parse(readFileSync(path.join(dir, "local.json"), "utf8"))).toEqual(other)
    expect(readLocalEndpoint(dir)?.pid).toBe(process.ppid)
  })

  it("is ignored when the `cdc start` that wrote it is gone", () => {
    const dir = mkdtempSync(path.join(tmpdir(), "cdc-local-"))
    const gone = spawnSync(process.execPath, ["-e", ""]).pid
    writeFileSync(path.join(dir, "local.json"), JSON.stringify({ ...where, pid: gone }))
    expect(readLocalEndpoint(dir)).toBeUndefined()
  })

  it.runIf(startTimeOf(process.ppid) !== undefined)("is ignored when its pid now belongs to another process", () => {
    // a crashed `cdc start` whose pid was given to a later process (a container, a reboot)
    const dir = mkdtempSync(path.join(tmpdir(), "cdc-local-"))
    writeFileSync(path.join(dir, "local.json"), JSON.stringify({ ...where, pid: process.ppid, started: "1" }))
    expect(readLocalEndpoint(dir)).toBeUndefined()
    writeFileSync(path.join(dir, "local.json"), JSON.stringify({ ...where, pid: process.ppid, started: startTimeOf(process.ppid) }))
    expect(readLocalEndpoint(dir)?.pid).toBe(process.ppid)
  })
})

describe("useLocalEndpoint", () => {
  it("points the AWS SDK at the running emulator and its region, whatever the shell has set for AWS", () => {
    const names = ["AWS_ENDPOINT_URL", "AWS_REGION", "AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN"] as const
    const saved = names.map((name) => [name, process.env[name]] as const)
    try {
      // a shell set up for AWS and another emulator: the local pipeline is in none of them
      Object.assign(process.env, {
        AWS_ENDPOINT_URL: "http://127.0.0.1:9999",
        AWS_REGION: "eu-west-1",
        AWS_ACCESS_KEY_ID: "AKIAREALKEY",
        AWS_SECRET_ACCESS_KEY: "real-secret",
        AWS_SESSION_TOKEN: "real-token"
      })
      useLocalEndpoint({ ...where, region: "us-west-2", pid: process.pid })
      expect(names.map((name) => process.env[name])).toEqual([where.endpoint, "us-west-2", "testing", "testing", undefined])
      // a file of an older version names no region: the one `cdc start` used then
      const { region: _, ...older } = where
      useLocalEndpoint({ ...older, pid: process.pid })
      expect(process.env.AWS_REGION).toBe("us-east-1")
    } finally {
      for (const [name, value] of saved) {
        if (value === undefined) delete process.env[name]
        else process.env[name] = value
      }
    }
  })
})

describe("claiming a state dir for `cdc start`", () => {
  const claim = (dir: string) => Effect.runPromise(Effect.scoped(claimStateDir(dir)))
  it("is refused while another live `cdc start` holds it, before that one has announced anything", async () => {
    const dir = mkdtempSync(path.join(tmpdir(), "cdc-local-"))
    const during = await Effect.runPromise(
      Effect.scoped(
        Effect.gen(function* () {
          const mine = yield* claimStateDir(dir)
          return { mine, lock: readFileSync(path.join(dir, "start.lock"), "utf8").trim() }
        })
      )
    )
    expect(during).toEqual({ mine: undefined, lock: formatIdentity(currentProcess()) })
    // released with its scope: the next start claims it
    expect(await claim(dir)).toBeUndefined()
    writeFileSync(path.join(dir, "start.lock"), `${process.ppid}\n`) // a live process that is not this one
    expect(await claim(dir)).toBe(process.ppid)
    expect(readFileSync(path.join(dir, "start.lock"), "utf8").trim()).toBe(String(process.ppid))
  })

  it("takes over a lock whose process is gone (a crash)", async () => {
    const dir = mkdtempSync(path.join(tmpdir(), "cdc-local-"))
    const gone = spawnSync(process.execPath, ["-e", "process.stdout.write(String(process.pid))"], { encoding: "utf8" }).stdout
    writeFileSync(path.join(dir, "start.lock"), `${gone}\n`)
    expect(await claim(dir)).toBeUndefined()
  })

  it.runIf(startTimeOf(process.ppid) !== undefined)("takes over a lock whose pid now belongs to another process", async () => {
    // the pid of a crashed `cdc start`, given since to a live process: not a `cdc start` running
    const dir = mkdtempSync(path.join(tmpdir(), "cdc-local-"))
    writeFileSync(path.join(dir, "start.lock"), `${process.ppid} 1\n`)
    expect(await claim(dir)).toBeUndefined()
    writeFileSync(path.join(dir, "start.lock"), `${formatIdentity({ pid: process.ppid, started: startTimeOf(process.ppid) as string })}\n`)
    expect(await claim(dir)).toBe(process.ppid)
  })
})
