/**
 * What the `cdc dlq …` commands share: the archive bucket and stream flags (overriding
 * `CDC_ARCHIVE_BUCKET` / `CDC_STREAM_NAME`), the filter flags, the live Layers built from them,
 * and the progress bar on stderr. Endpoints come from `AWS_ENDPOINT_URL` like everywhere else.
 * Given neither a flag nor a variable, they use a running `cdc start` (its `.cdc/local.json`),
 * as `cdc replay` does. The AWS clients behind the Layers are loaded when a command builds them,
 * so that `cdc --help` and the other commands start without them.
 *
 * @example
 * ```ts
 * const layer = yield* archiveLayer(flags) // flags.bucket, flags.stateDir
 * yield* withProgressOnStderr("dlq list", (onProgress) => listEntries(filter, onProgress)).pipe(Effect.provide(layer))
 * ```
 */
import { errorCategories } from "@cdc/domain/Classified"
import type { ListFilter, OnProgress } from "@cdc/pipeline/dlq/ArchiveQuery"
import { RetryPolicies } from "@cdc/pipeline/RetryPolicy"
import * as Config from "effect/Config"
import { Flag } from "effect/cli"
import * as Effect from "effect/Effect"
import * as Layer from "effect/Layer"
import * as Option from "effect/Option"
import { type LocalEndpoint, readLocalEndpoint, startHint, useLocalEndpoint } from "../local/LocalEndpoint"
import { stderrProgress } from "../local/Progress"
import { nonEmpty, usageError } from "./usage"

/** A usage error of `cdc dlq` (exit code 2). */
export const usage = (message: string) => usageError("dlq", message)

export const bucketFlag = Flag.String("bucket").pipe(
  nonEmpty,
  Flag.optional,
  Flag.withDescription("Archive bucket (default: $CDC_ARCHIVE_BUCKET, else the running `cdc start`'s)")
)

/** What a `cdc dlq` command was pointed at: its `--bucket`, `--stream` (redrive) and `--state-dir`. */
export interface Target {
  readonly bucket: Option.Option<string>
  readonly stream?: Option.Option<string>
  readonly stateDir: string
}

/** Whether a bucket or stream is named (a flag or a variable): the command then targets AWS. */
const namesTarget = (target: Target) =>
  Effect.gen(function* () {
    return (
      Option.isSome(target.bucket) ||
      (target.stream !== undefined && Option.isSome(target.stream)) ||
      Option.isSome(yield* Config.option(Config.String("CDC_ARCHIVE_BUCKET"))) ||
      Option.isSome(yield* Config.option(Config.String("CDC_STREAM_NAME")))
    )
  })

/**
 * The running `cdc start` of `--state-dir`, its emulator now used by this process; only when
 * nothing names a target (no bucket or stream flag or variable): a half-configured command must
 * not have some of its clients quietly pointed at the emulator.
 */
const localPipeline = (stateDir: string): LocalEndpoint | undefined => {
  const local = readLocalEndpoint(stateDir)
  if (local !== undefined) useLocalEndpoint(local)
  return local
}

export const jsonFlag = Flag.Boolean("json").pipe(Flag.withDefault(false), Flag.withDescription("Print the result as JSON on stdout"))

export const filterFlags = {
  table: Flag.String("table").pipe(Flag.optional, Flag.withDescription("Only failures of this table (`_unknown`: table not known)")),
  since: Flag.String("since").pipe(Flag.optional, Flag.withDescription("Only failures of records from this day on (YYYY-MM-DD, UTC)")),
  category: Flag.Literals("category", errorCategories).pipe(Flag.optional, Flag.withDescription("Only failures of this category"))
}

/** `YYYY-MM-DD` naming a day that exists: V8's `Date.parse` takes `2026-02-30` for March 2. */
const isCalendarDay = (text: string) => {
  const millis = /^\d{4}-\d{2}-\d{2}$/.test(text) ? Date.parse(text) : Number.NaN
  return !Number.isNaN(millis) && new Date(millis).toISOString().slice(0, 10) === text
}

