/**
 * The failure archive: one object per failed record (see {@link ArchivedFailure}), written once
 * and never overwritten, so duplicate deliveries yield one object. Object metadata carries what
 * the operator tools filter and group on (kind, table, category, code, redrive mark), so listing
 * never has to read a body.
 *
 * The live implementation is S3 (`@cdc/aws/S3Archive`); {@link Archive.layerMemory} is the
 * in-memory one for unit tests, with the same write-once semantics.
 *
 * @example
 * ```ts
 * const archive = yield* Archive
 * const { key, created } = yield* archive.put(failure)
 * ```
 */
import type { Classified, ErrorCategory } from "@cdc/domain/Classified"
import { errorCategories } from "@cdc/domain/Classified"
import * as Context from "effect/Context"
import * as Data from "effect/Data"
import * as Effect from "effect/Effect"
import * as Layer from "effect/Layer"
import * as Schema from "effect/Schema"
import { ArchivedFailure, type ArchiveKind, archiveKinds, keyOf, keySegment, parseArchiveKey } from "./ArchivedFailure"

/** The result of a write: `created` is false when the object already existed (a duplicate). */
export interface PutResult {
  readonly key: string
  readonly created: boolean
}

/** What listing knows about one object, from its key and metadata alone. */
export interface ArchiveEntry {
  readonly key: string
  readonly id: string
  readonly table: string
  /** `yyyy-mm-dd`, the record's date (see {@link ArchivedFailure}). */
  readonly date: string
  readonly kind: ArchiveKind | undefined
  readonly category: ErrorCategory | undefined
  readonly code: string | undefined
  /** ISO time of the redrive, when the failure was re-injected into the stream. */
  readonly redrivenAt: string | undefined
}

/** Object metadata names (S3 lowercases them; `x-amz-meta-` is added by S3). */
export const metadataNames = {
  kind: "cdc-kind",
  table: "cdc-table",
  category: "cdc-category",
  code: "cdc-code",
  redrivenAt: "cdc-redriven-at"
} as const

/**
 * The metadata written with a failure. S3 sends metadata as HTTP headers, where a character
 * outside printable ASCII (a table named `用户`, a newline) makes the SDK refuse the put, and the
 * message could then never be archived. Table and code can come from the record itself, so they
 * are sanitised as the key's segments are: the table then reads as the key's table segment
 * (which listing takes its table from), and the usual kebab-case codes are unchanged. Kind and
 * category are the schema's literals.
 *
 * @example
 * ```ts
 * archiveMetadata(failure) // { "cdc-kind": "cdc.dead-letter", "cdc-table": "users", "cdc-category": "poison", "cdc-code": "invalid-json" }
 * ```
 */
export const archiveMetadata = (failure: ArchivedFailure): Record<string, string> => ({
  [metadataNames.kind]: failure.kind,
  [metadataNames.table]: keySegment(failure.table),
  [metadataNames.category]: failure.category,
  [metadataNames.code]: keySegment(failure.code)
})

const oneOf = <A extends string>(values: ReadonlyArray<A>, value: string | undefined): A | undefined =>
  values.find((candidate) => candidate === value)

/**
 * An entry from a key and the object's metadata; `undefined` when the key is outside the layout.
 *
 * @example
 * ```ts
 * entryOf("failed-events/users/2026/01/02/dl-1.json", { "cdc-category": "poison" })?.category // "poison"
 * ```
 */
export const entryOf = (key: string, metadata: Readonly<Record<string, string | undefined>>): ArchiveEntry | undefined => {
  const parts = parseArchiveKey(key)
  if (!parts) return undefined
  return {
    key,
    ...parts,
    kind: oneOf(archiveKinds, metadata[metadataNames.kind]),
    category: oneOf(errorCategories, metadata[metadataNames.category]),
    code: metadata[metadataNames.code],
    redrivenAt: metadata[metadataNames.redrivenAt]
  }
}

