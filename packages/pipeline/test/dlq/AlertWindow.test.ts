import { assert, describe, it } from "@effect/vitest"
import * as Clock from "effect/Clock"
import * as Effect from "effect/Effect"
import { AlertWindow, isQuiet, makeMemoryAlertWindowStore, openedAt } from "../../src/dlq/AlertWindow"
import { alertWindowContract, contractOptions } from "../support/AlertWindowContract"

describe("AlertWindow", () => {
  it.effect("in memory, keeps the contract the DynamoDB window keeps", () =>
    Effect.gen(function* () {
      yield* alertWindowContract(yield* AlertWindow)
    }).pipe(Effect.provide(AlertWindow.layerMemory(makeMemoryAlertWindowStore(), contractOptions)))
  )

  it.effect("switched off, lets every alert through and promises no quiet time", () =>
    Effect.gen(function* () {
      const window = yield* AlertWindow
      const problem = { table: "users", category: "poison", code: "not-an-integer" }
      for (let i = 0; i < 3; i++) {
        const admission = yield* window.admit(problem, 1, `c${i}`)
        assert.strictEqual(admission._tag, "Alert")
        assert.strictEqual(admission.windowEndsAt, yield* Clock.currentTimeMillis)
      }
    }).pipe(Effect.provide(AlertWindow.layerOff))
  )

  it("never lets a claim outlast its window", () => {
    const state = openedAt(0, "c1", undefined, { windowMillis: 30_000, claimMillis: 60_000 })
    assert.strictEqual(state.claimEndsAt, 30_000)
    assert.isFalse(isQuiet(state, 30_000))
  })
})
