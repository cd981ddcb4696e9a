import * as Effect from "effect/Effect"
import * as Exit from "effect/Exit"
import { TestClock } from "effect/testing"
import { describe, expect, it } from "vitest"
import { formatCount, makeProgress, renderProgress, scopedProgress } from "../../src/local/Progress"

/** A hand-moved clock. */
const manualClock = () => {
  let millis = 0
  return { now: () => millis, advance: (by: number) => (millis += by) }
}

describe("progress on a terminal", () => {
  it("redraws one line in place, and ends it once", () => {
    const written: Array<string> = []
    const progress = makeProgress({ write: (text) => written.push(text), isTTY: true, label: "replay", now: () => 0 })
    progress.update(1, 4)
    progress.update(2, 4)
    progress.done()
    progress.done()
    expect(written).toEqual([`\r\x1b[2K${renderProgress("replay", 1, 4, "")}`, `\r\x1b[2K${renderProgress("replay", 2, 4, "")}`, "\n"])
  })

  it("ends its line when the work fails or is interrupted, so the error does not land on the bar", async () => {
    for (const end of [Effect.fail("stream not found"), Effect.interrupt]) {
      const written: Array<string> = []
      const work = Effect.scoped(
        Effect.flatMap(scopedProgress({ write: (text) => written.push(text), isTTY: true, label: "replay" }), (progress) =>
          Effect.andThen(
            Effect.sync(() => progress.update(1, 4)),
            end
          )
        )
      )
      expect(Exit.isFailure(await Effect.runPromiseExit(work))).toBe(true)
      expect(written).toEqual([`\r\x1b[2K${renderProgress("replay", 1, 4, "")}`, "\n"])
    }
  })

  it("shows 100% only when done, and no more when the count passes an estimated total", () => {
    expect(renderProgress("replay", 999, 1000, "")).toContain(" 99% 999/1,000")
    expect(renderProgress("dlq list", 12, 10, "")).toBe(`dlq list [${"█".repeat(28)}] 100% 12/10`)
    expect(renderProgress("dlq list", 0, 0, "")).toBe("dlq list 0")
  })
})

describe("progress in a log (not a terminal)", () => {
  it("writes a line every 5 seconds at most, and ends on the final count without repeating an older one", () => {
    const clock = manualClock()
    const lines: Array<string> = []
    const progress = makeProgress({ write: (text) => lines.push(text.trim()), isTTY: false, label: "cdc", now: clock.now })
    progress.update(1, 3)
    clock.advance(1_000)
    progress.update(2, 3) // within 5 s of the last line: held back
    clock.advance(5_000)
    progress.update(3, 3)
    progress.done()
    expect(lines.map((line) => line.split(" ").at(-1))).toEqual(["1/3", "3/3"])
  })

  it("does not print the same line twice (a count that never moves, as when nothing matches)", () => {
    const clock = manualClock()
    const lines: Array<string> = []
    const progress = makeProgress({ write: (text) => lines.push(text.trim()), isTTY: false, label: "dlq list", now: clock.now })
    progress.update(0, undefined, "matched 0")
    clock.advance(1_000)
    progress.update(0, undefined, "matched 0")
    clock.advance(6_000)
    progress.update(0, undefined, "matched 0")
    progress.done()
    expect(lines).toEqual(["dlq list 0 · matched 0"])
  })
})

describe("the counts of a progress line", () => {
  it("names what the count counts, and sets the detail apart with a ·, as the detail sets its counts apart", () => {
    // `cdc start`'s line: the changes produced, then what became of them
    expect(renderProgress("cdc", 2815, undefined, "published 2,253 · other events 7 · dlq 29", "produced")).toBe(
      "cdc produced 2,815 · published 2,253 · other events 7 · dlq 29"
    )
    expect(renderProgress("cdc", 1000, 2000, "published 998", "produced")).toBe(
      `cdc [${"█".repeat(14)}${" ".repeat(14)}]  50% produced 1,000/2,000 · published 998`
    )
    // without a name, the count stands alone, as for `replay` and `dlq list`
    expect(renderProgress("dlq list", 3, undefined, "")).toBe("dlq list 3")
  })

  it("writes every count with thousands separators, bar or counter", () => {
    expect([0, 999, 1000, 2253, 1234567].map(formatCount)).toEqual(["0", "999", "1,000", "2,253", "1,234,567"])
    expect(renderProgress("replay", 12500, 40000, "")).toMatch(/ 31% 12,500\/40,000$/)
    expect(renderProgress("cdc", 2815, undefined, "", "produced")).toBe("cdc produced 2,815")
  })

  it("is drawn with the name given to the display", () => {
    const written: Array<string> = []
    const progress = makeProgress({ write: (text) => written.push(text), isTTY: false, label: "cdc", counted: "produced", now: () => 0 })
    progress.update(2815, undefined, "published 2,253")
    expect(written).toEqual(["cdc produced 2,815 · published 2,253\n"])
  })
})

describe("scopedProgress", () => {
  it("paces a plain log by Effect's Clock", async () => {
    const lines: Array<string> = []
    const work = Effect.scoped(
      Effect.gen(function* () {
        const progress = yield* scopedProgress({ write: (text) => lines.push(text.trim()), isTTY: false, label: "replay" })
        progress.update(1, 3)
        yield* TestClock.adjust("6 seconds")
        progress.update(2, 3) // 6 s (of the test clock) after the last line: printed
        progress.update(3, 3) // at once: held back, printed when done
      })
    ).pipe(Effect.provide(TestClock.layer()))
    await Effect.runPromise(work)
    expect(lines.map((line) => line.split(" ").at(-1))).toEqual(["1/3", "2/3", "3/3"])
  })
})
