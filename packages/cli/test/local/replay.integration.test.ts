/**
 * `cdc replay FILE --stream NAME` through the real CLI process against the emulator's Kinesis:
 * every input shape is written, with the partition key that keeps per-key order, and read back.
 */
import { mkdtempSync, writeFileSync } from "node:fs"
import { tmpdir } from "node:os"
import path from "node:path"
import {
  CreateStreamCommand,
  DescribeStreamSummaryCommand,
  GetRecordsCommand,
  GetShardIteratorCommand,
  ListShardsCommand
} from "@aws-sdk/client-kinesis"
import { tables } from "@cdc/domain/Tables"
import { sampleChanges } from "@cdc/testkit/Changes"
import { toCdcEvent, toDmsRecord, toKinesisRecord } from "@cdc/testkit/InputShapes"
import { describe, expect, it } from "vitest"
import { makeClients } from "../../src/local/LocalAws"
import { runCli } from "./cliProcess"

const { kinesis } = makeClients()

const readAll = async (stream: string) => {
  const out: Array<{ partitionKey: string; data: string }> = []
  const { Shards } = await kinesis.send(new ListShardsCommand({ StreamName: stream }))
  for (const shard of Shards ?? []) {
    const { ShardIterator } = await kinesis.send(
      new GetShardIteratorCommand({ StreamName: stream, ShardId: shard.ShardId, ShardIteratorType: "TRIM_HORIZON" })
    )
    const { Records } = await kinesis.send(new GetRecordsCommand({ ShardIterator }))
    for (const r of Records ?? []) out.push({ partitionKey: r.PartitionKey!, data: Buffer.from(r.Data!).toString() })
  }
  return out
}

