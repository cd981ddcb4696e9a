import type { S3Client } from "@aws-sdk/client-s3"
import { assert, describe, it } from "@effect/vitest"
import * as ConfigProvider from "effect/ConfigProvider"
import * as Effect from "effect/Effect"
import { makeS3Archive, s3ArchiveConfig } from "../src/S3Archive"
import { fakeClient, sdkError } from "./fakeClient"
import { archivedPoison } from "./fixtures"

describe("S3Archive against S3's answers", () => {
  it.effect("lists every key of a prefix across pages", () =>
    Effect.gen(function* () {
      const pages: Record<string, { keys: Array<string>; next?: string }> = {
        first: { keys: ["failed-events/users/a.json", "failed-events/users/b.json"], next: "t1" },
        t1: { keys: ["failed-events/users/c.json"], next: "t2" },
        t2: { keys: ["failed-events/users/d.json"] }
      }
      const { client } = fakeClient<S3Client>((command) => {
        const page = pages[(command.input.ContinuationToken as string | undefined) ?? "first"]
        return { Contents: page?.keys.map((Key) => ({ Key })), IsTruncated: page?.next !== undefined, NextContinuationToken: page?.next }
      })
      const keys = yield* makeS3Archive(client, { bucket: "archive" }).listKeys("failed-events/users/")
      assert.deepStrictEqual(
        keys,
        ["a", "b", "c", "d"].map((name) => `failed-events/users/${name}.json`)
      )
    })
  )

  it.effect("addresses buckets path-style under an endpoint override (an emulator on host:port), virtual-hosted on AWS", () =>
    Effect.gen(function* () {
      const options = (env: Record<string, string>) =>
        s3ArchiveConfig.parse(ConfigProvider.fromEnv({ env: { CDC_ARCHIVE_BUCKET: "archive", ...env } }))
      assert.deepStrictEqual(yield* options({ AWS_ENDPOINT_URL: "http://localhost:4566" }), {
        bucket: "archive",
        kmsKeyId: undefined,
        forcePathStyle: true
      })
      assert.deepStrictEqual(yield* options({ CDC_ARCHIVE_KMS_KEY_ID: "alias/cdc" }), {
        bucket: "archive",
        kmsKeyId: "alias/cdc",
        forcePathStyle: false
      })
    })
  )

  it.effect("retries a write that met a concurrent conditional write (409)", () =>
    Effect.gen(function* () {
      const { client } = fakeClient<S3Client>(() => Promise.reject(sdkError("ConditionalRequestConflict", 409)))
      const error = yield* Effect.flip(makeS3Archive(client, { bucket: "archive" }).put(archivedPoison("dl-1")))
      assert.deepStrictEqual([error.code, error.category, error.retryable], ["ConditionalRequestConflict", "transient", true])
    })
  )
})
