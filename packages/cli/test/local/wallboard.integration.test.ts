/**
 * `cdc start` with its Wallboard, seen in a real headless Chromium (Debian's `chromium`, installed
 * by `scripts/ensure-chromium.sh`, driven by playwright-core; no browser is downloaded by a test
 * tool). The run starts its own emulator, so Ctrl-C is checked to leave nothing behind: the
 * emulator is gone, positions are saved. A screenshot is kept in `test-artifacts/`. The page's
 * figures are also checked against statistics set by hand, served without the pipeline.
 */
import { spawnSync } from "node:child_process"
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync } from "node:fs"
import { tmpdir } from "node:os"
import path from "node:path"
import { repoRoot } from "@cdc/testkit/Emulator"
import * as Effect from "effect/Effect"
import * as Exit from "effect/Exit"
import * as Scope from "effect/Scope"
import { type Browser, chromium, type Page } from "playwright-core"
import { afterAll, beforeAll, describe, expect, it } from "vitest"
import { makeLiveStats } from "../../src/local/LiveStats"
import { serveWallboard } from "../../src/local/WallboardServer"
import { runCli } from "./cliProcess"

const chromiumPath = "/usr/bin/chromium"

/** The page's `document`, as far as the checks below use it (they run in the browser; no DOM types here). */
declare const document: { querySelector(selector: string): { textContent: string | null } | null }
let browser: Browser | undefined

beforeAll(() => {
  const ensured = spawnSync("bash", [path.join(repoRoot, "scripts", "ensure-chromium.sh")], { encoding: "utf8" })
  if (ensured.status !== 0) throw new Error(`scripts/ensure-chromium.sh failed: ${ensured.stderr}`)
}, 300_000)

afterAll(async () => {
  await browser?.close()
})

const counter = async (page: Page, id: string) => Number((await page.textContent(`#${id}`))?.replace(/,/g, "") ?? "0")

/** The browser, launched once for the file. */
const launched = async (): Promise<Browser> => {
  browser ??= await chromium.launch({
    executablePath: chromiumPath,
    args: [
      "--headless",
      "--no-sandbox",
      "--disable-gpu",
      "--disable-quic",
      "--no-first-run",
      "--disable-background-networking",
      "--disable-component-update",
      "--disable-sync"
    ]
  })
  return browser
}

describe("the Wallboard", () => {
  it("shows live counters and redacted events in a real browser; Ctrl-C stops everything", { timeout: 300_000 }, async () => {
    const stateDir = mkdtempSync(path.join(tmpdir(), "cdc-wallboard-"))
    const { AWS_ENDPOINT_URL: _, ...env } = process.env
    const cli = runCli(["start", "--port", "0", "--rate", "60", "--stage", `wb${Date.now().toString(36)}`, "--state-dir", stateDir], env)
    try {
      const [, url] = await cli.waitForLine(/Wallboard: (http:\/\/127\.0\.0\.1:\d+\/)/, 180_000)
      const local = JSON.parse(readFileSync(path.join(stateDir, "local.json"), "utf8")) as { endpoint: string }

      const page = await (await launched()).newPage({ viewport: { width: 1400, height: 1000 } })
      await page.goto(url!)
      await page.waitForFunction(() => Number(document.querySelector("#c-published")?.textContent?.replace(/,/g, "")) > 0, undefined, {
        timeout: 180_000
      })
      const first = await counter(page, "c-published")
      await page.waitForFunction(
        (before) => Number(document.querySelector("#c-published")?.textContent?.replace(/,/g, "")) > before,
        first,
        { timeout: 120_000 }
      )
      expect(await counter(page, "c-produced")).toBeGreaterThan(0)
      expect(await page.textContent("#run")).toMatch(/^run started \d{1,2}:\d{2}:\d{2}/)
      expect(await page.textContent("#c-behind-note")).toMatch(/as of \d+ s ago/)
      // one snapshot: schema-drift notices are not dead-lettered records, so nothing is counted twice
      const stats = (await (await fetch(`${url}stats.json`)).json()) as { totals: Record<string, number> }
      expect(stats.totals.published! + stats.totals.deadLettered!).toBeLessThanOrEqual(stats.totals.produced!)
      // A users event on the Wallboards queue, its email masked as the spec says: first char, **@, domain.
      await page.waitForFunction(
        () => /"[a-z]\*\*@(example\.com|mail\.example\.org)"/.test(document.querySelector("#latest")?.textContent ?? ""),
        undefined,
        {
          timeout: 180_000
        }
      )
      await page.waitForTimeout(1500) // let the chart draw a few seconds of history for the screenshot
      const content = await page.content()
      expect(content).not.toMatch(/canary/i)
      expect(await page.locator("#legend span").count()).toBeGreaterThan(1)
      mkdirSync(path.join(repoRoot, "test-artifacts"), { recursive: true })
      await page.screenshot({ path: path.join(repoRoot, "test-artifacts", "wallboard.png"), fullPage: true })

      // Ctrl-C: an interruption with every finalizer run exits 130, the shell's convention for SIGINT.
      const code = await cli.interrupt()
      expect(code, cli.stderr().slice(-2000)).toBe(130)
      // The emulator this run started is gone, the announcement removed, positions saved.
      await expect(fetch(`${local.endpoint}/moto-api/data.json`)).rejects.toThrow()
      expect(existsSync(path.join(stateDir, "local.json"))).toBe(false)
      const positions = readdirSync(path.join(stateDir, "positions"))
      expect(positions.length).toBe(1)
      const saved = JSON.parse(readFileSync(path.join(stateDir, "positions", positions[0]!), "utf8")) as { shards: Record<string, string> }
      expect(Object.keys(saved.shards).length).toBeGreaterThan(0)
    } finally {
      await cli.interrupt()
    }
  })
})

