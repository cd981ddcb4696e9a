/**
 * The failure archive on S3: the live {@link Archive} of `@cdc/pipeline/dlq/Archive`.
 *
 * - Write-once by a conditional put (`If-None-Match: *`): a second put of the same key gets
 *   `412 PreconditionFailed`, which means "already archived", so duplicate deliveries and
 *   concurrent workers yield one object without a read-before-write race. A `409` (a concurrent
 *   conditional write in flight) is retried.
 * - Server-side encryption on every object: `AES256`, or `aws:kms` with `CDC_ARCHIVE_KMS_KEY_ID`;
 *   the redrive mark keeps the encryption the object has.
 * - Metadata (`x-amz-meta-cdc-*`) carries kind, table, category, code and the redrive mark, so
 *   listing reads heads, not bodies. The redrive mark is written by copying the object onto itself
 *   with the metadata replaced, conditional on the ETag it was read with.
 *
 * @example
 * ```ts
 * program.pipe(Effect.provide(S3Archive.layerConfig)) // CDC_ARCHIVE_BUCKET
 * ```
 */
import {
  CopyObjectCommand,
  GetObjectCommand,
  HeadObjectCommand,
  ListObjectsV2Command,
  PutObjectCommand,
  S3Client,
  type ServerSideEncryption
} from "@aws-sdk/client-s3"
import { Archive, ArchiveObjectError, archiveMetadata, entryOf, metadataNames } from "@cdc/pipeline/dlq/Archive"
import { ArchivedFailure, keyOf } from "@cdc/pipeline/dlq/ArchivedFailure"
import * as Config from "effect/Config"
import * as Effect from "effect/Effect"
import * as Layer from "effect/Layer"
import * as Option from "effect/Option"
import * as Schema from "effect/Schema"
import { awsCall } from "./AwsCall"
import { AwsError } from "./AwsError"
import { clientOptions } from "./ClientOptions"

export interface S3ArchiveOptions {
  readonly bucket: string
  /** SSE-KMS key; `AES256` (SSE-S3) when absent. */
  readonly kmsKeyId?: string | undefined
  /** Path-style addressing, for emulators on a bare host:port. */
  readonly forcePathStyle?: boolean | undefined
}

const s3Call = <A>(operation: string, send: (signal: AbortSignal) => Promise<A>) => awsCall("S3", operation, send)

const notFound = (error: AwsError) => error.code === "NotFound" || error.code === "NoSuchKey" || error.httpStatus === 404

/**
 * The S3 archive over a client.
 *
 * @example
 * ```ts
 * const archive = makeS3Archive(new S3Client(clientOptions()), { bucket: "cdc-archive" })
 * ```
 */
