#!/usr/bin/env node
// Runs the given Node arguments under Node 22 or newer.
//
// The project needs Node >= 22 (vitest 5, the AWS SDK's support window, Lambda's nodejs22.x), but
// many machines still ship Node 20. Where the running `node` is older, this script installs the
// official Node 22 binary from the npm registry (package `node-linux-<arch>`) into the ignored
// folder `.node/` once, then re-executes itself with it. A user who already runs Node 22 pays
// nothing. This file must therefore stay plain JavaScript that Node 20 can run.
//
//   node scripts/node22.mjs --import tsx packages/cli/src/main.ts start
import { spawnSync } from "node:child_process"
import { existsSync } from "node:fs"
import path from "node:path"
import { fileURLToPath } from "node:url"
import { runStep } from "./runStep.mjs"

const NODE_VERSION = "22.23.3"
const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..")

/** The path of a Node >= 22 binary, installing one into `.node/` when needed. */
export function node22() {
  const major = Number(process.versions.node.split(".")[0])
  if (major >= 22) return process.execPath
  const pkg = `node-${process.platform}-${process.arch}`
  const prefix = path.join(root, ".node")
  const bin = path.join(prefix, "node_modules", pkg, "bin", "node")
  if (!existsSync(bin)) {
    process.stderr.write(`[node22] Node ${process.versions.node} is older than 22: installing ${pkg}@${NODE_VERSION} into .node/ (once)\n`)
    const npm = process.platform === "win32" ? "npm.cmd" : "npm"
    const result = spawnSync(
      npm,
      ["install", "--prefix", prefix, "--no-save", "--no-audit", "--no-fund", "--loglevel=error", `${pkg}@${NODE_VERSION}`],
      // npm's own output ("added 1 package") to stderr: stdout is the program's (`cdc schema > catalog.json`)
      { stdio: ["ignore", 2, "inherit"] }
    )
    if (result.status !== 0 || !existsSync(bin)) {
      process.stderr.write(`[node22] could not install ${pkg}@${NODE_VERSION}; install Node 22+ and retry\n`)
      process.exit(1)
    }
  }
  return bin
}

/**
 * Runs `args` under Node 22, forwarding stdio, signals and the exit code (see `runStep`: SIGTERM
 * and a hang-up reach the program as SIGTERM, SIGINT as SIGINT, on which Effect's runtime stops with its finalizers;
 * a program killed by a signal ends this process with 128 + its number, never 0).
 */
export function runUnderNode22(args) {
  // npm and npx die of a SIGTERM without passing it on, leaving this process orphaned and the
  // child (`cdc start`, its emulator) running: being orphaned is taken as that SIGTERM.
  const parent = process.ppid
  const watchParent = (child) => {
    const orphaned = setInterval(() => {
      if (process.ppid === parent) return
      clearInterval(orphaned)
      child.kill("SIGTERM")
    }, 500)
    orphaned.unref()
  }
  runStep(node22(), args, { env: process.env, forwardInterrupt: true }, watchParent).then((status) => process.exit(status))
}

if (process.argv[1] && path.resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  runUnderNode22(process.argv.slice(2))
}
