import { DecodeError } from "@cdc/domain/Errors"
import { deadLetter } from "@cdc/pipeline/DeadLetters"
import type { ArchivedFailure } from "@cdc/pipeline/dlq/ArchivedFailure"

const coordinates = (n: number) => ({ streamArn: "arn:s", shardId: "shardId-000000000000", sequenceNumber: String(n) })

/** The dead letter of the undecodable record `n`, as the processor sends it. */
export const poison = (n: number) =>
  deadLetter({
    error: new DecodeError({ coordinates: coordinates(n), reason: "invalid-json" }),
    coordinates: coordinates(n),
    at: "2024-01-15T10:30:00.000Z"
  })

/** A poison record's archived failure (no value in it), for the archive tests. */
export const archivedPoison = (id: string): ArchivedFailure => ({
  version: 1,
  id,
  kind: "cdc.dead-letter",
  table: "users",
  category: "poison",
  code: "not-an-integer",
  errorTag: "DomainValidationError",
  message: "users.id is not an integer",
  retryable: false,
  coordinates: { shardId: "shardId-000000000000", sequenceNumber: "4960" },
  delivery: { messageId: `msg-${id}` },
  recordTime: Date.UTC(2026, 0, 2),
  archivedAt: "2026-01-02T03:04:05.000Z"
})
