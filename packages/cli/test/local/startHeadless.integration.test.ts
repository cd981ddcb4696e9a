/**
 * `cdc start --headless --changes N --exit-when-drained`, end to end through the real CLI process
 * against the emulator: the simulator's changes go through the real processor and DLQ worker, and
 * every one is accounted for from what actually arrived (the tap queue and the DLQ). Checked
 * independently here: the DLQ worker's archive in S3, and no sensitive value in anything the run
 * wrote (its output, the functions' logs, the archive).
 */
import { mkdtempSync, readFileSync } from "node:fs"
import { tmpdir } from "node:os"
import path from "node:path"
import { GetObjectCommand, ListObjectsV2Command } from "@aws-sdk/client-s3"
import { makeTopology } from "@cdc/topology"
import { describe, expect, it } from "vitest"
import { makeClients } from "../../src/local/LocalAws"
import type { RunSummary } from "../../src/local/RunSummary"
import { runCli } from "./cliProcess"

const changes = 3000

describe("cdc start --headless", () => {
  it(`accounts for every one of ${changes} changes and exits 0`, { timeout: 420_000 }, async () => {
    const stage = `e2e${Date.now().toString(36)}`
    const stateDir = mkdtempSync(path.join(tmpdir(), "cdc-e2e-"))
    const cli = runCli([
      "start",
      "--headless",
      "--changes",
      String(changes),
      // Paced: flooding moto with the whole run at once makes its queues (and the run) slower.
      "--rate",
      "25",
      "--exit-when-drained",
      "--drain-timeout",
      "120",
      "--stage",
      stage,
      "--state-dir",
      stateDir
    ])
    const code = await cli.exited
    expect(code, cli.stderr().slice(-3000)).toBe(0)
    const lines = cli.stdout().trim().split("\n")
    expect(lines).toHaveLength(1)
    const summary = JSON.parse(lines[0]!) as RunSummary
    expect(summary.produced).toBe(changes)
    expect(summary.unaccounted).toBe(0)
    expect(summary.published + summary.deadLettered + summary.skipped).toBe(changes)
    // The simulator's malformed records (~0.5 %) are dead-lettered, with their reasons.
    expect(summary.deadLettered).toBeGreaterThan(0)
    expect(Object.keys(summary.dlq.byReason).length).toBeGreaterThan(0)
    expect(summary.published).toBeGreaterThan(changes * 0.95)
    expect(cli.stderr()).toMatch(/cdc \[[^\]]*\] +\d+% produced [\d,]+\/[\d,]+ · published [\d,]+ · /)

    // The DLQ worker archived what was dead-lettered, and nothing written anywhere holds a clear value.
    const bucket = makeTopology({ stage }).resources.archiveBucket.localName
    const { s3 } = makeClients()
    const listed = await s3.send(new ListObjectsV2Command({ Bucket: bucket, Prefix: "failed-events/" }))
    const keys = (listed.Contents ?? []).map((o) => o.Key!)
    expect(keys.length).toBeGreaterThanOrEqual(summary.deadLettered)
    const archived = await Promise.all(
      keys.slice(0, 20).map(async (Key) => (await s3.send(new GetObjectCommand({ Bucket: bucket, Key }))).Body!.transformToString())
    )
    const functionLogs = readFileSync(path.join(stateDir, "logs", "functions.log"), "utf8")
    expect(functionLogs).toContain('"batch processed"')
    // Every generated sensitive value carries the marker `canary` (see @cdc/testkit/Rows).
    for (const text of [cli.stdout(), cli.stderr(), functionLogs, ...archived]) expect(text).not.toMatch(/canary/i)
  })
})
