import { build } from "esbuild"
const r = await build({ entryPoints: ["packages/functions/src/processor.ts"], outfile: "/tmp/p.mjs", bundle: true, platform: "node", format: "esm", target: "node22", minify: true, external: ["@aws-sdk/*"], metafile: true, logLevel: "silent" })
const inputs = r.metafile.inputs
const importers = {}
for (const [k, v] of Object.entries(inputs)) for (const i of v.imports) (importers[i.path] ??= []).push(k)
const out = r.metafile.outputs[Object.keys(r.metafile.outputs)[0]].inputs
for (const t of process.argv.slice(2)) {
  const key = Object.keys(inputs).find(k => k.endsWith("/"+t))
  console.log(t, (out[key]?.bytesInOutput/1024).toFixed(1), "<-", (importers[key]??[]).map(s=>s.replace("node_modules/effect/dist/","")+(out[s]?"":"(x)")).join(", "))
}
