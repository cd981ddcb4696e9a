import { execFileSync } from "node:child_process"
import { mkdtempSync, rmSync } from "node:fs"
import { tmpdir } from "node:os"
import path from "node:path"
import { bundleChild, bundledFiles } from "@cdc/testkit/Bundle"
import { afterAll, describe, expect, it } from "vitest"

const dir = mkdtempSync(path.join(tmpdir(), "cdc-init-"))
afterAll(() => rmSync(dir, { recursive: true, force: true }))

/** The built-in modules a fresh node loads while importing `entry` bundled as it is deployed (ESM). */
const builtinsLoadedAtInit = async (entry: string): Promise<ReadonlyArray<string>> => {
  const outfile = await bundleChild(entry, path.join(dir, `${path.basename(entry, ".ts")}.mjs`))
  const script = `await import(${JSON.stringify(outfile)}); process.stdout.write(JSON.stringify(process.moduleLoadList))`
  const out = execFileSync(process.execPath, ["--input-type=module", "-e", script], {
    env: {
      PATH: process.env.PATH,
      AWS_REGION: "us-east-1",
      CDC_EVENT_BUS_NAME: "bus",
      CDC_STATE_TABLE: "state",
      CDC_DLQ_URL: "http://localhost/dlq",
      CDC_ARCHIVE_BUCKET: "archive",
      CDC_ALERT_TOPIC_ARN: "arn:aws:sns:us-east-1:000000000000:alerts"
    },
    encoding: "utf8"
  })
  return JSON.parse(out) as ReadonlyArray<string>
}

// Cold start: an ES module importing from `node:http` makes Node evaluate every export of it,
// lazy ones included, which loads its bundled fetch implementation (undici): init time for a
// client that never uses it. The SDK's handler requires `http` itself when it needs it.
describe("Lambda init", () => {
  for (const name of ["processor", "dlqWorker"]) {
    it(`${name}: importing the deployed bundle does not load Node's fetch implementation`, async () => {
      const loaded = await builtinsLoadedAtInit(path.join("packages", "functions", "src", `${name}.ts`))
      expect(loaded).toContain("NativeModule internal/crypto/hash")
      expect(loaded.filter((module) => module.includes("undici"))).toEqual([])
    }, 60_000)
  }
})

// Where the SDK comes from the Lambda runtime (bundled with `@aws-sdk/*` external, as CDK does by
// default), a copy of its HTTP handler in our bundle would be loaded beside the runtime's own.
// (The DLQ worker keeps one: its Kinesis client needs the HTTP/1.1 handler built, see ClientOptions.)
describe("Lambda bundle, SDK external", () => {
  it("processor: holds no copy of the SDK's HTTP handler", async () => {
    const entry = path.join("packages", "functions", "src", "processor.ts")
    const held = await bundledFiles(entry, path.join(dir, "processor-sdk-external.mjs"), { external: ["@aws-sdk/*"] })
    expect(held.some((input) => input.includes("packages/aws/src/ClientOptions.ts"))).toBe(true)
    expect(held.filter((input) => input.includes("@smithy/node-http-handler"))).toEqual([])
  }, 60_000)
})
