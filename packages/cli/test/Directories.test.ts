import { existsSync, mkdtempSync, statSync, writeFileSync } from "node:fs"
import { tmpdir } from "node:os"
import path from "node:path"
import { describe, expect, it } from "vitest"
import { makeDirectories } from "../src/Directories"

const codeOf = (run: () => void): string | undefined => {
  try {
    run()
    return undefined
  } catch (error) {
    return (error as NodeJS.ErrnoException).code
  }
}

describe("makeDirectories", () => {
  const root = mkdtempSync(path.join(tmpdir(), "cdc-dirs-"))

  it("creates a directory and its missing parents, and accepts one that exists", () => {
    const dir = path.join(root, "a", "b", "c")
    makeDirectories(dir)
    expect(statSync(dir).isDirectory()).toBe(true)
    expect(codeOf(() => makeDirectories(dir))).toBeUndefined()
    expect(codeOf(() => makeDirectories(path.relative(process.cwd(), path.join(root, "a", "d"))))).toBeUndefined()
    expect(statSync(path.join(root, "a", "d")).isDirectory()).toBe(true)
  })

  it("refuses a path through a file with ENOTDIR, and a file in its place", () => {
    const file = path.join(root, "file")
    writeFileSync(file, "")
    expect(codeOf(() => makeDirectories(path.join(file, "x")))).toBe("ENOTDIR")
    expect(codeOf(() => makeDirectories(file))).toBe("ENOTDIR")
  })

  it.runIf(existsSync("/proc/self"))("fails under /proc with ENOENT, where Node's recursive mkdir never returns", () => {
    expect(codeOf(() => makeDirectories("/proc/cdc-test"))).toBe("ENOENT")
  })
})
