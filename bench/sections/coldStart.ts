/**
 * Section 4, cold start: the processor handler bundled as Lambda would run it (esbuild, minified,
 * platform node, ESM, target node22) with the AWS SDK bundled and with `@aws-sdk/*` external (the
 * Lambda runtime provides it), next to a minimal hand-written handler making the same calls
 * (../coldstart/minimalHandler), bundled the same way. Init time: a fresh `node` per measurement
 * imports the bundle and invokes its handler once with an empty batch, between two
 * `performance.now()` calls (the import alone is reported beside it); the median of the runs,
 * alternating the two handlers so background load hits both alike.
 *
 * Targets: our code + Effect adds at most 300 KB (external-SDK bundles compared); init (import and
 * first invocation) at most 1.3x the minimal handler's.
 */
import { execFileSync } from "node:child_process"
import { mkdirSync, statSync } from "node:fs"
import path from "node:path"
import { requireBanner } from "@cdc/testkit/Bundle"
import { build } from "esbuild"
import { median, ratioText, round } from "../lib/measure"
import type { SectionOptions, SectionResult } from "./types"

const outDir = path.join("bench", ".build", "coldstart")
const entries = {
  processor: path.join("packages", "functions", "src", "processor.ts"),
  minimal: path.join("bench", "coldstart", "minimalHandler.ts")
}

/** Who a bundled input belongs to: our packages, effect, the AWS SDK, smithy, or another dependency. */
const originOf = (input: string): string => {
  const match = /node_modules\/((?:@[^/]+\/)?[^/]+)/.exec(input)
  if (match === null) return "ours"
  const name = match[1]!
  if (name === "effect" || name.startsWith("@effect/")) return "effect"
  if (name.startsWith("@aws-sdk/")) return "@aws-sdk"
  if (name.startsWith("@smithy/")) return "@smithy"
  return "other"
}

const bundle = async (name: keyof typeof entries, sdkExternal: boolean) => {
  const outfile = path.join(outDir, `${name}${sdkExternal ? "-sdk-external" : "-sdk-bundled"}.mjs`)
  const result = await build({
    entryPoints: [entries[name]],
    outfile,
    bundle: true,
    minify: true,
    platform: "node",
    format: "esm",
    target: "node22",
    banner: { js: requireBanner },
    external: sdkExternal ? ["@aws-sdk/*"] : [],
    metafile: true,
    logLevel: "silent"
  })
  const byOrigin: Record<string, number> = {}
  for (const [input, { bytesInOutput }] of Object.entries(result.metafile.outputs[outfile]?.inputs ?? {})) {
    const origin = originOf(input)
    byOrigin[origin] = round((byOrigin[origin] ?? 0) + bytesInOutput / 1024, 1)
  }
  return { outfile, kb: round(statSync(outfile).size / 1024, 1), byOrigin }
}

/** What a cold start costs: the import (module init), and the import plus a first invocation. */
interface ColdStart {
  readonly importMillis: number
  readonly firstResponseMillis: number
}

const marker = "@@cold-start "

/**
 * A fresh node imports `file` and invokes its handler once with an empty batch (no AWS call on
 * either side). The import alone flatters a handler that builds its clients on first use, as ours
 * does (its runtime is built on the first invocation) where the minimal handler builds them at
 * import: what Lambda's first invocation waits for is both.
 */
const coldStartOf = (file: string): ColdStart => {
  const script = [
    "const t = performance.now()",
    `const m = await import(${JSON.stringify(path.resolve(file))})`,
    "const imported = performance.now() - t",
    'await m.handler({ Records: [] }, { awsRequestId: "bench", functionName: "bench" })',
    `process.stdout.write("\\n${marker}" + JSON.stringify({ importMillis: imported, firstResponseMillis: performance.now() - t }) + "\\n")`
  ].join("; ")
  const out = execFileSync(process.execPath, ["--input-type=module", "-e", script], {
    env: {
      ...process.env,
      CDC_EVENT_BUS_NAME: "bench",
      CDC_STATE_TABLE: "bench",
      CDC_DLQ_URL: "http://localhost/bench",
      // keys of its own, as long as a deployed stage's must be (else the processor logs a warning)
      CDC_HASH_KEY: "bench-hash-key-".padEnd(64, "h"),
      CDC_TOKENIZE_KEY: "bench-tokenize-key-".padEnd(64, "t"),
      AWS_REGION: "us-east-1"
    },
    encoding: "utf8"
  })
  // the handler's own lines (EMF metrics, logs) come before the figures
  const line = out.split("\n").find((l) => l.startsWith(marker))
  if (line === undefined) throw new Error("no figures printed")
  return JSON.parse(line.slice(marker.length)) as ColdStart
}

