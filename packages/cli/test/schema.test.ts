import { spawnSync } from "node:child_process"
import { closeSync, existsSync, mkdirSync, mkdtempSync, openSync, readdirSync, readFileSync, writeFileSync } from "node:fs"
import { tmpdir } from "node:os"
import path from "node:path"
import { eventCatalog } from "@cdc/domain/Catalog"
import { describe, expect, it } from "vitest"

const bin = path.resolve(import.meta.dirname, "..", "bin", "cdc.mjs")
const cdc = (args: ReadonlyArray<string>, env: NodeJS.ProcessEnv = {}) =>
  spawnSync(process.execPath, [bin, ...args], {
    encoding: "utf8",
    env: { ...process.env, ...env },
    timeout: 60_000
  })
const dir = mkdtempSync(path.join(tmpdir(), "cdc-schema-"))
const readJson = (file: string) => JSON.parse(readFileSync(file, "utf8"))

describe("cdc schema", { timeout: 120_000 }, () => {
  const catalog = eventCatalog({ sourcePrefix: "acme" })

  it("prints the whole catalog on stdout, CDC_SOURCE_PREFIX naming the sources", () => {
    const result = cdc(["schema"], { CDC_SOURCE_PREFIX: "acme" })
    expect(result.status).toBe(0)
    expect(JSON.parse(result.stdout)).toEqual(catalog)
  })

  it("--out DIR writes index.json and one <eventType>.schema.json per event type, nothing on stdout", () => {
    const out = path.join(dir, "catalog")
    const result = cdc(["schema", "--out", out], { CDC_SOURCE_PREFIX: "acme" })
    expect(result.status).toBe(0)
    expect(result.stdout).toBe("")
    expect(result.stderr).toContain(`wrote ${catalog.schemas.length + 1} files`)
    expect(readdirSync(out).sort()).toEqual(["index.json", ...catalog.schemas.map((s) => s.file)].sort())
    expect(readJson(path.join(out, "index.json"))).toEqual(catalog.index)
    for (const entry of catalog.schemas) expect(readJson(path.join(out, entry.file))).toEqual(entry.schema)
  })

  it("--out DIR over an earlier catalog removes the schemas its index listed that are gone, and leaves other files alone", () => {
    const out = path.join(dir, "earlier")
    expect(cdc(["schema", "--out", out]).status).toBe(0)
    // an event type an earlier version published, in the earlier index; a file of the consumer's own
    const index = readJson(path.join(out, "index.json"))
    const gone = { ...index.eventTypes[0], eventType: "payroll.created", file: "payroll.created.schema.json" }
    writeFileSync(path.join(out, "index.json"), JSON.stringify({ ...index, eventTypes: [...index.eventTypes, gone] }))
    // what an earlier version wrote for it: a schema of that event type
    const earlier = readJson(path.join(out, "user.created.schema.json"))
    earlier.properties.eventType.enum = ["payroll.created"]
    writeFileSync(path.join(out, "payroll.created.schema.json"), JSON.stringify(earlier))
    writeFileSync(path.join(out, "mine.schema.json"), "{}")
    const again = cdc(["schema", "--out", out])
    expect(again.status).toBe(0)
    expect(again.stderr).toContain("removed 1 an earlier index listed")
    expect(readdirSync(out).sort()).toEqual(["index.json", "mine.schema.json", ...catalog.schemas.map((s) => s.file)].sort())
  })

  it("--out DIR never removes a file an index it did not write lists, nor a listed file of the user's own", () => {
    // a directory of the consumer's: its own index.json in the same shape, its own schemas
    const foreign = path.join(dir, "foreign")
    mkdirSync(foreign)
    writeFileSync(
      path.join(foreign, "index.json"),
      JSON.stringify({ eventTypes: [{ eventType: "orders-v2", file: "orders-v2.schema.json" }] })
    )
    writeFileSync(path.join(foreign, "orders-v2.schema.json"), '{"mine":true}')
    expect(cdc(["schema", "--out", foreign]).status).toBe(0)
    expect(existsSync(path.join(foreign, "orders-v2.schema.json")), "listed by an index cdc did not write").toBe(true)
    // cdc's own index, to which the consumer added a schema of theirs
    const merged = path.join(dir, "merged")
    expect(cdc(["schema", "--out", merged]).status).toBe(0)
    const index = readJson(path.join(merged, "index.json"))
    const theirs = { ...index.eventTypes[0], eventType: "mine.created", file: "mine.created.schema.json" }
    writeFileSync(path.join(merged, "index.json"), JSON.stringify({ ...index, eventTypes: [...index.eventTypes, theirs] }))
    writeFileSync(path.join(merged, "mine.created.schema.json"), '{"mine":true}')
    expect(cdc(["schema", "--out", merged]).status).toBe(0)
    expect(existsSync(path.join(merged, "mine.created.schema.json")), "a listed file cdc did not write").toBe(true)
  })

  it("exits 1 when DIR cannot be written, naming it on stderr", () => {
    const file = path.join(dir, "a-file")
    writeFileSync(file, "")
    const result = cdc(["schema", "--out", path.join(file, "catalog")])
    expect(result.status).toBe(1)
    expect(result.stdout).toBe("")
    expect(result.stderr).toContain(`cdc schema: cannot write ${path.join(file, "catalog")} (ENOTDIR)`)
  })

  // Node's recursive mkdir retries /proc/x's parent forever: the command must fail, not hang
  it.runIf(existsSync("/proc/self"))("exits 1 for a directory that cannot be created under /proc, instead of hanging", () => {
    const result = cdc(["schema", "--out", "/proc/cdc-catalog"])
    expect(result.error).toBeUndefined()
    expect(result.status).toBe(1)
    expect(result.stderr).toContain("cdc schema: cannot write /proc/cdc-catalog (ENOENT)")
  })

  // Linux's /dev/full refuses every write with ENOSPC: a full disk on demand
  it.runIf(existsSync("/dev/full"))("exits 1 when stdout cannot be written (a full disk), not 0 with the catalog lost", () => {
    const stdout = openSync("/dev/full", "w")
    const result = spawnSync(process.execPath, [bin, "schema"], { encoding: "utf8", stdio: ["ignore", stdout, "pipe"], timeout: 60_000 })
    closeSync(stdout)
    expect(result.status).toBe(1)
    expect(result.stderr).toContain("cdc: cannot write stdout (ENOSPC)")
  })
})
