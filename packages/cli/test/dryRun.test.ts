import { spawnSync } from "node:child_process"
import { closeSync, existsSync, mkdtempSync, openSync, readFileSync, writeFileSync } from "node:fs"
import { tmpdir } from "node:os"
import path from "node:path"
import { tableNames, tables } from "@cdc/domain/Tables"
import { type Change, sampleChanges } from "@cdc/testkit/Changes"
import { dmsControlRecord, encodeChange, inputShapes, toCdcEvent } from "@cdc/testkit/InputShapes"
import { sensitiveValues } from "@cdc/testkit/SensitiveValues"
import { beforeAll, describe, expect, it } from "vitest"
import { runCli } from "./local/cliProcess"

const bin = path.resolve(import.meta.dirname, "..", "bin", "cdc.mjs")
const cdc = (args: ReadonlyArray<string>, input?: string) =>
  spawnSync(process.execPath, [bin, ...args], {
    input,
    encoding: "utf8",
    env: { ...process.env, CDC_EVENT_BUS_NAME: "test-bus" },
    timeout: 60_000
  })
/** The CLI as a child process with a stdin pipe, started from `main.ts` so a SIGINT reaches it (as Ctrl-C does). */
const cdcChild = (args: ReadonlyArray<string>) => runCli(args, { ...process.env, CDC_EVENT_BUS_NAME: "test-bus" }, { stdin: true })
const dir = mkdtempSync(path.join(tmpdir(), "cdc-dry-run-"))

