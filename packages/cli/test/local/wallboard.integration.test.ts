/**
 * `cdc start` with its Wallboard, seen in a real headless Chromium (Debian's `chromium`, installed
 * by `scripts/ensure-chromium.sh`, driven by playwright-core; no browser is downloaded by a test
 * tool). The run starts its own emulator, so Ctrl-C is checked to leave nothing behind: the
 * emulator is gone, positions are saved. A screenshot is kept in `test-artifacts/`.
 */
import { spawnSync } from "node:child_process"
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync } from "node:fs"
import { tmpdir } from "node:os"
import path from "node:path"
import { repoRoot } from "@cdc/testkit/Emulator"
import { type Browser, chromium } from "playwright-core"
import { afterAll, beforeAll, describe, expect, it } from "vitest"
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

const counter = async (page: import("playwright-core").Page, id: string) =>
  Number((await page.textContent(`#${id}`))?.replace(/,/g, "") ?? "0")

describe("the Wallboard", () => {
  it("shows live counters and redacted events in a real browser; Ctrl-C stops everything", { timeout: 300_000 }, async () => {
    const stateDir = mkdtempSync(path.join(tmpdir(), "cdc-wallboard-"))
    const { AWS_ENDPOINT_URL: _, ...env } = process.env
    const cli = runCli(["start", "--port", "0", "--rate", "60", "--stage", `wb${Date.now().toString(36)}`, "--state-dir", stateDir], env)
    try {
      const [, url] = await cli.waitForLine(/Wallboard: (http:\/\/127\.0\.0\.1:\d+\/)/, 180_000)
      const local = JSON.parse(readFileSync(path.join(stateDir, "local.json"), "utf8")) as { endpoint: string }

      browser = await chromium.launch({
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
      const page = await browser.newPage({ viewport: { width: 1400, height: 1000 } })
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
