import { describe, expect, it } from "vitest"
import { deliveryViolations } from "./SdkBoundary"

describe("deliveryViolations", () => {
  it("passes the same set, and names what is missing or unexpected", () => {
    expect(deliveryViolations("ours", new Set(["a", "b"]), new Set(["b", "a"]))).toEqual([])
    expect(deliveryViolations("ours", new Set(["a", "b"]), new Set(["a"]))).toEqual([
      "ours: 1 of 2 expected events never accepted by EventBridge"
    ])
    expect(deliveryViolations("ours", new Set(["a"]), new Set(["a", "z"]))).toEqual([
      "ours: 1 accepted events are none of the expected ones"
    ])
    expect(deliveryViolations("ours", new Set(["a"]), new Set())).toHaveLength(1)
    expect(deliveryViolations("ours", new Set(["a", "b"]), new Set(["a", "z"]))).toEqual([
      "ours: 1 of 2 expected events never accepted by EventBridge",
      "ours: 1 accepted events are none of the expected ones"
    ])
  })
})
