import { developmentHashKey } from "@cdc/domain/RedactionKeys"
import { describe, expect, it } from "@effect/vitest"
import * as ConfigProvider from "effect/ConfigProvider"
import * as Effect from "effect/Effect"
import * as Layer from "effect/Layer"
import * as Logger from "effect/Logger"
import { DlqRecordPath } from "../src/dlq/DlqRecordPath"
import { layerConfig, RecordPath } from "../src/RecordPath"

/** Both functions read the redaction keys at cold start: the processor's record path and the DLQ worker's. */
const builders = [
  { name: "the processor's RecordPath.layerConfig", build: Effect.provide(Effect.service(RecordPath), layerConfig) },
  { name: "the DLQ worker's DlqRecordPath.layerConfig", build: Effect.provide(Effect.service(DlqRecordPath), DlqRecordPath.layerConfig) }
]

/** The warnings logged while `build` runs with `env`. */
const warningsBuilding = (build: Effect.Effect<unknown, unknown>, env: Record<string, string>) => {
  const lines: Array<string> = []
  const capture = Logger.make((options) => {
    if (options.logLevel === "Warn") lines.push(Logger.formatJson.log(options))
  })
  return build.pipe(
    Effect.as(lines),
    Effect.provide(
      Layer.merge(ConfigProvider.layer(ConfigProvider.fromEnv({ env: { CDC_EVENT_BUS_NAME: "bus", ...env } })), Logger.layer([capture]))
    )
  )
}

const hashKey = "h".repeat(32)
const tokenizeKey = "t".repeat(40)

describe.each(builders)("$name", ({ build }) => {
  it.effect("warns, naming the variable and never a key, when a redaction key is left to its development default", () =>
    Effect.gen(function* () {
      const both = yield* warningsBuilding(build, {})
      expect(both).toHaveLength(1)
      expect(both[0]).toContain("CDC_HASH_KEY and CDC_TOKENIZE_KEY unset or empty")
      expect(both[0]).not.toContain(developmentHashKey)
      // an empty or blank variable is read as unset: a blank secret falls back to the public key too
      for (const blank of ["", " \n"]) {
        const warned = yield* warningsBuilding(build, { CDC_HASH_KEY: blank, CDC_TOKENIZE_KEY: tokenizeKey })
        expect(warned).toHaveLength(1)
        expect(warned[0]).toContain("CDC_HASH_KEY unset or empty")
        expect(warned[0]).not.toContain(tokenizeKey)
      }
      expect(yield* warningsBuilding(build, { CDC_HASH_KEY: hashKey, CDC_TOKENIZE_KEY: tokenizeKey })).toEqual([])
    })
  )

  it.effect("refuses a CDC_SOURCE_PREFIX no deployed pipeline could publish under, naming the variable", () =>
    Effect.gen(function* () {
      const refused = yield* Effect.flip(
        warningsBuilding(build, { CDC_SOURCE_PREFIX: "aws.cdc", CDC_HASH_KEY: hashKey, CDC_TOKENIZE_KEY: tokenizeKey })
      )
      expect(String(refused)).toContain('CDC_SOURCE_PREFIX: source prefix "aws.cdc" is reserved')
    })
  )

  it.effect("warns, naming the variable and never the key, when a redaction key is shorter than 32 characters", () =>
    Effect.gen(function* () {
      const short = yield* warningsBuilding(build, { CDC_HASH_KEY: hashKey, CDC_TOKENIZE_KEY: "hunter2" })
      expect(short).toHaveLength(1)
      expect(short[0]).toContain("CDC_TOKENIZE_KEY shorter than 32 characters")
      expect(short[0]).not.toContain("hunter2")
    })
  )
})
