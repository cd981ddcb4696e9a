/** Dependency failures, as the live Layers' `AwsError` would be, for fault injection. */
import type { Classified } from "@cdc/domain/Classified"
import * as Data from "effect/Data"

/** A retryable failure (a throttle). */
export class AwsLikeFault extends Data.TaggedError("AwsLikeFault")<{ readonly code: string }> implements Classified {
  readonly category = "throttling" as const
  readonly retryable = true
  override get message(): string {
    return `simulated ${this.code}`
  }
}

/** A failure that retrying does not fix (an access or validation error). */
export class AwsLikeRefusal extends Data.TaggedError("AwsLikeRefusal")<{ readonly code: string }> implements Classified {
  readonly category = "permanent" as const
  readonly retryable = false
  override get message(): string {
    return `simulated refusal ${this.code}`
  }
}
