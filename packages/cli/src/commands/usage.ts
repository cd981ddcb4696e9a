/**
 * Usage errors of the commands (exit code 2), shared by all of them.
 *
 * @example
 * ```ts
 * return yield* usageError("start", "--changes must be at least 1")
 * const bucket = Flag.String("bucket").pipe(nonEmpty, Flag.optional)
 * ```
 */

import { CliError, Flag } from "effect/cli"
import * as Effect from "effect/Effect"
import { defaultStateDir } from "../local/LocalEndpoint"

/**
 * A usage error of `cdc <command>` (exit code 2). Printed here: the `cdc` entry prints other
 * failures, not the CLI's own errors.
 */
export const usageError = (command: string, message: string) =>
  Effect.andThen(
    Effect.sync(() => process.stderr.write(`cdc ${command}: ${message}\n`)),
    Effect.fail(new CliError.ValidationError({ message }))
  )

/**
 * Refuses an empty value (`--bucket ""`, `--stream "$UNSET"`, `--state-dir ""`): a usage error
 * (exit 2) rather than a call that fails with a name AWS cannot take (`S3.ListObjectsV2 failed:
 * Error`), or files written into the current directory. `what` names what was expected.
 */
export const nonEmpty = (flag: Flag.Flag<string>, what = "a name") =>
  flag.pipe(
    Flag.filter(
      (value: string) => value.length > 0,
      () => `${what}, not an empty value`
    )
  )

/** `--state-dir` of the commands that find a running `cdc start` (`cdc replay`, `cdc dlq …`). */
export const stateDirFlag = nonEmpty(Flag.String("state-dir"), "a directory").pipe(
  Flag.withDefault(defaultStateDir),
  Flag.withDescription("Where the running `cdc start` to use announces its emulator (its --state-dir)")
)