describe("cdc replay", () => {
  it("writes NDJSON records of every input shape to the stream, keyed per entity", { timeout: 120_000 }, async () => {
    const stream = `replay-${Date.now()}`
    await kinesis.send(new CreateStreamCommand({ StreamName: stream, ShardCount: 2 }))
    while (
      (await kinesis.send(new DescribeStreamSummaryCommand({ StreamName: stream }))).StreamDescriptionSummary?.StreamStatus !== "ACTIVE"
    ) {
      await new Promise((r) => setTimeout(r, 100))
    }
    const [a, b, c] = sampleChanges(3, 11)
    const dms = toDmsRecord(b!)
    const lines = [
      JSON.stringify(toCdcEvent(a!)),
      JSON.stringify(dms),
      JSON.stringify(toKinesisRecord(toDmsRecord(c!), { partitionKey: "orig-key" })),
      "not json at all"
    ]
    const file = path.join(mkdtempSync(path.join(tmpdir(), "replay-")), "changes.ndjson")
    writeFileSync(file, `${lines.join("\n")}\n\n`)

    const cli = runCli(["replay", file, "--stream", stream, "--json"])
    expect(await cli.exited, cli.stderr()).toBe(0)
    const result = JSON.parse(cli.stdout()) as { written: number; shapes: Record<string, number> }
    expect(result).toMatchObject({ written: 4, shapes: { cdc: 1, dms: 1, kinesis: 1, other: 1 } })
    expect(cli.stderr()).toMatch(/replay/)

    const written = await readAll(stream)
    expect(written).toHaveLength(4)
    const byKey = new Map(written.map((r) => [r.partitionKey, r.data]))
    const keyOf = (change: typeof a) => {
      const row = (change!.after ?? change!.before)!
      return `${change!.table}-${String(row[tables.get(change!.table)!.keyColumn])}`
    }
    expect(byKey.get(keyOf(a))).toBe(lines[0])
    expect(byKey.get(keyOf(b))).toBe(lines[1])
    // The Lambda record shape is unwrapped: its original data under its original partition key.
    expect(JSON.parse(byKey.get("orig-key")!)).toEqual(toDmsRecord(c!))
    expect(byKey.get("replay-line-4")).toBe("not json at all")
  })
  it("says from which line to resume when a write fails, and --from-line resumes there", { timeout: 120_000 }, async () => {
    const stream = `replay-resume-${Date.now()}`
    const [a, b, c] = sampleChanges(3, 12)
    const lines = [a, b, c].map((change) => JSON.stringify(toCdcEvent(change!)))
    const file = path.join(mkdtempSync(path.join(tmpdir(), "replay-")), "changes.ndjson")
    writeFileSync(file, `\n${lines.join("\n")}\n`) // the first record is on line 2

    // the stream is not there yet: nothing is written, and the report says so
    const failed = runCli(["replay", file, "--stream", stream, "--json"])
    expect(await failed.exited).toBe(1)
    expect(JSON.parse(failed.stdout())).toEqual({ stream, written: 0, resumeFromLine: 2, error: "ResourceNotFoundException" })
    expect(failed.stderr()).toContain(`--from-line 2`)

    await kinesis.send(new CreateStreamCommand({ StreamName: stream, ShardCount: 1 }))
    const summary = async () => (await kinesis.send(new DescribeStreamSummaryCommand({ StreamName: stream }))).StreamDescriptionSummary
    while ((await summary())?.StreamStatus !== "ACTIVE") await new Promise((r) => setTimeout(r, 100))
    // named by its ARN this time, as another account's or region's stream must be
    const arn = (await summary())?.StreamARN as string
    const resumed = runCli(["replay", file, "--stream", arn, "--from-line", "3", "--json"])
    expect(await resumed.exited, resumed.stderr()).toBe(0)
    expect(JSON.parse(resumed.stdout())).toMatchObject({ written: 2 })
    expect((await readAll(stream)).map((r) => r.data)).toEqual(lines.slice(1))

    const below = runCli(["replay", file, "--stream", stream, "--from-line", "0"])
    expect(await below.exited).toBe(2)
  })
  it("on Ctrl-C reports what was written and where to resume, then exits 130", { timeout: 120_000 }, async () => {
    const stream = `replay-interrupted-${Date.now()}`
    await kinesis.send(new CreateStreamCommand({ StreamName: stream, ShardCount: 1 }))
    while (
      (await kinesis.send(new DescribeStreamSummaryCommand({ StreamName: stream }))).StreamDescriptionSummary?.StreamStatus !== "ACTIVE"
    ) {
      await new Promise((r) => setTimeout(r, 100))
    }
    // distinct partition keys (`replay-line-<n>`): requests of 500, far more than written before the signal
    const total = 40_000
    const file = path.join(mkdtempSync(path.join(tmpdir(), "replay-")), "large.ndjson")
    writeFileSync(file, `${Array.from({ length: total }, (_, i) => `line ${i + 1}`).join("\n")}\n`)
    for (const json of [true, false]) {
      const cli = runCli(["replay", file, "--stream", stream, ...(json ? ["--json"] : [])])
      // the first progress line comes after the first request is placed: writing is under way
      await cli.waitForLine(new RegExp(`replay \\[[^\\]]*\\]\\s+\\d+% [1-9][\\d,]*/${total.toLocaleString("en-US")}`), 60_000, "stderr")
      expect(await cli.interrupt(), cli.stderr()).toBe(130)
      const report = cli
        .stderr()
        .match(/cdc replay: interrupted after (\d+) record\(s\) written to (\S+): every line before (\d+) is written/)
      expect(report, cli.stderr()).not.toBeNull()
      const [written, resumeLine] = [Number(report![1]), Number(report![3])]
      expect(report![2]).toBe(stream)
      // whole requests only, and not all of them; every line here holds a record: line n is record n
      expect(written % 500).toBe(0)
      expect(written).toBeGreaterThan(0)
      expect(written).toBeLessThan(total)
      expect(resumeLine).toBe(written + 1)
      expect(cli.stderr()).toContain(`cdc replay ${file} --from-line ${resumeLine}`)
      if (json) expect(JSON.parse(cli.stdout())).toEqual({ stream, written, resumeFromLine: resumeLine, error: "Interrupted" })
      else expect(cli.stdout()).toBe("")
    }
  })
})
