import { describe, expect, it } from "vitest"
import { permutations, ratioText } from "./measure"

describe("permutations", () => {
  it("gives every order once, so that each item takes each place as often", () => {
    const orders = permutations(["floor", "before", "ours"])
    expect(orders).toHaveLength(6)
    expect(new Set(orders.map((order) => order.join())).size).toBe(6)
    for (const place of [0, 1, 2]) expect(orders.filter((order) => order[place] === "ours")).toHaveLength(2)
    expect(permutations([1])).toEqual([[1]])
  })
})

describe("ratioText", () => {
  it("prints two decimals when they already tell the ratio from its limit", () => {
    expect(ratioText(1.2249, 1.3)).toBe("1.22")
    expect(ratioText(2.2549, 2)).toBe("2.25")
    expect(ratioText(1.3, 1.3)).toBe("1.3")
  })

  it("adds decimals until a ratio just past its limit no longer reads as the limit", () => {
    // 236.1 / 181.6 ms failed `≤ 1.3x` in a CI run and was printed as "1.3x MISS"
    expect(ratioText(236.1 / 181.6, 1.3)).toBe("1.3001")
    expect(ratioText(1.29999, 1.3)).toBe("1.29999")
    expect(ratioText(2.004, 2)).toBe("2.004")
  })
})