export const makeS3Archive = (client: S3Client, options: S3ArchiveOptions): Archive["Service"] => {
  const Bucket = options.bucket
  const encryption: { ServerSideEncryption: ServerSideEncryption; SSEKMSKeyId?: string } =
    options.kmsKeyId === undefined ? { ServerSideEncryption: "AES256" } : { ServerSideEncryption: "aws:kms", SSEKMSKeyId: options.kmsKeyId }

  /**
   * The copy that marks an object keeps the object's own encryption: the CLI's archive is built
   * without the stack's KMS key, and the copy re-encrypted SSE-KMS objects as AES256.
   */
  const encryptionOf = (object: { ServerSideEncryption?: ServerSideEncryption | undefined; SSEKMSKeyId?: string | undefined }) =>
    object.ServerSideEncryption === "aws:kms" || object.ServerSideEncryption === "aws:kms:dsse"
      ? {
          ServerSideEncryption: object.ServerSideEncryption,
          ...(object.SSEKMSKeyId === undefined ? {} : { SSEKMSKeyId: object.SSEKMSKeyId })
        }
      : object.ServerSideEncryption === "AES256"
        ? { ServerSideEncryption: object.ServerSideEncryption }
        : encryption

  const head = (Key: string) =>
    s3Call("HeadObject", (abortSignal) => client.send(new HeadObjectCommand({ Bucket, Key }), { abortSignal })).pipe(
      Effect.catchIf(notFound, () => Effect.fail(new ArchiveObjectError({ key: Key, reason: "not-found" })))
    )

  return Archive.of({
    location: (key) => `s3://${Bucket}/${key}`,
    put: (failure) => {
      const Key = keyOf(failure)
      return s3Call("PutObject", (abortSignal) =>
        client.send(
          new PutObjectCommand({
            Bucket,
            Key,
            Body: JSON.stringify(failure, null, 2),
            ContentType: "application/json",
            IfNoneMatch: "*",
            Metadata: archiveMetadata(failure),
            ...encryption
          }),
          { abortSignal }
        )
      ).pipe(
        Effect.as({ key: Key, created: true }),
        Effect.catchIf(
          (error) => error.code === "PreconditionFailed" || error.httpStatus === 412,
          () => Effect.succeed({ key: Key, created: false })
        ),
        Effect.mapError((error) => (error.httpStatus === 409 ? new AwsError({ ...error, category: "transient", code: error.code }) : error))
      )
    },
    listKeys: (Prefix) =>
      Effect.gen(function* () {
        const keys: Array<string> = []
        let ContinuationToken: string | undefined
        do {
          const page = yield* s3Call("ListObjectsV2", (abortSignal) =>
            client.send(new ListObjectsV2Command({ Bucket, Prefix, ContinuationToken }), { abortSignal })
          )
          for (const object of page.Contents ?? []) if (object.Key) keys.push(object.Key)
          ContinuationToken = page.IsTruncated ? page.NextContinuationToken : undefined
        } while (ContinuationToken)
        return keys
      }),
    describe: (key) =>
      Effect.flatMap(head(key), (object) => {
        const entry = entryOf(key, object.Metadata ?? {})
        return entry ? Effect.succeed(entry) : Effect.fail(new ArchiveObjectError({ key, reason: "not-a-failure" }))
      }),
    get: (Key) =>
      s3Call("GetObject", async (abortSignal) => {
        const object = await client.send(new GetObjectCommand({ Bucket, Key }), { abortSignal })
        return (await object.Body?.transformToString("utf8")) ?? ""
      }).pipe(
        Effect.catchIf(notFound, () => Effect.fail(new ArchiveObjectError({ key: Key, reason: "not-found" }))),
        Effect.flatMap((body) =>
          Effect.mapError(
            Schema.decodeUnknownEffect(Schema.fromJsonString(ArchivedFailure))(body),
            () => new ArchiveObjectError({ key: Key, reason: "not-a-failure" })
          )
        )
      ),
    markRedriven: (Key, at) =>
      Effect.flatMap(head(Key), (object) =>
        s3Call("CopyObject", (abortSignal) =>
          client.send(
            new CopyObjectCommand({
              Bucket,
              Key,
              CopySource: `${Bucket}/${Key.split("/").map(encodeURIComponent).join("/")}`,
              CopySourceIfMatch: object.ETag,
              MetadataDirective: "REPLACE",
              Metadata: { ...object.Metadata, [metadataNames.redrivenAt]: at },
              ContentType: object.ContentType ?? "application/json",
              ...encryptionOf(object)
            }),
            { abortSignal }
          )
        )
      ).pipe(Effect.asVoid)
  })
}

/** `CDC_ARCHIVE_BUCKET` (required), `CDC_ARCHIVE_KMS_KEY_ID` (optional), path-style under an endpoint override. */
export const s3ArchiveConfig: Config.Config<S3ArchiveOptions> = Config.all({
  bucket: Config.String("CDC_ARCHIVE_BUCKET"),
  kmsKeyId: Config.option(Config.String("CDC_ARCHIVE_KMS_KEY_ID")).pipe(Config.map(Option.getOrUndefined)),
  forcePathStyle: Config.option(Config.String("AWS_ENDPOINT_URL")).pipe(Config.map(Option.isSome))
})

const s3ArchiveLayer = (options: S3ArchiveOptions): Layer.Layer<Archive> =>
  Layer.sync(Archive, () => makeS3Archive(new S3Client({ ...clientOptions(), forcePathStyle: options.forcePathStyle ?? false }), options))

export const S3Archive = {
  /** The archive with fixed options (tests, the CLI with `--bucket`). */
  layer: s3ArchiveLayer,
  /** The archive configured from the environment, read once. */
  layerConfig: Layer.unwrap(Effect.map(s3ArchiveConfig, s3ArchiveLayer))
}
