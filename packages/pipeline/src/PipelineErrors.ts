/**
 * The tagged errors the pipeline itself raises for a record (the record path's own are in
 * `@cdc/domain/Errors`). All implement {@link Classified}; messages carry sizes, codes and
 * coordinates, never a record value.
 *
 * @example
 * ```ts
 * new OversizedEntryError({ bytes: 300_000, limit: 262_144 }).code // "oversized"
 * ```
 */
import type { Classified } from "@cdc/domain/Classified"
import * as Data from "effect/Data"

/**
 * The redacted event is larger than a whole PutEvents request. It is not truncated (a truncated
 * Detail is a different event) and not offloaded: it goes to the DLQ with reason `oversized`,
 * where the record can be fetched by coordinates once the table definition is fixed.
 */
export class OversizedEntryError
  extends Data.TaggedError("OversizedEntryError")<{ readonly bytes: number; readonly limit: number }>
  implements Classified
{
  readonly category = "permanent" as const
  readonly code = "oversized"
  readonly retryable = false
  override get message(): string {
    return `event entry is ${this.bytes} bytes, above the PutEvents limit of ${this.limit} bytes`
  }
}

/** EventBridge refused the entry with a code that retrying cannot fix (e.g. `MalformedDetail`). */
export class PublishRejectedError extends Data.TaggedError("PublishRejectedError")<{ readonly awsCode: string }> implements Classified {
  readonly category = "permanent" as const
  readonly code = "publish-rejected"
  readonly retryable = false
  override get message(): string {
    return `EventBridge rejected the entry: ${this.awsCode}`
  }
}

/** The record path broke its "never throws" contract; the record is parked, the batch goes on. */
export class RecordPathDefect extends Data.TaggedError("RecordPathDefect")<{ readonly name: string }> implements Classified {
  readonly category = "poison" as const
  readonly code = "record-path-defect"
  readonly retryable = false
  override get message(): string {
    return `the record path threw ${this.name}`
  }
}
