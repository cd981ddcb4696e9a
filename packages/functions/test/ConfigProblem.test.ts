import { configProblem } from "@cdc/pipeline/ConfigProblem"
import * as ConfigProvider from "effect/ConfigProvider"
import * as Effect from "effect/Effect"
import { describe, expect, it } from "vitest"
import { functionSettingsConfig } from "../src/Settings"

/** The message of the error the functions' settings fail with, in this environment. */
const messageOf = (env: Record<string, string>) =>
  Effect.runPromise(Effect.flip(functionSettingsConfig.parse(ConfigProvider.fromEnv({ env })))).then((error) => error.cause.message)

describe("configProblem", () => {
  it("names the variable first, on one line, with Effect's account of what was expected and not the value", async () => {
    const secretLike = "s3cr3t-v@lue"
    const line = configProblem(await messageOf({ CDC_BREAKER_FAILURE_THRESHOLD: secretLike }))
    expect(line).toBe("CDC_BREAKER_FAILURE_THRESHOLD: Expected a string representing a finite number")
    expect(configProblem(await messageOf({ CDC_ALERT_WINDOW_MINUTES: "-3" }))).toBe(
      "CDC_ALERT_WINDOW_MINUTES: Expected a value greater than or equal to 0"
    )
  })

  it("keeps a message without a path as it is, and joins several problems", () => {
    expect(configProblem("CDC_HASH_KEY and CDC_TOKENIZE_KEY hold the same key")).toBe("CDC_HASH_KEY and CDC_TOKENIZE_KEY hold the same key")
    expect(configProblem('Expected a\n  at ["A"]\nExpected b\n  at ["B", 0]')).toBe("A: Expected a; B.0: Expected b")
    expect(configProblem("Expected x\n  at [not json]")).toBe("Expected x at [not json]")
  })
})