export const run = async ({ quick, log }: SectionOptions): Promise<SectionResult> => {
  mkdirSync(outDir, { recursive: true })
  // a median of fewer fresh imports moved by ±0.15x between runs on a loaded 2-core machine
  const repeats = quick ? 15 : 31
  const sizes = {
    processor: { bundled: await bundle("processor", false), external: await bundle("processor", true) },
    minimal: { bundled: await bundle("minimal", false), external: await bundle("minimal", true) }
  }
  log(`cold start: ${repeats} fresh node processes per bundle`)
  const samples: Record<string, Array<ColdStart>> = {}
  const files = Object.entries(sizes).flatMap(([name, s]) => [
    [`${name}-bundled`, s.bundled.outfile],
    [`${name}-external`, s.external.outfile]
  ])
  const violations: Array<string> = []
  for (let i = 0; i < repeats; i++) {
    for (const [key, file] of files) {
      try {
        const value = coldStartOf(file!)
        samples[key!] = [...(samples[key!] ?? []), value]
      } catch (error) {
        violations.push(`importing ${file} failed: ${String(error).split("\n")[0]}`)
        break
      }
    }
    if (violations.length > 0) break
  }
  const medianOf = (key: string, of: keyof ColdStart) => median((samples[key] ?? []).map((sample) => sample[of]))
  // the targets: import and first response (medians, unrounded: the ratio is taken before rounding)
  const first = Object.fromEntries(Object.keys(samples).map((key) => [key, medianOf(key, "firstResponseMillis")]))
  const init = Object.fromEntries(Object.keys(samples).map((key) => [key, round(medianOf(key, "importMillis"), 1)]))
  const ms = (key: string) => round(first[key] ?? Number.NaN, 1)
  const origins = sizes.processor.external.byOrigin
  // What our code and Effect add: their bytes in the SDK-external bundle (the rest is the
  // SDK's smithy layer and small dependencies that the minimal handler also pulls in when bundled).
  const addedKb = round((origins.ours ?? 0) + (origins.effect ?? 0), 1)
  const ratioBundled = (first["processor-bundled"] ?? Number.NaN) / (first["minimal-bundled"] ?? Number.NaN)
  const ratioExternal = (first["processor-external"] ?? Number.NaN) / (first["minimal-external"] ?? Number.NaN)
  const importRatio = (side: string) => round((init[`processor-${side}`] ?? Number.NaN) / (init[`minimal-${side}`] ?? Number.NaN))
  const section = "4. cold start"
  return {
    section,
    figures: {
      bundleKb: {
        processor: { sdkBundled: sizes.processor.bundled.kb, sdkExternal: sizes.processor.external.kb },
        minimal: { sdkBundled: sizes.minimal.bundled.kb, sdkExternal: sizes.minimal.external.kb }
      },
      addedKb,
      processorKbByOrigin: { sdkExternal: sizes.processor.external.byOrigin, sdkBundled: sizes.processor.bundled.byOrigin },
      // the import alone (module init); the targets take import + first invocation, below
      importMillisMedian: init,
      firstResponseMillisMedian: Object.fromEntries(Object.keys(first).map((key) => [key, ms(key)])),
      repeats,
      // firstResponseMillisMedian's ratios (import + first invocation): what the checks judge
      initRatio: { sdkBundled: round(ratioBundled), sdkExternal: round(ratioExternal) },
      importOnlyRatio: { sdkBundled: importRatio("bundled"), sdkExternal: importRatio("external") }
    },
    checks: [
      {
        section,
        name: "bundle KB added by our code + Effect",
        value: `${addedKb} KB (ours ${origins.ours ?? 0} + effect ${origins.effect ?? 0}; bundles ${sizes.processor.external.kb} vs ${sizes.minimal.external.kb} KB SDK external, ${sizes.processor.bundled.kb} vs ${sizes.minimal.bundled.kb} KB bundled)`,
        target: "≤ 300 KB",
        pass: addedKb <= 300
      },
      {
        section,
        name: "init + first invocation vs minimal handler (SDK bundled)",
        value: `${ratioText(ratioBundled, 1.3)}x (${ms("processor-bundled")} vs ${ms("minimal-bundled")} ms; import alone ${importRatio("bundled")}x)`,
        target: "≤ 1.3x",
        pass: ratioBundled <= 1.3
      },
      {
        section,
        name: "init + first invocation vs minimal handler (SDK external)",
        value: `${ratioText(ratioExternal, 1.3)}x (${ms("processor-external")} vs ${ms("minimal-external")} ms; import alone ${importRatio("external")}x)`,
        target: "≤ 1.3x",
        pass: ratioExternal <= 1.3
      }
    ],
    violations
  }
}
