/** A retryable dependency failure, as the live Layers' `AwsError` would be, for fault injection. */
import type { Classified } from "@cdc/domain/Classified"
import { Data } from "effect"

export class AwsLikeFault extends Data.TaggedError("AwsLikeFault")<{ readonly code: string }> implements Classified {
  readonly category = "throttling" as const
  readonly retryable = true
  override get message(): string {
    return `simulated ${this.code}`
  }
}