const text = (page: Page, selector: string) => page.textContent(selector).then((t) => t ?? "")
/** Waits until the element's text matches (the page renders each pushed snapshot). */
const showing = (page: Page, selector: string, pattern: RegExp) =>
  page.waitForFunction(
    ([s, source]) => new RegExp(source!).test(document.querySelector(s!)?.textContent ?? ""),
    [selector, pattern.source],
    {
      timeout: 15_000
    }
  )

describe("the Wallboard page", () => {
  it("shows consumer lag without the DLQ, dead-lettered records apart from drift notices, a dated iterator age, and the run's start", {
    timeout: 60_000
  }, async () => {
    const now = Date.now()
    const stats = makeLiveStats({ runStartedAt: now - 60_000 })
    stats.produced("data", 10)
    for (let i = 0; i < 8; i++) stats.eventArrived({ table: "users", eventType: "user.updated", eventId: `evt_${i}`, detail: {} }, now)
    // a users row with an undeclared column: published, and a notice on the DLQ
    stats.dlqArrived({ reason: "undeclared-columns", records: 0, notice: true })
    stats.dlqArrived({ reason: "invalid-json", records: 1, notice: false })
    stats.dlqArrived({ reason: "not-a-decimal", records: 1, notice: false })
    stats.queueDepth("wallboards", 3)
    stats.queueDepth("analytics", 1)
    stats.dlqDepth(40)
    // read 30 s ago, and the processor has been busy with a batch since
    stats.iteratorRead("shardId-000000000000", 2_000, now - 30_000)
    stats.invocationStarted("shardId-000000000000", 500, now - 30_000)

    const scope = Effect.runSync(Scope.make())
    const servers = Effect.runSync(Scope.make())
    try {
      const { url, port } = await Effect.runPromise(Scope.provide(scope)(serveWallboard({ port: 0, stats, intervalMillis: 200 })))
      const page = await (await launched()).newPage()
      await page.goto(url)
      await showing(page, "#c-published", /^8$/)
      expect([await text(page, "#c-produced"), await text(page, "#c-dead-lettered"), await text(page, "#c-drift")]).toEqual([
        "10",
        "2",
        "1"
      ])
      expect([await text(page, "#c-lag"), await text(page, "#c-dlq-depth")]).toEqual(["4", "40"])
      expect(await text(page, "#c-behind")).toBe("2.0 s")
      expect(await text(page, "#c-behind-note")).toMatch(/as of 3\d s ago, invocation in progress/)
      expect(await page.getAttribute("#behind", "class")).toContain("stale")
      expect(await text(page, "#run")).toMatch(/^run started \d{1,2}:\d{2}:\d{2}( [AP]M)?$/)

      // the pipeline restarted on the same port: the counters are back at zero, and the page says why
      await Effect.runPromise(Scope.close(scope, Exit.void))
      await Effect.runPromise(
        Scope.provide(servers)(serveWallboard({ port, stats: makeLiveStats({ runStartedAt: Date.now() }), intervalMillis: 200 }))
      )
      await showing(page, "#run", /a new run: counters started again from zero/)
      expect(await text(page, "#c-published")).toBe("0")
      await page.close()
    } finally {
      await Effect.runPromise(Effect.andThen(Scope.close(scope, Exit.void), Scope.close(servers, Exit.void)))
    }
  })
})
