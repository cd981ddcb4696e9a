/**
 * The archive on the emulator's S3: what an operator reads back after a write and a redrive mark,
 * and the typed answers for objects that are missing or not failures.
 */
import { randomUUID } from "node:crypto"
import { CreateBucketCommand, HeadObjectCommand, PutObjectCommand, S3Client } from "@aws-sdk/client-s3"
import type { Classified } from "@cdc/domain/Classified"
import * as Effect from "effect/Effect"
import { describe, expect, it } from "vitest"
import { makeS3Archive, type S3ArchiveOptions } from "../src/S3Archive"
import { archivedPoison } from "./fixtures"

const s3 = new S3Client({ forcePathStyle: true })
const run = <A, E>(effect: Effect.Effect<A, E>) => Effect.runPromise(effect)

const freshArchive = async (options: Omit<S3ArchiveOptions, "bucket"> = {}) => {
  const bucket = `archive-${randomUUID().slice(0, 8)}`
  await s3.send(new CreateBucketCommand({ Bucket: bucket }))
  return { bucket, archive: makeS3Archive(s3, { bucket, ...options }) }
}

describe("S3Archive", () => {
  it("marks an object redriven keeping its metadata, content type and encryption", async () => {
    const { bucket, archive } = await freshArchive()
    const { key } = await run(archive.put(archivedPoison("dl-1")))
    await run(archive.markRedriven(key, "2026-01-03T00:00:00.000Z"))
    expect(await run(archive.describe(key))).toMatchObject({
      kind: "cdc.dead-letter",
      table: "users",
      category: "poison",
      code: "not-an-integer",
      redrivenAt: "2026-01-03T00:00:00.000Z"
    })
    const head = await s3.send(new HeadObjectCommand({ Bucket: bucket, Key: key }))
    expect([head.ContentType, head.ServerSideEncryption]).toEqual(["application/json", "AES256"])
    expect((await run(archive.get(key))).id).toBe("dl-1")
  })

  it("keeps an object's KMS encryption when an archive without the key marks it (the CLI's)", async () => {
    const kmsKeyId = `arn:aws:kms:us-east-1:123456789012:key/${randomUUID()}`
    const { bucket, archive: worker } = await freshArchive({ kmsKeyId })
    const { key } = await run(worker.put(archivedPoison("dl-5")))
    const operator = makeS3Archive(s3, { bucket })
    await run(operator.markRedriven(key, "2026-01-03T00:00:00.000Z"))
    const head = await s3.send(new HeadObjectCommand({ Bucket: bucket, Key: key }))
    expect([head.ServerSideEncryption, head.SSEKMSKeyId, head.Metadata?.["cdc-redriven-at"]]).toEqual([
      "aws:kms",
      kmsKeyId,
      "2026-01-03T00:00:00.000Z"
    ])
  })

  it("lists only the keys under the prefix asked for", async () => {
    const { bucket, archive } = await freshArchive()
    const { key } = await run(archive.put(archivedPoison("dl-3")))
    await s3.send(new PutObjectCommand({ Bucket: bucket, Key: "failed-events/orders/2026/01/02/dl-4.json", Body: "{}" }))
    expect(await run(archive.listKeys("failed-events/users/"))).toEqual([key])
  })

  it("encrypts with the configured KMS key", async () => {
    const kmsKeyId = `arn:aws:kms:us-east-1:123456789012:key/${randomUUID()}`
    const { bucket, archive } = await freshArchive({ kmsKeyId })
    const { key } = await run(archive.put(archivedPoison("dl-2")))
    const head = await s3.send(new HeadObjectCommand({ Bucket: bucket, Key: key }))
    expect([head.ServerSideEncryption, head.SSEKMSKeyId]).toEqual(["aws:kms", kmsKeyId])
  })

  it("answers not-found for a missing object and not-a-failure for a foreign one", async () => {
    const { bucket, archive } = await freshArchive()
    const missing = "failed-events/users/2026/01/02/dl-none.json"
    const foreign = "notes.txt"
    await s3.send(new PutObjectCommand({ Bucket: bucket, Key: foreign, Body: "not json" }))
    const codes = await Promise.all(
      [
        archive.describe(missing),
        archive.get(missing),
        archive.markRedriven(missing, "2026-01-03T00:00:00.000Z"),
        archive.describe(foreign),
        archive.get(foreign)
      ].map((call: Effect.Effect<unknown, Classified>) => run(Effect.flip(call)).then((error) => error.code))
    )
    expect(codes).toEqual([...Array(3).fill("archive-object-not-found"), ...Array(2).fill("archive-object-not-a-failure")])
  })
})