describe("cdc dry-run", { timeout: 120_000 }, () => {
  const changes: ReadonlyArray<Change> = sampleChanges(72, 21)
  const lines = changes.flatMap((change, index) => inputShapes.map((shape) => JSON.stringify(encodeChange(change, shape, index))))
  const bad = [
    "{not json",
    JSON.stringify({ tableName: "payroll", operation: "INSERT", afterImage: { id: 1, salary: "99999-canary" }, timestamp: 0 }),
    JSON.stringify({ ...toCdcEvent(changes[0] as Change), afterImage: { ...(changes[0] as Change).after, id: "canary-not-an-int" } }),
    JSON.stringify(dmsControlRecord({ table: "users", operation: "add-column", columns: ["nickname"], changeTimeMillis: 0 }))
  ]
  const file = path.join(dir, "in.ndjson")
  writeFileSync(file, `${[...lines, "", ...bad].join("\n")}\n`)

  let result: ReturnType<typeof cdc>
  beforeAll(() => {
    result = cdc(["dry-run", file])
  }, 120_000)

  it("prints one entry per published record of all twelve tables in all three shapes, rejects on stderr", () => {
    expect(result.status).toBe(0)
    const entries = result.stdout
      .trim()
      .split("\n")
      .map((line) => JSON.parse(line))
    expect(entries).toHaveLength(lines.length)
    expect(new Set(entries.map((e) => e.Source))).toEqual(new Set(tableNames.map((t) => `cdc-pipeline.${t}`)))
    for (const entry of entries) {
      expect(Object.keys(entry).sort()).toEqual(["Detail", "DetailType", "EventBusName", "Source", "Time"])
      expect(entry.EventBusName).toBe("test-bus")
      expect(JSON.parse(entry.Detail).eventType).toBe(entry.DetailType)
    }
    const rejects = result.stderr
      .split("\n")
      .filter((line) => line.startsWith("{"))
      .map((line) => JSON.parse(line))
    const first = lines.length + 2
    expect(rejects.map((r) => [r.line, r.code, r.category])).toEqual([
      [first, "invalid-json", "poison"],
      [first + 1, "unknown-table", "configuration"],
      [first + 2, "not-an-integer", "poison"]
    ])
    expect(rejects[2].column).toBe("id")
    expect(rejects[1].coordinates).toEqual({ table: "payroll" })
    expect(result.stderr).toContain(
      `${lines.length + bad.length + 1} lines (1 blank), ${lines.length} published, 1 skipped (control-record 1), 3 rejected`
    )
  })

  it("never prints a protected value on stdout or stderr", () => {
    const output = result.stdout + result.stderr
    expect(output).not.toContain("canary")
    for (const change of changes) {
      for (const row of [change.before, change.after]) {
        if (row === undefined) continue
        for (const value of sensitiveValues(change.table, row)) expect(output).not.toContain(value)
      }
    }
  })

  it("reads stdin and writes rejects to --rejects FILE", () => {
    const rejectsFile = path.join(dir, "rejects.ndjson")
    const result = cdc(["dry-run", "--rejects", rejectsFile], `${bad.join("\n")}\n`)
    expect(result.status).toBe(0)
    expect(result.stdout).toBe("")
    const rejects = readFileSync(rejectsFile, "utf8")
      .trim()
      .split("\n")
      .map((line) => JSON.parse(line))
    expect(rejects.map((r) => r.line)).toEqual([1, 2, 3])
    expect(result.stderr).not.toContain('"line"')
  })

  it("reads stdin when FILE is -", () => {
    const result = cdc(["dry-run", "-"], `${lines.slice(0, 3).join("\n")}\n`)
    expect(result.status).toBe(0)
    expect(result.stdout.trim().split("\n")).toHaveLength(3)
  })

  it("rejects a line over 64 MiB unread, as line-too-long, and reads the records after it", () => {
    const huge = path.join(dir, "huge.ndjson")
    const long = `{"tableName":"users","afterImage":{"email":"${"canary".repeat(11_200_000)}"}}`
    writeFileSync(huge, `${lines[0]}\n${long}\n${lines[1]}\n`)
    const result = cdc(["dry-run", huge])
    expect(result.status).toBe(0)
    expect(result.stdout.trim().split("\n"), "the records before and after it").toHaveLength(2)
    const [reject] = result.stderr.split("\n").filter((line) => line.startsWith("{"))
    expect(JSON.parse(reject as string)).toMatchObject({ line: 2, error: "LineTooLongError", code: "line-too-long" })
    expect(reject).toContain(`line of ${long.length} bytes`)
    expect(result.stderr).not.toContain("canary")
    expect(result.stderr).toContain("dry-run: 3 lines, 2 published, 0 skipped, 1 rejected")
  })

  it("rejects an event too large for PutEvents as oversized, as the processor dead-letters it, never printing it", () => {
    const huge = "canary-".repeat(45_000) // ≈ 315 KB in a column published as is
    const change = changes.find((c) => c.table === "users" && c.operation === "INSERT") as Change
    const record = JSON.stringify(toCdcEvent({ ...change, after: { ...change.after, first_name: huge } }))
    const result = cdc(["dry-run"], `${record}\n\n`)
    expect(result.status).toBe(0)
    expect(result.stdout).toBe("")
    const [reject] = result.stderr.split("\n").filter((line) => line.startsWith("{"))
    expect(JSON.parse(reject as string)).toMatchObject({
      line: 1,
      error: "OversizedEntryError",
      code: "oversized",
      coordinates: { table: "users" }
    })
    expect(result.stderr).not.toContain("canary-canary")
    // the blank line is no record, and the summary says so: the figures add up
    expect(result.stderr).toContain("dry-run: 2 lines (1 blank), 0 published, 0 skipped, 1 rejected")
  })

  it("refuses --rejects naming the input file (exit 2), which would truncate it mid-read and exit 0", () => {
    const input = path.join(dir, "self.ndjson")
    // more than the first read (64 KiB): the rest would be lost with the file truncated
    const text = `${Array.from({ length: 5_000 }, (_, i) => `{not json ${i}`).join("\n")}\n`
    writeFileSync(input, text)
    for (const rejects of [input, path.join(dir, ".", "self.ndjson")]) {
      const result = cdc(["dry-run", input, "--rejects", rejects])
      expect(result.status).toBe(2)
      expect(result.stdout).toBe("")
      expect(result.stderr).toContain(`cdc dry-run: --rejects names the input file ${input}`)
      expect(readFileSync(input, "utf8"), "the input is untouched").toBe(text)
    }
  })

  it("refuses --rejects naming the file stdin is redirected from (exit 2), which it would truncate the same way", () => {
    // `cdc dry-run --rejects in.ndjson < in.ndjson` emptied in.ndjson and exited 0
    const input = path.join(dir, "stdin-self.ndjson")
    const text = `${Array.from({ length: 5_000 }, (_, i) => `{not json ${i}`).join("\n")}\n`
    writeFileSync(input, text)
    for (const args of [["dry-run"], ["dry-run", "-"]]) {
      const stdin = openSync(input, "r")
      try {
        const result = spawnSync(process.execPath, [bin, ...args, "--rejects", input], {
          stdio: [stdin, "pipe", "pipe"],
          encoding: "utf8",
          env: { ...process.env, CDC_EVENT_BUS_NAME: "test-bus" },
          timeout: 60_000
        })
        expect(result.status).toBe(2)
        expect(result.stderr).toContain(`cdc dry-run: --rejects names the file stdin is read from (${input})`)
        expect(readFileSync(input, "utf8"), "the input is untouched").toBe(text)
      } finally {
        closeSync(stdin)
      }
    }
    // /dev/null on both sides loses nothing
    expect(cdc(["dry-run", "/dev/null", "--rejects", "/dev/null"]).status).toBe(0)
  })

  it("writes a rejected record's text that a terminal would act on as escapes (an unknown table named with control characters)", () => {
    const table = "pay\u009b2Jroll\u202e\u007f\u2028"
    const result = cdc(["dry-run"], `${JSON.stringify({ tableName: table, operation: "INSERT", afterImage: { id: 1 }, timestamp: 0 })}\n`)
    expect(result.status).toBe(0)
    expect(result.stderr).not.toMatch(/[\u0080-\u009f\u007f\u2028\u202e]/u)
    const reject = JSON.parse(result.stderr.split("\n").find((line) => line.startsWith("{"))!)
    // the same value, once parsed: the escapes are JSON's own
    expect(reject).toMatchObject({ code: "unknown-table", coordinates: { table } })
  })

  it("writes a published value that a terminal would act on as escapes, the entry unchanged once parsed", () => {
    const name = "Lamp\u009b2J\u001b]0;x\u0007\u202eesrever\u2066\u0085"
    const record = { tableName: "products", operation: "INSERT", afterImage: { product_id: "p-1", name }, timestamp: 0 }
    const result = cdc(["dry-run"], `${JSON.stringify(record)}\n`)
    expect(result.status).toBe(0)
    // \p{Cc}: C0, DEL and C1; the line's own end aside
    expect(result.stdout.trimEnd()).not.toMatch(/[\p{Cc}\u2028\u2029\u202a-\u202e\u2066-\u2069]/u)
    const entry = JSON.parse(result.stdout)
    expect(JSON.parse(entry.Detail).changes.name).toEqual({ new: name })
  })

  it("reads a first line behind a byte order mark as the record it is", () => {
    const input = `${lines.slice(0, 6).join("\n")}\n`
    const plain = cdc(["dry-run"], input)
    const marked = cdc(["dry-run"], `\ufeff${input}`)
    expect(marked.status).toBe(0)
    expect(marked.stderr).not.toContain("invalid-json")
    expect(marked.stdout.split("\n").length).toBe(plain.stdout.split("\n").length)
  })

  it("exits 2 on a usage error and 1 on an I/O error; --help shows an example", () => {
    const usage = cdc(["dry-run", "--no-such-flag"])
    expect(usage.status).toBe(2)
    expect(usage.stdout, "help for a usage error goes to stderr: stdout is data").toBe("")
    expect(usage.stderr).toContain("--rejects")
    expect(cdc(["no-such-command"]).status).toBe(2)
    expect(cdc([]).status, "a missing subcommand is a usage error").toBe(2)
    const missing = cdc(["dry-run", path.join(dir, "missing.ndjson")])
    expect(missing.status).toBe(1)
    expect(missing.stdout).toBe("")
    expect(missing.stderr).toContain("ENOENT")
    const directory = cdc(["dry-run", dir])
    expect(directory.status, "a directory given as FILE cannot be read: an I/O error").toBe(1)
    expect(directory.stderr).toContain(`cannot read ${dir} (EISDIR)`)
    const directoryIn = openSync(dir, "r")
    try {
      const stdinDirectory = spawnSync(process.execPath, [bin, "dry-run"], { stdio: [directoryIn, "pipe", "pipe"], encoding: "utf8" })
      expect(stdinDirectory.status, "a directory as stdin is an I/O error too, not an empty input").toBe(1)
      expect(stdinDirectory.stderr).toContain("cannot read stdin (EISDIR)")
    } finally {
      closeSync(directoryIn)
    }
    const help = cdc(["dry-run", "--help"])
    expect(help.status).toBe(0)
    expect(help.stdout).toContain("cdc dry-run examples/changes.ndjson")
  })

  it("refuses one key for both HASH and TOKENIZE: exit 2, the variables named, the key never printed", () => {
    const key = "one-key-for-both-9f2c4e1a7b3d"
    const result = spawnSync(process.execPath, [bin, "dry-run"], {
      input: `${lines[0]}\n`,
      encoding: "utf8",
      env: { ...process.env, CDC_HASH_KEY: key, CDC_TOKENIZE_KEY: key },
      timeout: 60_000
    })
    expect(result.status).toBe(2)
    expect(result.stdout).toBe("")
    expect(result.stderr).toContain("cdc: invalid configuration: CDC_HASH_KEY and CDC_TOKENIZE_KEY hold the same key")
    expect(result.stderr).not.toContain(key)
  })

  it("--event-bus names the EventBusName of the entries, over CDC_EVENT_BUS_NAME", () => {
    const result = cdc(["dry-run", "--event-bus", "flag-bus"], `${lines.slice(0, 3).join("\n")}\n`)
    expect(result.status).toBe(0)
    const entries = result.stdout
      .trim()
      .split("\n")
      .map((line) => JSON.parse(line))
    expect(entries.map((e) => e.EventBusName)).toEqual(["flag-bus", "flag-bus", "flag-bus"])
  })

  it("a missing subcommand (`cdc`, `cdc dlq`) exits 2 with its help on stderr, nothing on stdout", () => {
    for (const args of [[], ["dlq"]]) {
      const result = cdc(args)
      expect(result.status).toBe(2)
      expect(result.stdout, `cdc ${args.join(" ")}`).toBe("")
      expect(result.stderr).toContain(args.length === 0 ? "dry-run" : "redrive")
      expect(result.stderr.trimEnd().split("\n").at(-1)).toBe(`${["cdc", ...args].join(" ")}: a subcommand is required`)
    }
  })

  it("the summary names the schema drift seen, by name only: undeclared columns withheld and DDL records", () => {
    const change = changes.find((c) => c.table === "users" && c.operation === "INSERT") as Change
    const event = toCdcEvent(change)
    const drifted = [
      { ...event, afterImage: { ...event.afterImage, loyalty_tier: "canary-undeclared-value" } },
      { ...event, afterImage: { ...event.afterImage, loyalty_tier: "canary-undeclared-value", "evil\u001b[2J": 1 } }
    ].map((record) => JSON.stringify(record))
    const run = cdc(["dry-run"], `${[...drifted, bad[3]].join("\n")}\n`)
    expect(run.status).toBe(0)
    expect(run.stderr).toContain(
      "dry-run: schema drift: users.loyalty_tier withheld 2, users.evil\\u001b[2J withheld 1, users add-column nickname 1\n"
    )
    expect(run.stdout + run.stderr).not.toContain("canary-undeclared-value")
    // without drift, no drift line
    expect(cdc(["dry-run"], `${lines[0]}\n`).stderr).not.toContain("schema drift")
  })

  it("progress every 50,000 lines and the summary go to stderr, never stdout", () => {
    const control = JSON.stringify(
      dmsControlRecord({ table: "users", operation: "add-column", columns: ["nickname"], changeTimeMillis: 0 })
    )
    const result = cdc(["dry-run"], `${Array.from({ length: 50_001 }, () => control).join("\n")}\n`)
    expect(result.status).toBe(0)
    expect(result.stdout).toBe("")
    expect(result.stderr).toContain("dry-run: 50000 lines, 0 published, 50000 skipped (control-record 50000), 0 rejected")
    expect(result.stderr).toContain("dry-run: 50001 lines, 0 published, 50001 skipped (control-record 50001), 0 rejected")
  })

  it("the README's example input (examples/changes.ndjson): every table and shape, a skip of each kind, three rejects", () => {
    const example = path.resolve(import.meta.dirname, "..", "..", "..", "examples", "changes.ndjson")
    const shapes = readFileSync(example, "utf8")
      .split("\n")
      .filter((line) => line.startsWith("{"))
      .map((line) => (line.includes('"tableName"') ? "cdc" : line.includes('"kinesis"') ? "kinesis" : "dms"))
    expect(new Set(shapes)).toEqual(new Set(inputShapes))
    const run = cdc(["dry-run", example])
    expect(run.status).toBe(0)
    const sources = run.stdout
      .trim()
      .split("\n")
      .map((line) => JSON.parse(line).Source)
    expect(sources.sort()).toEqual(tableNames.map((t) => `cdc-pipeline.${t}`).sort())
    const rejects = run.stderr.split("\n").filter((line) => line.startsWith("{"))
    expect(rejects.map((line) => JSON.parse(line).code)).toEqual(["not-an-integer", "unknown-table", "invalid-json"])
    expect(run.stderr).toContain(
      "dry-run: 18 lines (1 blank), 12 published, 2 skipped (operation-not-published 1, control-record 1), 3 rejected"
    )
  })

  it("a stdout closed by its reader (`cdc dry-run | head`) exits 0", async () => {
    const many = path.join(dir, "many.ndjson")
    writeFileSync(many, `${Array.from({ length: 40 }, () => lines.join("\n")).join("\n")}\n`)
    const { child, exited } = cdcChild(["dry-run", many])
    child.stdin?.end()
    child.stdout?.once("data", () => child.stdout?.destroy())
    expect(await exited).toBe(0)
  })

  // Linux's /dev/full refuses every write with ENOSPC: a full disk on demand
  describe.runIf(existsSync("/dev/full"))("an output that refuses writes", () => {
    it("--rejects on a full disk exits 1 naming the file, not 0 with the rejections lost", () => {
      const full = cdc(["dry-run", "--rejects", "/dev/full"], `${bad.join("\n")}\n`)
      expect(full.status).toBe(1)
      expect(full.stderr).toContain("dry-run: cannot write /dev/full (ENOSPC)")
      expect(full.stderr).not.toContain("cannot read")
    })

    it("stdout on a full disk exits 1 instead of waiting forever for the output to drain", () => {
      const stdout = openSync("/dev/full", "w")
      const full = spawnSync(process.execPath, [bin, "dry-run", file], {
        encoding: "utf8",
        stdio: ["ignore", stdout, "pipe"],
        timeout: 60_000
      })
      closeSync(stdout)
      expect(full.signal, "killed by the timeout: the run hung").toBeNull()
      expect(full.status).toBe(1)
      expect(full.stderr).toContain("dry-run: cannot write stdout (ENOSPC)")
    })
  })

  // Ctrl-C exits 130 and SIGTERM (a service manager, `kill`, a CI runner's timeout) 143, as a
  // shell reports each: a script can tell a user's stop from the system's
  it.each([
    ["SIGINT", 130],
    ["SIGTERM", 143],
    // a closed terminal hangs up the whole job: the program itself, not only its launcher
    ["SIGHUP", 129]
  ] as const)("%s while reading stdin exits %i", async (signal, code) => {
    const { child, exited, stderr } = cdcChild(["dry-run"])
    child.stdin?.write(`${bad[0]}\n`)
    const interval = setInterval(() => {
      if (stderr().includes('"line":1')) {
        clearInterval(interval)
        child.kill(signal)
      }
    }, 50)
    expect(await exited).toBe(code)
  })

  it("every table definition is exercised", () => {
    expect(new Set(changes.map((c) => c.table)).size).toBe(tables.size)
  })
})
