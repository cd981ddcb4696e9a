import { developmentHashKey } from "@cdc/domain/RedactionKeys"
import { describe, expect, it } from "@effect/vitest"
import * as ConfigProvider from "effect/ConfigProvider"
import * as Effect from "effect/Effect"
import * as Layer from "effect/Layer"
import * as Logger from "effect/Logger"
import { layerConfig, RecordPath } from "../src/RecordPath"

/** The warnings logged while the record path is built from `env`. */
const warningsBuilding = (env: Record<string, string>) => {
  const lines: Array<string> = []
  const capture = Logger.make((options) => {
    if (options.logLevel === "Warn") lines.push(Logger.formatJson.log(options))
  })
  return Effect.gen(function* () {
    yield* RecordPath
    return lines
  }).pipe(
    Effect.provide(layerConfig.pipe(Layer.provide(ConfigProvider.layer(ConfigProvider.fromEnv({ env }))))),
    Effect.provide(Logger.layer([capture]))
  )
}

describe("RecordPath.layerConfig", () => {
  it.effect("warns, naming the variable and never a key, when a redaction key is left to its development default", () =>
    Effect.gen(function* () {
      const both = yield* warningsBuilding({ CDC_EVENT_BUS_NAME: "bus" })
      expect(both).toHaveLength(1)
      expect(both[0]).toContain("CDC_HASH_KEY and CDC_TOKENIZE_KEY unset or empty")
      expect(both[0]).not.toContain(developmentHashKey)
      // an empty variable is read as unset: a blank secret falls back to the public key too
      const blank = yield* warningsBuilding({ CDC_EVENT_BUS_NAME: "bus", CDC_HASH_KEY: "", CDC_TOKENIZE_KEY: "a-real-secret" })
      expect(blank).toHaveLength(1)
      expect(blank[0]).toContain("CDC_HASH_KEY unset or empty")
      expect(blank[0]).not.toContain("a-real-secret")
      expect(yield* warningsBuilding({ CDC_EVENT_BUS_NAME: "bus", CDC_HASH_KEY: "h-secret", CDC_TOKENIZE_KEY: "t-secret" })).toEqual([])
    })
  )
})
