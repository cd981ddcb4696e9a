/**
 * Bundles an entry point the way the functions are deployed (esbuild, one ESM file for node22,
 * no TypeScript loader at run time): benchmark children, so a figure is the code's and not
 * tsx's (tsx wraps every function it creates, which measurably slows hot paths), and Lambda
 * handlers whose init a test inspects.
 *
 * @example
 * ```ts
 * const child = await bundleChild("bench/memory/child.ts", "bench/.build/memory/child.mjs")
 * execFileSync(process.execPath, [child])
 * ```
 */
import { build } from "esbuild"

/** `require` for the CommonJS dependencies an ESM bundle pulls in. */
export const requireBanner = `import { createRequire as __cdcRequire } from "node:module"; const require = __cdcRequire(import.meta.url);`

export const bundleChild = async (entry: string, outfile: string): Promise<string> => {
  await build({
    entryPoints: [entry],
    outfile,
    bundle: true,
    platform: "node",
    format: "esm",
    target: "node22",
    banner: { js: requireBanner },
    logLevel: "silent"
  })
  return outfile
}
