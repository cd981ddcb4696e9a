import { AwsError } from "@cdc/aws/AwsError"
import { it } from "@effect/vitest"
import * as Effect from "effect/Effect"
import * as Fiber from "effect/Fiber"
import { describe, expect } from "vitest"
import { ifMissing, waitUntil } from "../../src/local/provision/Steps"
import { advance } from "./fakeRunning"

const failure = (code: string) => new AwsError({ service: "SQS", operation: "CreateQueue", code, httpStatus: 400, category: "permanent" })

describe("provisioning steps", () => {
  it.effect("ifMissing passes over only the errors that say the resource already exists", () =>
    Effect.gen(function* () {
      yield* ifMissing(Effect.fail(failure("QueueAlreadyExists")), "QueueAlreadyExists")
      const error = yield* Effect.flip(ifMissing(Effect.fail(failure("AccessDenied")), "QueueAlreadyExists"))
      expect(error.code).toBe("AccessDenied")
    })
  )

  it.effect("waitUntil polls until the resource is ready, and gives up with NotReady", () =>
    Effect.gen(function* () {
      let checks = 0
      const becomesReady = yield* Effect.forkChild(
        waitUntil(
          Effect.sync(() => ++checks),
          (n) => n >= 3,
          "the stream"
        )
      )
      yield* advance(1_000)
      expect(yield* Fiber.join(becomesReady)).toBe(3)
      const never = yield* Effect.forkChild(Effect.flip(waitUntil(Effect.succeed("CREATING"), (s) => s === "ACTIVE", "the table")))
      yield* advance(60_000, 1_000)
      expect(yield* Fiber.join(never)).toMatchObject({ code: "NotReady", operation: "wait for the table" })
    })
  )
})
