import { describe, expect, it } from "vitest"
import { clipped, maxNameLength } from "../src/Clipped"

describe("clipped", () => {
  it("leaves a text of exactly the limit as it is, and clips one character more, saying how many", () => {
    const name = "t".repeat(maxNameLength)
    expect(clipped(name, maxNameLength)).toBe(name)
    expect(clipped(`${name}u`, maxNameLength)).toBe(`${name}… (1 more characters)`)
  })
})
