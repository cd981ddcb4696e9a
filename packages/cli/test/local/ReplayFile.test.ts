import { execFileSync, spawn } from "node:child_process"
import { appendFileSync, mkdtempSync, writeFileSync } from "node:fs"
import { tmpdir } from "node:os"
import path from "node:path"
import { describe, expect, it } from "vitest"
import { maxReplayLineBytes, replayBlocks, replaySource, scanReplayFile } from "../../src/local/ReplayFile"

const dir = mkdtempSync(path.join(tmpdir(), "cdc-replay-file-"))
const fileOf = (name: string, text: string | Buffer) => {
  const file = path.join(dir, name)
  writeFileSync(file, text)
  return file
}
const cdc = (id: number) => JSON.stringify({ tableName: "users", operation: "INSERT", afterImage: { id } })

const blocksOf = async (file: string, fromLine: number, size: { records: number; bytes: number }) => {
  const blocks = []
  for await (const block of replayBlocks(replaySource(file), fromLine, size))
    blocks.push({ lines: block.records.map((r) => r.number), nextLine: block.nextLine })
  return blocks
}

describe("the replay file, read twice", () => {
  it("counts lines as an editor does (CRLF, a blank line, no final newline) and checks each from --from-line on", async () => {
    const file = fileOf(
      "mixed.ndjson",
      `\uFEFF${cdc(1)}\r\n\r\n${cdc(2)}\n   \n${JSON.stringify({ kinesis: { data: "eyJ4Ijox!Q==" } })}\n${cdc(3)}`
    )
    const all = await scanReplayFile(replaySource(file), 1)
    expect(all).toEqual({
      lineCount: 6,
      records: 3,
      shapes: { cdc: 3 },
      problems: [expect.stringMatching(/^line 5: .*invalid-base64/)],
      problemCount: 1
    })
    expect(await scanReplayFile(replaySource(file), 6)).toMatchObject({ lineCount: 6, records: 1, problemCount: 0 })
  })

  it("refuses a line longer than any record unread, and goes on with the lines after it", async () => {
    const file = fileOf("long.ndjson", `${cdc(1)}\n${"x".repeat(maxReplayLineBytes + 1)}\n${cdc(3)}\n`)
    const scan = await scanReplayFile(replaySource(file), 1)
    expect([scan.lineCount, scan.records, scan.problems]).toEqual([
      3,
      2,
      [`line 2: line of ${maxReplayLineBytes + 1} bytes, longer than any record Kinesis takes (not read)`]
    ])
  })

  it("gives the records a block at a time, closed by count or by bytes, with the line to resume after each", async () => {
    const file = fileOf("blocks.ndjson", `${[1, 2, 3, 4, 5].map(cdc).join("\n")}\n\n`)
    expect(await blocksOf(file, 2, { records: 2, bytes: 1_000_000 })).toEqual([
      { lines: [2, 3], nextLine: 4 },
      { lines: [4, 5], nextLine: 6 }
    ])
    // the trailing blank line is read after the last record: past it
    expect(await blocksOf(file, 1, { records: 10, bytes: cdc(1).length * 2 })).toEqual([
      { lines: [1, 2], nextLine: 3 },
      { lines: [3, 4], nextLine: 5 },
      { lines: [5], nextLine: 7 }
    ])
  })

  it.runIf(process.platform !== "win32")("reads a pipe once and holds it: the second pass gives the same records", async () => {
    const fifo = path.join(dir, "pipe")
    execFileSync("mkfifo", [fifo])
    const writer = spawn("sh", ["-c", `printf '%s\\n' '${cdc(1)}' '' '${cdc(2)}' > "$0"`, fifo])
    const exited = new Promise((resolve) => writer.once("exit", resolve))
    const source = replaySource(fifo)
    expect(await scanReplayFile(source, 1)).toMatchObject({ lineCount: 3, records: 2 })
    await exited
    const lines = []
    for await (const block of replayBlocks(source, 1, { records: 10, bytes: 1_000_000 })) lines.push(...block.records.map((r) => r.number))
    expect(lines).toEqual([1, 3])
  })

  it("refuses to write a file changed since it was checked: its new lines were not", async () => {
    const file = fileOf("changing.ndjson", `${cdc(1)}\n${cdc(2)}\n`)
    const source = replaySource(file)
    expect(await scanReplayFile(source, 1)).toMatchObject({ records: 2, problemCount: 0 })
    appendFileSync(file, `${JSON.stringify({ kinesis: { data: "eyJ4Ijox!Q==" } })}\n${cdc(4)}\n`)
    const blocks = replayBlocks(source, 1, { records: 10, bytes: 1_000_000 })
    await expect(blocks.next()).rejects.toMatchObject({ code: "changed-since-checked" })
    // and a line that cannot be written, met while writing, stops the writes as well
    await expect(blocksOf(file, 1, { records: 10, bytes: 1_000_000 })).rejects.toThrow("line 3 changed since it was checked")
  })

  it("holds what is no regular file after its first read, which cannot be read again", async () => {
    // a directory stands for a pipe here: not a regular file; its read fails as a pipe's could
    await expect(scanReplayFile(replaySource(dir), 1)).rejects.toMatchObject({ code: "EISDIR" })
    await expect(scanReplayFile(replaySource(path.join(dir, "missing.ndjson")), 1)).rejects.toMatchObject({ code: "ENOENT" })
  })
})
