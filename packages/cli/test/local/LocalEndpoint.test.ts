import { mkdtempSync, readFileSync, writeFileSync } from "node:fs"
import { tmpdir } from "node:os"
import path from "node:path"
import { Effect } from "effect"
import { describe, expect, it } from "vitest"
import { announceLocalEndpoint, readLocalEndpoint } from "../../src/local/LocalEndpoint"

const where = { endpoint: "http://127.0.0.1:4566", stream: "cdc-pipeline-local-changes", archiveBucket: "cdc-pipeline-local-dlq-archive" }

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
    expect(during).toEqual({ ...where, pid: process.pid })
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
})
