/**
 * Small steps shared by the provisioning modules: create-if-missing and wait-until-ready, both
 * in terms of the typed {@link AwsError}.
 *
 * @example
 * ```ts
 * yield* ifMissing(call("SQS", "CreateQueue", send), "QueueAlreadyExists")
 * ```
 */
import { AwsError } from "@cdc/aws/AwsError"
import * as Effect from "effect/Effect"

/** Succeeds when the call fails only because the resource already exists. */
export const ifMissing = <A>(effect: Effect.Effect<A, AwsError>, ...alreadyExists: ReadonlyArray<string>) =>
  effect.pipe(
    Effect.asVoid,
    Effect.catchIf(
      (error) => alreadyExists.includes(error.code),
      () => Effect.void
    )
  )

export const waitUntil = <A>(check: Effect.Effect<A, AwsError>, ready: (a: A) => boolean, what: string) =>
  Effect.gen(function* () {
    for (let attempt = 0; attempt < 100; attempt++) {
      const value = yield* check
      if (ready(value)) return value
      yield* Effect.sleep(200)
    }
    return yield* Effect.fail(
      new AwsError({ service: "local", operation: `wait for ${what}`, code: "NotReady", httpStatus: undefined, category: "transient" })
    )
  })
