/**
 * The failure archive bucket (encrypted, public access blocked, lifecycle to cheaper storage) as
 * `stacks/FailureHandling.ts` deploys it, created if missing with the real AWS APIs.
 *
 * @example
 * ```ts
 * const bucket = yield* archiveBucket(clients, topology) // { name, arn }
 * ```
 */
import {
  CreateBucketCommand,
  PutBucketEncryptionCommand,
  PutBucketLifecycleConfigurationCommand,
  PutPublicAccessBlockCommand
} from "@aws-sdk/client-s3"
import type { Topology } from "@cdc/topology"
import * as Effect from "effect/Effect"
import { type Clients, call } from "../LocalAws"
import { ifMissing } from "./Steps"

export const archiveBucket = (clients: Clients, topology: Topology) =>
  Effect.gen(function* () {
    const settings = topology.resources.archiveBucket
    const { s3 } = clients
    const Bucket = settings.localName
    yield* ifMissing(
      call("S3", "CreateBucket", (abortSignal) => s3.send(new CreateBucketCommand({ Bucket }), { abortSignal })),
      "BucketAlreadyOwnedByYou",
      "BucketAlreadyExists"
    )
    yield* call("S3", "PutBucketEncryption", (abortSignal) =>
      s3.send(
        new PutBucketEncryptionCommand({
          Bucket,
          ServerSideEncryptionConfiguration: { Rules: [{ ApplyServerSideEncryptionByDefault: { SSEAlgorithm: settings.encryption } }] }
        }),
        { abortSignal }
      )
    )
    yield* call("S3", "PutPublicAccessBlock", (abortSignal) =>
      s3.send(
        new PutPublicAccessBlockCommand({
          Bucket,
          PublicAccessBlockConfiguration: {
            BlockPublicAcls: true,
            BlockPublicPolicy: true,
            IgnorePublicAcls: true,
            RestrictPublicBuckets: true
          }
        }),
        { abortSignal }
      )
    )
    yield* call("S3", "PutBucketLifecycleConfiguration", (abortSignal) =>
      s3.send(
        new PutBucketLifecycleConfigurationCommand({
          Bucket,
          LifecycleConfiguration: {
            Rules: [
              {
                ID: settings.lifecycleRuleId,
                Status: "Enabled",
                Filter: { Prefix: "" },
                Transitions: settings.transitions.map((t) => ({ Days: t.days, StorageClass: t.storageClass })),
                AbortIncompleteMultipartUpload: { DaysAfterInitiation: settings.abortIncompleteUploadsAfterDays }
              }
            ]
          }
        }),
        { abortSignal }
      )
    )
    return { name: Bucket, arn: `arn:aws:s3:::${Bucket}` }
  })
