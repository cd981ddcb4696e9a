/**
 * Section 4, cold start: the processor handler bundled as Lambda would run it (esbuild, minified,
 * platform node, ESM, target node22) with the AWS SDK bundled and with `@aws-sdk/*` external (the
 * Lambda runtime provides it), next to a minimal hand-written handler making the same calls
 * (../coldstart/minimalHandler), bundled the same way. Module init time: a fresh `node` per
 * measurement imports the bundle between two `performance.now()` calls; the median of the runs,
 * alternating the two handlers so background load hits both alike.
 *
 * Targets: our code + Effect adds at most 300 KB (external-SDK bundles compared); init at most
 * 1.3x the minimal handler's.
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

/** Milliseconds a fresh node spends importing `file` (module init, no invocation). */
const initMillis = (file: string): number => {
  const script = `const t = performance.now(); await import(${JSON.stringify(path.resolve(file))}); process.stdout.write(String(performance.now() - t))`
  const out = execFileSync(process.execPath, ["--input-type=module", "-e", script], {
    env: {
      ...process.env,
      CDC_EVENT_BUS_NAME: "bench",
      CDC_STATE_TABLE: "bench",
      CDC_DLQ_URL: "http://localhost/bench",
      AWS_REGION: "us-east-1"
    },
    encoding: "utf8"
  })
  return Number(out)
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
  const samples: Record<string, Array<number>> = {}
  const files = Object.entries(sizes).flatMap(([name, s]) => [
    [`${name}-bundled`, s.bundled.outfile],
    [`${name}-external`, s.external.outfile]
  ])
  const violations: Array<string> = []
  for (let i = 0; i < repeats; i++) {
    for (const [key, file] of files) {
      try {
        const value = initMillis(file!)
        samples[key!] = [...(samples[key!] ?? []), value]
      } catch (error) {
        violations.push(`importing ${file} failed: ${String(error).split("\n")[0]}`)
        break
      }
    }
    if (violations.length > 0) break
  }
  const init = Object.fromEntries(Object.entries(samples).map(([key, values]) => [key, round(median(values), 1)]))
  const origins = sizes.processor.external.byOrigin
  // What our code and Effect add: their bytes in the SDK-external bundle (the rest is the
  // SDK's smithy layer and small dependencies that the minimal handler also pulls in when bundled).
  const addedKb = round((origins.ours ?? 0) + (origins.effect ?? 0), 1)
  const ratioBundled = (init["processor-bundled"] ?? Number.NaN) / (init["minimal-bundled"] ?? Number.NaN)
  const ratioExternal = (init["processor-external"] ?? Number.NaN) / (init["minimal-external"] ?? Number.NaN)
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
      initMillisMedian: init,
      repeats,
      initRatio: { sdkBundled: round(ratioBundled), sdkExternal: round(ratioExternal) }
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
        name: "module init vs minimal handler (SDK bundled)",
        value: `${ratioText(ratioBundled, 1.3)}x (${init["processor-bundled"]} vs ${init["minimal-bundled"]} ms)`,
        target: "≤ 1.3x",
        pass: ratioBundled <= 1.3
      },
      {
        section,
        name: "module init vs minimal handler (SDK external)",
        value: `${ratioText(ratioExternal, 1.3)}x (${init["processor-external"]} vs ${init["minimal-external"]} ms)`,
        target: "≤ 1.3x",
        pass: ratioExternal <= 1.3
      }
    ],
    violations
  }
}