/** An archive object that is not an {@link ArchivedFailure} (foreign object, or a corrupt one). */
export class ArchiveObjectError
  extends Data.TaggedError("ArchiveObjectError")<{ readonly key: string; readonly reason: "not-found" | "not-a-failure" }>
  implements Classified
{
  readonly category = "permanent" as const
  readonly retryable = false
  get code(): string {
    return `archive-object-${this.reason}`
  }
  override get message(): string {
    return `Archive object ${this.key}: ${this.reason}`
  }
}

/** The error of an archive call: an AWS error of the live implementation, or an object error. */
export type ArchiveError = Classified

export class Archive extends Context.Service<
  Archive,
  {
    /** Where an object is, for operators and alerts: `s3://bucket/key`. */
    readonly location: (key: string) => string
    /** Writes the failure unless its key already exists. */
    readonly put: (failure: ArchivedFailure) => Effect.Effect<PutResult, ArchiveError>
    /** Every key under `prefix` (paginated internally). */
    readonly listKeys: (prefix: string) => Effect.Effect<ReadonlyArray<string>, ArchiveError>
    /** Key and metadata of one object, without its body. */
    readonly describe: (key: string) => Effect.Effect<ArchiveEntry, ArchiveError>
    /** The full failure. */
    readonly get: (key: string) => Effect.Effect<ArchivedFailure, ArchiveError>
    /** Marks the object as redriven at `at` (ISO), keeping body and other metadata. */
    readonly markRedriven: (key: string, at: string) => Effect.Effect<void, ArchiveError>
  }
>()("@cdc/pipeline/dlq/Archive") {
  /** An in-memory archive with S3's write-once semantics; `objects` is exposed for assertions. */
  static readonly layerMemory = (store: MemoryArchiveStore = makeMemoryArchiveStore()) => Layer.succeed(Archive, memoryArchive(store))
}

/** The objects of an in-memory archive: key → body and metadata. */
export interface MemoryArchiveStore {
  readonly objects: Map<string, { readonly body: string; metadata: Record<string, string> }>
  /** Number of put calls, including those that found the object already there. */
  puts: number
  /** Number of listings (`listKeys` calls): what finding a failure costs. */
  listings: number
  /** Fault injection: the error a put of this failure fails with, if any. */
  failPut: ((failure: ArchivedFailure) => ArchiveError | undefined) | undefined
}

export const makeMemoryArchiveStore = (): MemoryArchiveStore => ({ objects: new Map(), puts: 0, listings: 0, failPut: undefined })

const decodeFailure = Schema.decodeUnknownEffect(Schema.fromJsonString(ArchivedFailure))

const memoryArchive = (store: MemoryArchiveStore): Archive["Service"] => {
  const find = (key: string) => {
    const object = store.objects.get(key)
    return object ? Effect.succeed(object) : Effect.fail(new ArchiveObjectError({ key, reason: "not-found" }))
  }
  return Archive.of({
    location: (key) => `memory://archive/${key}`,
    put: (failure) =>
      Effect.suspend(() => {
        store.puts++
        const fault = store.failPut?.(failure)
        return fault ? Effect.fail(fault) : Effect.succeed(undefined)
      }).pipe(
        Effect.map(() => {
          const key = keyOf(failure)
          if (store.objects.has(key)) return { key, created: false }
          store.objects.set(key, { body: JSON.stringify(failure), metadata: archiveMetadata(failure) })
          return { key, created: true }
        })
      ),
    listKeys: (prefix) =>
      Effect.sync(() => {
        store.listings++
        return [...store.objects.keys()].filter((key) => key.startsWith(prefix)).sort()
      }),
    describe: (key) =>
      Effect.flatMap(find(key), (object) => {
        const entry = entryOf(key, object.metadata)
        return entry ? Effect.succeed(entry) : Effect.fail(new ArchiveObjectError({ key, reason: "not-a-failure" }))
      }),
    get: (key) =>
      Effect.flatMap(find(key), (object) =>
        Effect.mapError(decodeFailure(object.body), () => new ArchiveObjectError({ key, reason: "not-a-failure" }))
      ),
    markRedriven: (key, at) =>
      Effect.map(find(key), (object) => {
        object.metadata = { ...object.metadata, [metadataNames.redrivenAt]: at }
      })
  })
}