/** The filter of the flags; an invalid `--since` is a usage error. */
export const filterOf = (flags: {
  readonly table: Option.Option<string>
  readonly since: Option.Option<string>
  readonly category: Option.Option<ListFilter["category"] & string>
}) =>
  Effect.gen(function* () {
    const since = Option.getOrUndefined(flags.since)
    if (since !== undefined && !isCalendarDay(since)) {
      return yield* usage(`--since must be a date YYYY-MM-DD, got ${since}`)
    }
    const filter: ListFilter = { table: Option.getOrUndefined(flags.table), since, category: Option.getOrUndefined(flags.category) }
    return filter
  })

const endpointOverridden = Config.option(Config.String("AWS_ENDPOINT_URL")).pipe(Config.map(Option.isSome))

/**
 * The name a flag gives, else its variable, else the running `cdc start`'s (when nothing names
 * a target at all); none is a usage error. With a target named, the hint is not to start a
 * local pipeline: a running `cdc start` would not be used.
 */
const targetName = (
  target: Target,
  flag: Option.Option<string>,
  variable: string,
  local: (endpoint: LocalEndpoint) => string | undefined,
  missing: string
) =>
  Effect.gen(function* () {
    const named = Option.isSome(flag) ? flag.value : Option.getOrUndefined(yield* Config.option(Config.String(variable)))
    if (named !== undefined) return named
    // a target named (the other one) means AWS: the local pipeline is neither used nor hinted at
    if (yield* namesTarget(target)) return yield* usage(`${missing} (a named bucket or stream targets AWS, not a running \`cdc start\`)`)
    const endpoint = localPipeline(target.stateDir)
    const name = endpoint === undefined ? undefined : local(endpoint)
    if (name !== undefined) return name
    return yield* usage(endpoint === undefined ? `${missing}; ${startHint(target.stateDir)}` : missing)
  })

/**
 * The S3 archive of `--bucket`, else `CDC_ARCHIVE_BUCKET`, else the running `cdc start`'s (when no
 * stream is named either); none is a usage error.
 */
export const archiveLayer = (target: Target) =>
  Effect.gen(function* () {
    const name = yield* targetName(
      target,
      target.bucket,
      "CDC_ARCHIVE_BUCKET",
      (local) => local.archiveBucket,
      "no archive bucket: pass --bucket NAME or set CDC_ARCHIVE_BUCKET"
    )
    const { S3Archive } = yield* Effect.promise(() => import("@cdc/aws/S3Archive"))
    // the retry policies (`CDC_RETRY_DLQ_SEND_*`) of its listing and reads
    return S3Archive.layer({ bucket: name, forcePathStyle: yield* endpointOverridden }).pipe(Layer.provideMerge(RetryPolicies.layerConfig))
  })

/**
 * The Kinesis stream of `--stream`, else `CDC_STREAM_NAME`, else the running `cdc start`'s (when
 * no archive is named either), with the configured retry policies.
 */
export const streamLayer = (target: Target & { readonly stream: Option.Option<string> }) =>
  Effect.gen(function* () {
    const name = yield* targetName(
      target,
      target.stream,
      "CDC_STREAM_NAME",
      (local) => local.stream,
      "no stream: pass --stream NAME or set CDC_STREAM_NAME"
    )
    const { KinesisStream } = yield* Effect.promise(() => import("@cdc/aws/KinesisStream"))
    return KinesisStream.layer(name).pipe(Layer.provideMerge(RetryPolicies.layerConfig))
  })

/**
 * Runs `use` with a progress bar on stderr (stdout carries data), whose line is ended however
 * `use` ends, so an error prints below it.
 *
 * @example
 * ```ts
 * const { entries } = yield* withProgressOnStderr("dlq list", (onProgress) => listArchive(filter, onProgress))
 * ```
 */
export const withProgressOnStderr = <A, E, R>(label: string, use: (onProgress: OnProgress) => Effect.Effect<A, E, R>) =>
  Effect.scoped(Effect.flatMap(stderrProgress(label), (progress) => use((done, total) => Effect.sync(() => progress.update(done, total)))))
