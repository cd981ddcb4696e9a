/**
 * Bundles an entry point the way the functions are deployed (esbuild, one ESM file for node22,
 * no TypeScript loader at run time): benchmark children, so a figure is the code's and not
 * tsx's (tsx wraps every function it creates, which measurably slows hot paths), and Lambda
 * handlers whose init or contents a test inspects.
 *
 * @example
 * ```ts
 * const child = await bundleChild("bench/memory/child.ts", "bench/.build/memory/child.mjs")
 * execFileSync(process.execPath, [child])
 * const files = await bundledFiles("packages/functions/src/processor.ts", "/tmp/p.mjs", { external: ["@aws-sdk/*"] })
 * ```
 */
import { type BuildOptions, build } from "esbuild"

/** `require` for the CommonJS dependencies an ESM bundle pulls in. */
export const requireBanner = `import { createRequire as __cdcRequire } from "node:module"; const require = __cdcRequire(import.meta.url);`

export interface BundleOptions {
  /** Packages left out of the bundle, e.g. `["@aws-sdk/*"]` where the Lambda runtime provides the SDK. */
  readonly external?: ReadonlyArray<string>
  /** Import paths resolved elsewhere, e.g. `{ before: "bench/.build/compare/before" }` (esbuild `alias`). */
  readonly alias?: Readonly<Record<string, string>>
}

const buildOptions = (entry: string, outfile: string, options: BundleOptions): BuildOptions => ({
  entryPoints: [entry],
  outfile,
  bundle: true,
  platform: "node",
  format: "esm",
  target: "node22",
  banner: { js: requireBanner },
  external: [...(options.external ?? [])],
  alias: { ...options.alias },
  logLevel: "silent"
})

/** Writes the bundle of `entry` to `outfile`, and returns `outfile`. */
export const bundleChild = async (entry: string, outfile: string, options: BundleOptions = {}): Promise<string> => {
  await build(buildOptions(entry, outfile, options))
  return outfile
}

/**
 * Writes the bundle of `entry` to `outfile`, and returns the source files whose code it holds
 * (esbuild's metafile also lists the inputs it read and then tree-shook away entirely).
 */
export const bundledFiles = async (entry: string, outfile: string, options: BundleOptions = {}): Promise<ReadonlyArray<string>> => {
  const result = await build({ ...buildOptions(entry, outfile, options), metafile: true })
  return Object.values(result.metafile?.outputs ?? {}).flatMap((output) =>
    Object.entries(output.inputs).flatMap(([input, { bytesInOutput }]) => (bytesInOutput > 0 ? [input] : []))
  )
}
