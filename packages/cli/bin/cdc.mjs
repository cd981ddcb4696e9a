#!/usr/bin/env node
// `npx cdc …`: runs the TypeScript CLI directly (no build step) under Node 22+, bootstrapping
// Node 22 where the machine's node is older (see scripts/node22.mjs).
import path from "node:path"
import { fileURLToPath } from "node:url"
import { runUnderNode22 } from "../../../scripts/node22.mjs"

const main = path.join(path.dirname(fileURLToPath(import.meta.url)), "..", "src", "main.ts")
runUnderNode22(["--import", import.meta.resolve("tsx"), main, ...process.argv.slice(2)])
