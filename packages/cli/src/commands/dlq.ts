/**
 * `cdc dlq`: the operator's tools over the failure archive (see README.md, "The DLQ"):
 * `list` (grouped and counted), `show ID` (one failure, redacted), `redrive` (re-inject after a fix).
 *
 * @example
 * ```sh
 * npx cdc dlq list --table users
 * ```
 */
import { Command } from "effect/cli"
import { dlqListCommand } from "./dlqList"
import { dlqRedriveCommand } from "./dlqRedrive"
import { dlqShowCommand } from "./dlqShow"

export const dlqCommand = Command.make("dlq").pipe(
  Command.withDescription("Inspect and redrive archived DLQ failures (CDC_ARCHIVE_BUCKET, CDC_STREAM_NAME)"),
  Command.withSubcommands([dlqListCommand, dlqShowCommand, dlqRedriveCommand]),
  Command.withExamples([
    { command: "cdc dlq list --table users", description: "what failed, grouped and counted" },
    { command: "cdc dlq show dl_5c0f8e…", description: "one failure in full (redacted)" },
    { command: "cdc dlq redrive --table users --dry-run", description: "what a redrive would re-inject" }
  ])
)
