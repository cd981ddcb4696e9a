import { spawn, spawnSync } from "node:child_process"
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, writeFileSync } from "node:fs"
import { tmpdir } from "node:os"
import path from "node:path"
import { describe, expect, it } from "vitest"
import { startTimeOf } from "../src/local/ProcessIdentity"
import { runCli } from "./local/cliProcess"

const bin = path.resolve(import.meta.dirname, "..", "bin", "cdc.mjs")
// an empty working directory (no `.cdc/local.json` of a running `cdc start`) and no target configured
const dir = mkdtempSync(path.join(tmpdir(), "cdc-usage-"))
const { CDC_ARCHIVE_BUCKET: _bucket, CDC_STREAM_NAME: _stream, AWS_ENDPOINT_URL: _endpoint, ...env } = process.env
const cdc = (args: ReadonlyArray<string>, extraEnv: Record<string, string> = {}) =>
  spawnSync(process.execPath, [bin, ...args], { cwd: dir, encoding: "utf8", env: { ...env, ...extraEnv }, timeout: 60_000 })

describe("usage errors (exit 2) and I/O errors (exit 1) of the commands, without AWS", { timeout: 120_000 }, () => {
  it("cdc start refuses invalid flags with every reason on stderr, before starting anything", () => {
    const result = cdc(["start", "--exit-when-drained", "--headless", "--changes", "0", "--rate", "-1", "--port", "65536"])
    expect(result.status).toBe(2)
    expect(result.stdout).toBe("")
    expect(result.stderr).toContain("--changes must be at least 1")
    expect(result.stderr).toContain("--rate must be 0 or more")
    expect(result.stderr).toContain("--port must be between 0 and 65535")
    expect(result.stderr, "a --port without a Wallboard is told, not ignored").toContain(
      "--port has no effect with --headless, which serves no Wallboard"
    )
    const drained = cdc(["start", "--exit-when-drained", "--changes", "5", "--rate", "-1"])
    expect(drained.status).toBe(2)
    expect(drained.stderr).toContain("--exit-when-drained needs --headless and --changes N")
  })

  it("cdc start refuses a setting of the functions (CDC_BREAKER_*, CDC_RETRY_*, …) naming it, before starting anything", () => {
    for (const [name, value] of [
      ["CDC_BREAKER_FAILURE_THRESHOLD", "x"],
      ["CDC_BREAKER_FAILURE_THRESHOLD", "0"],
      ["CDC_BREAKER_RESET_TIMEOUT_MS", "-1000"],
      ["CDC_BREAKER_HALF_OPEN_SUCCESSES", "-1"],
      ["CDC_RETRY_DLQ_SEND_MAX_RETRIES", "-1"],
      ["CDC_CHECKPOINT_TTL_HOURS", "0"],
      ["CDC_ALERT_WINDOW_MINUTES", "-3"],
      ["CDC_ALERT_WINDOW_MINUTES", "1.5"]
    ] as const) {
      const result = cdc(["start", "--headless", "--changes", "1", "--exit-when-drained"], { [name]: value })
      expect(result.status, result.stderr).toBe(2)
      expect(result.stdout).toBe("")
      // one line, naming the variable first
      expect(result.stderr).toMatch(new RegExp(`^cdc: invalid configuration: ${name}[: ][^\n]+\n$`))
      expect(result.stderr, "nothing started (the functions would fail every batch)").not.toContain("[emulator]")
    }
  })

  it("cdc replay: an unreadable file exits 1, no running `cdc start` and no --stream exits 2", () => {
    const missing = cdc(["replay", path.join(dir, "missing.ndjson")])
    expect(missing.status).toBe(1)
    expect(missing.stdout).toBe("")
    expect(missing.stderr).toContain("ENOENT")
    const file = path.join(dir, "changes.ndjson")
    writeFileSync(file, "{}\n")
    const noTarget = cdc(["replay", file])
    expect(noTarget.status).toBe(2)
    expect(noTarget.stdout).toBe("")
    expect(noTarget.stderr).toContain("--stream")
    // the directory it looked in, and how to start a pipeline there
    expect(noTarget.stderr).toContain("no running `cdc start` announced in .cdc/local.json (start one with `npm start`)")
    const elsewhere = cdc(["replay", file, "--state-dir", "/tmp/cdc-nowhere"])
    expect(elsewhere.status).toBe(2)
    expect(elsewhere.stderr).toContain(
      "no running `cdc start` announced in /tmp/cdc-nowhere/local.json (start one with `npx cdc start --state-dir /tmp/cdc-nowhere`)"
    )
  })

  it("cdc dlq: an invalid --since and a missing archive bucket exit 2, on stderr", () => {
    for (const since of ["2026-13-45", "2026-1-5", "2026-02-30", "2026-11-31"]) {
      const result = cdc(["dlq", "list", "--since", since])
      expect(result.status).toBe(2)
      expect(result.stdout).toBe("")
      expect(result.stderr).toContain(`--since must be a date YYYY-MM-DD, got ${since}`)
    }
    const noBucket = cdc(["dlq", "list"])
    expect(noBucket.status).toBe(2)
    expect(noBucket.stdout).toBe("")
    expect(noBucket.stderr).toContain(
      "no archive bucket: pass --bucket NAME or set CDC_ARCHIVE_BUCKET; no running `cdc start` announced in .cdc/local.json"
    )
  })

  it("every command and subcommand's --help explains it with an example, on stdout", () => {
    for (const command of [
      [],
      ["dry-run"],
      ["schema"],
      ["start"],
      ["replay"],
      ["dlq"],
      ["dlq", "list"],
      ["dlq", "show"],
      ["dlq", "redrive"]
    ]) {
      const help = cdc([...command, "--help"])
      expect(help.status, `cdc ${command.join(" ")} --help`).toBe(0)
      expect(help.stdout, `cdc ${command.join(" ")} --help`).toContain("EXAMPLES")
      expect(help.stdout, `cdc ${command.join(" ")} --help`).toContain(`cdc ${command.join(" ")}`.trim())
      // every section (USAGE, SUBCOMMANDS, EXAMPLES…) after a blank line, so none reads as part of the one above
      const lines = help.stdout.split("\n")
      const cramped = lines.filter((line, index) => index > 0 && /^[A-Z][A-Z ]*[A-Z]$/.test(line) && lines[index - 1] !== "")
      expect(cramped, `cdc ${command.join(" ")} --help`).toEqual([])
    }
  })

  it("every command's --help states its exit codes; the subcommand lists keep to one short line", () => {
    const exitCodes: Readonly<Record<string, ReadonlyArray<number>>> = {
      "dry-run": [0, 1, 2],
      schema: [0, 1, 2],
      start: [0, 1, 2, 129, 130, 143],
      replay: [0, 1, 2, 130, 143],
      "dlq list": [0, 1, 2],
      "dlq show": [0, 1, 2],
      "dlq redrive": [0, 1, 2]
    }
    for (const [command, codes] of Object.entries(exitCodes)) {
      const help = cdc([...command.split(" "), "--help"])
      const name = `cdc ${command} --help`
      expect(help.status, name).toBe(0)
      // the description's sentence "Exit 0 …, 1 …, 2 on usage error …", up to its full stop
      const stated = help.stdout.match(/\bExit 0 [^\n]*?\.(?= |\n)/)?.[0]
      expect(stated, name).toBeDefined()
      for (const code of codes) expect(stated, `${name}: exit ${code}`).toMatch(new RegExp(`(^Exit |[,;(] ?)${code} `))
      expect(stated, name).toMatch(/\b2 on usage error\b/)
    }
    // listed by `cdc --help` and `cdc dlq --help` (and shell completions) by their short description alone
    for (const group of [[], ["dlq"]]) expect(cdc([...group, "--help"]).stdout).not.toMatch(/\bExit \d/)
  })

  it("cdc start: a state directory that cannot be written exits 1 naming it, before starting an emulator", () => {
    // a file where the directory should be, and a directory where its log file should be
    const file = path.join(dir, "not-a-dir")
    writeFileSync(file, "")
    const logIsDirectory = path.join(dir, "log-is-a-dir")
    mkdirSync(path.join(logIsDirectory, "logs", "functions.log"), { recursive: true })
    for (const [stateDir, code] of [
      [file, "ENOTDIR"],
      [logIsDirectory, "EISDIR"]
    ] as const) {
      const result = cdc(["start", "--headless", "--changes", "1", "--exit-when-drained", "--state-dir", stateDir])
      expect(result.status, result.stderr).toBe(1)
      expect(result.stdout).toBe("")
      expect(result.stderr).toContain(`cdc start: cannot write the state directory ${stateDir} (${code})`)
      expect(result.stderr, "an expected failure: no stack trace, no unexpected error").not.toMatch(/unexpected error|\n\s+at /)
      expect(result.stderr, "nothing started (an emulator would be left running)").not.toContain("[emulator]")
    }
  })

  it("cdc dlq: with only a stream (or only a bucket) named, the missing one is asked for, not a local pipeline", () => {
    // naming a target means AWS: a running `cdc start` would not be used, so it must not be suggested
    for (const [args, missing] of [
      [["dlq", "redrive", "--stream", "s"], "no archive bucket: pass --bucket NAME or set CDC_ARCHIVE_BUCKET"],
      [["dlq", "redrive", "--bucket", "b"], "no stream: pass --stream NAME or set CDC_STREAM_NAME"]
    ] as const) {
      const result = cdc(args)
      expect(result.status).toBe(2)
      expect(result.stdout).toBe("")
      expect(result.stderr).toContain(missing)
      expect(result.stderr).not.toContain("start one with")
      expect(result.stderr).toContain("a named bucket or stream targets AWS")
    }
  })

  it.runIf(process.platform === "linux")(
    "cdc replay: when the `cdc start` it writes to stops meanwhile, says its records went with it, in the text and the JSON",
    async () => {
      // a `cdc start` that stands for one: a live process announced in local.json, at an endpoint nothing answers
      const start = spawn("sleep", ["60"])
      const stateDir = mkdtempSync(path.join(tmpdir(), "cdc-stopped-start-"))
      const pid = start.pid as number
      const endpoint = { endpoint: "http://127.0.0.1:1", stream: "s", region: "us-east-1", pid, started: startTimeOf(pid) }
      writeFileSync(path.join(stateDir, "local.json"), JSON.stringify(endpoint))
      const file = path.join(dir, "two.ndjson")
      writeFileSync(file, `\n${JSON.stringify({ tableName: "users", operation: "INSERT", afterImage: { id: 1 } })}\n`)
      const replay = runCli(["replay", file, "--state-dir", stateDir, "--json"], process.env)
      // it stops while the replay's first call is still being retried: the replay reads local.json
      // as it starts and gives up ≈ 6.5 s later, so 4 s leaves room for a slow start on a busy
      // machine (1.5 s did not: the start was gone before the replay looked for it)
      await new Promise((resolve) => setTimeout(resolve, 4_000))
      start.kill()
      expect(await replay.exited).toBe(1)
      expect(JSON.parse(replay.stdout())).toEqual({ stream: "s", written: 0, resumeFromLine: 2, error: "ECONNREFUSED", startStopped: true })
      expect(replay.stderr()).toContain(`the \`cdc start\` of ${stateDir} that took them has stopped`)
      expect(replay.stderr()).toContain(`replay the file from its first line (\`cdc replay ${file}\`)`)
    },
    30_000
  )

  it("cdc replay: a record Kinesis cannot take, or Kinesis data that is not base64, exits 1 naming its line, before anything is written", () => {
    const file = path.join(dir, "oversized.ndjson")
    const small = JSON.stringify({ tableName: "users", operation: "INSERT", afterImage: { id: 1 }, timestamp: 0 })
    const huge = JSON.stringify({ tableName: "users", operation: "INSERT", afterImage: { id: 2, bio: "x".repeat(1024 * 1024) } })
    const longKey = JSON.stringify({ kinesis: { data: Buffer.from(small).toString("base64"), partitionKey: "k".repeat(257) } })
    // Node's lenient decoding would have written the bytes around the `!`: a record no stream held
    const notBase64 = JSON.stringify({ kinesis: { data: `${Buffer.from(small).toString("base64").slice(0, -4)}!!==`, partitionKey: "k" } })
    writeFileSync(file, `${small}\n${huge}\n${longKey}\n${notBase64}\n`)
    // no endpoint and no region: any AWS call would fail, so none may be made
    const result = cdc(["replay", file, "--stream", "s", "--json"])
    expect(result.status).toBe(1)
    expect(result.stderr).toContain("line 2:")
    expect(result.stderr).toContain("over Kinesis's 1 MiB record limit")
    expect(result.stderr).toContain("line 3: partition key of 257 characters")
    expect(result.stderr).toContain("line 4: a Kinesis record whose kinesis.data is not base64 (invalid-base64)")
    expect(result.stderr).toContain("nothing was written")
    expect(result.stderr).not.toContain("PutRecords")
    const report = JSON.parse(result.stdout)
    expect(report).toMatchObject({ stream: "s", written: 0 })
    expect(report.refused.map((line: string) => line.split(":")[0])).toEqual(["line 2", "line 3", "line 4"])
  })

  it("cdc replay: a --from-line past the file's last line exits 2 with the file's line count, writing nothing", () => {
    const file = path.join(dir, "three-lines.ndjson")
    writeFileSync(file, '{"a":1}\n\n{"a":3}\n') // the final newline ends line 3, it starts no line 4
    for (const [fromLine, lines] of [
      ["4", 3],
      ["1000", 3]
    ] as const) {
      const result = cdc(["replay", file, "--stream", "s", "--from-line", fromLine, "--json"])
      expect(result.status, result.stderr).toBe(2)
      expect(result.stdout).toBe("")
      expect(result.stderr).toContain(`cdc replay: --from-line ${fromLine} is past the end of ${file}, which has ${lines} line(s)`)
    }
    // an empty file replays nothing, as before: no --from-line was asked for
    const empty = path.join(dir, "empty.ndjson")
    writeFileSync(empty, "")
    const none = cdc(["replay", empty, "--stream", "s", "--json"])
    expect(none.status, none.stderr).toBe(0)
    expect(JSON.parse(none.stdout)).toMatchObject({ written: 0 })
  })

  it("an empty --bucket or --stream is a usage error, not a call AWS refuses with an unclear error", () => {
    // e.g. `--bucket "$BUCKET"` with the variable unset
    for (const [args, flag] of [
      [["dlq", "list", "--bucket", ""], "--bucket"],
      [["dlq", "show", "dl_1", "--bucket", ""], "--bucket"],
      [["dlq", "redrive", "--bucket", "b", "--stream", ""], "--stream"],
      [["replay", path.join(dir, "changes.ndjson"), "--stream", ""], "--stream"],
      [["dry-run", "--event-bus", "", path.join(dir, "changes.ndjson")], "--event-bus"]
    ] as const) {
      const result = cdc(args)
      expect(result.status, `cdc ${args.join(" ")}`).toBe(2)
      expect(result.stdout).toBe("")
      expect(result.stderr).toContain(`Missing value for flag ${flag}. Expected: a name, not an empty value`)
    }
    const show = cdc(["dlq", "show", "", "--bucket", "b"])
    expect(show.status, "an empty id is an invalid argument, not an id that is not found").toBe(2)
    expect(show.stderr).toContain("Expected: an id or a key, not an empty value")
  })

  it("an empty directory or file is a usage error, not the current directory", () => {
    // `--state-dir ""` would have put logs/, positions/ and local.json into the working directory
    const workdir = mkdtempSync(path.join(tmpdir(), "cdc-empty-"))
    for (const [args, flag, what] of [
      [["start", "--state-dir", "", "--headless", "--changes", "1", "--exit-when-drained"], "--state-dir", "a directory"],
      [["replay", path.join(dir, "changes.ndjson"), "--state-dir", ""], "--state-dir", "a directory"],
      [["dlq", "list", "--state-dir", ""], "--state-dir", "a directory"],
      [["schema", "--out", ""], "--out", "a directory"],
      [["dry-run", "--rejects", "", path.join(dir, "changes.ndjson")], "--rejects", "a file"]
    ] as const) {
      const result = spawnSync(process.execPath, [bin, ...args], { cwd: workdir, encoding: "utf8", env, timeout: 60_000 })
      expect(result.status, `cdc ${args.join(" ")}`).toBe(2)
      expect(result.stderr).toContain(`Missing value for flag ${flag}. Expected: ${what}, not an empty value`)
    }
    expect(readdirSync(workdir), "nothing written into the working directory").toEqual([])
  })

  it("a CDC_SOURCE_PREFIX that the deploy refuses is refused by dry-run, schema and start alike, the variable named", () => {
    const refusals: ReadonlyArray<[string, string]> = [
      ["Bad Prefix", `source prefix "Bad Prefix" must be letters, digits`],
      ["aws.cdc", `source prefix "aws.cdc" is reserved`]
    ]
    for (const [prefix, problem] of refusals) {
      for (const args of [["dry-run"], ["schema"], ["start", "--headless", "--changes", "1", "--state-dir", path.join(dir, "state")]]) {
        const result = spawnSync(process.execPath, [bin, ...args], {
          cwd: dir,
          encoding: "utf8",
          env: { ...env, CDC_SOURCE_PREFIX: prefix },
          input: "",
          timeout: 60_000
        })
        expect(result.status, args[0]).toBe(2)
        expect(result.stdout, "no entries or schemas under a prefix no pipeline could publish").toBe("")
        expect(result.stderr).toContain(`invalid configuration: CDC_SOURCE_PREFIX: ${problem}`)
      }
    }
    expect(existsSync(path.join(dir, "state")), "cdc start refused before it made its state directory").toBe(false)
  })

  it("an AWS call that cannot be made for want of a region or credentials says what to set", () => {
    // no AWS configuration at all (no variable, no profile file, no instance metadata): nothing is sent
    const bare = Object.fromEntries(Object.entries(env).filter(([name]) => !name.startsWith("AWS_")))
    const noAws = { ...bare, AWS_CONFIG_FILE: path.join(dir, "none"), AWS_SHARED_CREDENTIALS_FILE: path.join(dir, "none") }
    const run = (extra: Record<string, string>) =>
      spawnSync(process.execPath, [bin, "dlq", "list", "--bucket", "b"], {
        cwd: dir,
        encoding: "utf8",
        env: { ...noAws, AWS_EC2_METADATA_DISABLED: "true", ...extra },
        timeout: 60_000
      })
    const noRegion = run({})
    expect(noRegion.status).toBe(1)
    expect(noRegion.stdout).toBe("")
    expect(noRegion.stderr).toContain("cdc: S3.ListObjectsV2 failed: RegionMissing (set AWS_REGION)")
    const noCredentials = run({ AWS_REGION: "us-east-1" })
    expect(noCredentials.status).toBe(1)
    expect(noCredentials.stderr).toContain("cdc: S3.ListObjectsV2 failed: CredentialsProviderError (no AWS credentials:")
    expect(noCredentials.stderr).toContain("AWS_PROFILE")
    const noEmulator = run({
      AWS_REGION: "us-east-1",
      AWS_ACCESS_KEY_ID: "testing",
      AWS_SECRET_ACCESS_KEY: "testing",
      AWS_ENDPOINT_URL: "http://127.0.0.1:1"
    })
    expect(noEmulator.status).toBe(1)
    expect(noEmulator.stderr).toContain("cdc: S3.ListObjectsV2 failed: ECONNREFUSED (nothing listens at the endpoint:")
    // a replay says it too, beside where to resume
    const file = path.join(dir, "one.ndjson")
    writeFileSync(
      file,
      `${readFileSync(path.resolve(import.meta.dirname, "..", "..", "..", "examples", "changes.ndjson"), "utf8").split("\n")[0]}\n`
    )
    const replay = spawnSync(process.execPath, [bin, "replay", file, "--stream", "s"], {
      cwd: dir,
      encoding: "utf8",
      env: { ...noAws, AWS_EC2_METADATA_DISABLED: "true" },
      timeout: 60_000
    })
    expect(replay.status).toBe(1)
    expect(replay.stderr).toContain("cdc replay: writing to s failed (RegionMissing; set AWS_REGION) after 0 record(s)")
  })
})
