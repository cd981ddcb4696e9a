/**
 * The poison-record story end to end on the emulator, through the real CLI process:
 *
 * 1. a users record whose `id` is not an integer is rejected by the processor (real handler) and
 *    dead-lettered to the real DLQ;
 * 2. the DLQ worker (real handler) archives it to S3 and alerts;
 * 3. `cdc dlq list|show` see it; the table definition is "fixed" (`id` becomes a string);
 * 4. `cdc dlq redrive` re-injects it into the Kinesis stream and marks it; a second run does nothing;
 * 5. the processor with the fixed definition publishes it: the event reaches the consumer queue.
 */
import { spawnSync } from "node:child_process"
import { mkdtempSync, writeFileSync } from "node:fs"
import { tmpdir } from "node:os"
import path from "node:path"
import { GetRecordsCommand, GetShardIteratorCommand } from "@aws-sdk/client-kinesis"
import { DynamoAlertWindow } from "@cdc/aws/DynamoAlertWindow"
import { KinesisStream } from "@cdc/aws/KinesisStream"
import { S3Archive } from "@cdc/aws/S3Archive"
import { SnsAlerts } from "@cdc/aws/SnsAlerts"
import { makeRecordPath } from "@cdc/domain/RecordPath"
import { developmentRedactionKeys } from "@cdc/domain/RedactionKeys"
import { tables } from "@cdc/domain/Tables"
import { DlqRecordPath } from "@cdc/pipeline/dlq/DlqRecordPath"
import { RecordPath } from "@cdc/pipeline/RecordPath"
import { RetryPolicies } from "@cdc/pipeline/RetryPolicy"
import { sampleChanges } from "@cdc/testkit/Changes"
import { repoRoot } from "@cdc/testkit/Emulator"
import { toDmsRecord } from "@cdc/testkit/InputShapes"
import { createPublishingResources } from "@cdc/testkit/ProcessorResources"
import { sensitiveValues } from "@cdc/testkit/SensitiveValues"
import type { KinesisStreamEvent } from "aws-lambda"
import * as Layer from "effect/Layer"
import * as Logger from "effect/Logger"
import { describe, expect, it } from "vitest"
import { makeDlqHandler } from "../../functions/src/dlqWorker"
import { liveLayerWith, makeProcessorHandler } from "../../functions/src/processor"
import { alertsReceived, archiveObjects, clients, createDlqResources, drain, putRecord, sqsEvent } from "../../functions/test/dlqResources"

const keys = developmentRedactionKeys
const c = clients()

/** The users definition after the fix: `id` is a string. */
const fixedTables = new Map(
  [...tables].map(([name, definition]) => [
    name,
    name === "users"
      ? { ...definition, columns: definition.columns.map((col) => (col.name === "id" ? { ...col, type: "string" as const } : col)) }
      : definition
  ])
)

/** Runs the real `cdc` entry (as `npx cdc` does) against the emulator. */
const cdc = (args: ReadonlyArray<string>, env: Record<string, string>) => {
  const result = spawnSync(process.execPath, ["--import", "tsx", path.join(repoRoot, "packages/cli/src/main.ts"), ...args], {
    cwd: repoRoot,
    env: { ...process.env, ...env },
    encoding: "utf8"
  })
  return { status: result.status, stdout: result.stdout, stderr: result.stderr }
}

/** The Lambda Kinesis event of the records of a shard from `sequenceNumber` on. */
const kinesisEvent = async (
  streamName: string,
  streamArn: string,
  shardId: string,
  sequenceNumber: string
): Promise<KinesisStreamEvent> => {
  const { ShardIterator } = await c.kinesis.send(
    new GetShardIteratorCommand({
      StreamName: streamName,
      ShardId: shardId,
      ShardIteratorType: "AT_SEQUENCE_NUMBER",
      StartingSequenceNumber: sequenceNumber
    })
  )
  const { Records } = await c.kinesis.send(new GetRecordsCommand({ ShardIterator }))
  return {
    Records: (Records ?? []).map((record) => ({
      kinesis: {
        kinesisSchemaVersion: "1.0",
        partitionKey: record.PartitionKey as string,
        sequenceNumber: record.SequenceNumber as string,
        data: Buffer.from(record.Data ?? []).toString("base64"),
        approximateArrivalTimestamp: (record.ApproximateArrivalTimestamp?.getTime() ?? 0) / 1000
      },
      eventSource: "aws:kinesis",
      eventVersion: "1.0",
      eventID: `${shardId}:${record.SequenceNumber}`,
      eventName: "aws:kinesis:record",
      invokeIdentityArn: "arn:aws:iam::123456789012:role/processor",
      awsRegion: "us-east-1",
      eventSourceARN: streamArn
    }))
  }
}

describe("cdc dlq on the emulator", () => {
  it("a poison record is archived, listed, shown, redriven once after the fix, and published", async () => {
    const r = await createDlqResources(c)
    const bus = `${r.streamName}-bus`
    const { consumerUrl } = await createPublishingResources(bus)
    Object.assign(process.env, { CDC_EVENT_BUS_NAME: bus, CDC_STATE_TABLE: bus, CDC_DLQ_URL: r.dlqUrl })

    // 1. the processor, with today's definition, dead-letters a users record whose id is "u-42"
    const [change] = sampleChanges(120, 11).filter((ch) => ch.table === "users" && ch.operation === "INSERT")
    const row = { ...change?.after, id: "u-42" }
    const placed = await putRecord(c, r, "users#u-42", JSON.stringify(toDmsRecord({ ...change!, after: row })))
    const broken = makeProcessorHandler(liveLayerWith(), { emf: false })
    const first = await broken(await kinesisEvent(r.streamName, r.streamArn, placed.shardId, placed.sequenceNumber))
    expect(first.batchItemFailures).toEqual([])

    // 2. the DLQ worker archives it
    const logs: Array<string> = []
    const worker = makeDlqHandler(
      Layer.mergeAll(
        S3Archive.layer({ bucket: r.bucket, forcePathStyle: true }),
        SnsAlerts.layer(r.topicArn),
        DynamoAlertWindow.layer(bus),
        KinesisStream.layer(r.streamName),
        DlqRecordPath.layer(makeRecordPath({ keys, sourcePrefix: "cdc-pipeline", eventBusName: bus }), keys)
      ).pipe(
        Layer.provideMerge(RetryPolicies.layer()),
        Layer.provideMerge(Logger.layer([Logger.make((options) => logs.push(Logger.formatJson.log(options)))]))
      )
    )
    const dlqMessages = await drain(c, r.dlqUrl)
    expect(dlqMessages).toHaveLength(1)
    expect((await worker(sqsEvent(dlqMessages))).batchItemFailures).toEqual([])
    const [archived] = await archiveObjects(c, r)
    expect(archived?.metadata).toMatchObject({ "cdc-table": "users", "cdc-category": "poison", "cdc-code": "not-an-integer" })
    const id = path.basename(archived?.key ?? "", ".json")

    // 3. the operator sees it
    const env = { CDC_ARCHIVE_BUCKET: r.bucket, CDC_STREAM_NAME: r.streamName }
    const list = cdc(["dlq", "list", "--table", "users", "--json"], env)
    expect(list.status).toBe(0)
    expect(JSON.parse(list.stdout).groups).toEqual([
      expect.objectContaining({ table: "users", category: "poison", code: "not-an-integer", count: 1, redriven: 0 })
    ])
    // a `cdc start` with its own --state-dir is found through the same flag (no bucket named)
    const stateDir = mkdtempSync(path.join(tmpdir(), "cdc-state-"))
    const endpoint = process.env.AWS_ENDPOINT_URL as string
    writeFileSync(
      path.join(stateDir, "local.json"),
      JSON.stringify({ endpoint, stream: r.streamName, archiveBucket: r.bucket, pid: process.pid })
    )
    const viaStateDir = cdc(["dlq", "list", "--table", "users", "--json", "--state-dir", stateDir], {})
    expect(viaStateDir.status, viaStateDir.stderr).toBe(0)
    expect(JSON.parse(viaStateDir.stdout).groups).toEqual(JSON.parse(list.stdout).groups)
    const show = cdc(["dlq", "show", id, "--json"], env)
    expect(show.status).toBe(0)
    expect(JSON.parse(show.stdout).failure.coordinates).toMatchObject({ shardId: placed.shardId, sequenceNumber: placed.sequenceNumber })
    expect(cdc(["dlq", "show", "no-such-id"], env).status).toBe(1)
    expect(cdc(["dlq", "list", "--since", "yesterday"], env).status).toBe(2)

    // 4. after the fix, redrive: once, then nothing
    const dry = cdc(["dlq", "redrive", "--table", "users", "--dry-run", "--json"], env)
    expect(JSON.parse(dry.stdout).counts["would-redrive"]).toBe(1)
    const redriven = cdc(["dlq", "redrive", "--table", "users", "--json"], env)
    expect(redriven.status).toBe(0)
    const report = JSON.parse(redriven.stdout)
    expect(report.counts.redriven).toBe(1)
    const again = cdc(["dlq", "redrive", "--json"], env)
    expect(again.status).toBe(0)
    expect(JSON.parse(again.stdout).counts).toMatchObject({ redriven: 0, "already-redriven": 1 })

    // 5. the processor with the fixed definition publishes the redriven record
    const fixed = makeProcessorHandler(
      Layer.merge(
        liveLayerWith(),
        Layer.succeed(RecordPath, makeRecordPath({ keys, sourcePrefix: "cdc-pipeline", eventBusName: bus, tables: fixedTables }))
      ),
      { emf: false }
    )
    const newSequence = report.items[0].sequenceNumber as string
    expect((await fixed(await kinesisEvent(r.streamName, r.streamArn, placed.shardId, newSequence))).batchItemFailures).toEqual([])
    const published = (await drain(c, consumerUrl)).map((m) => JSON.parse(m.Body as string))
    expect(published.map((e) => [e.source, e["detail-type"], e.detail.entityId])).toEqual([["cdc-pipeline.users", "user.created", "u-42"]])
    // under the identity of its first position: the id it would have had, had it not failed
    expect(newSequence).not.toBe(placed.sequenceNumber)
    expect(published[0].detail.metadata.sequenceNumber).toBe(placed.sequenceNumber)
    const firstTime = makeRecordPath({ keys, sourcePrefix: "cdc-pipeline", eventBusName: bus, tables: fixedTables }).fromKinesis(
      (await kinesisEvent(r.streamName, r.streamArn, placed.shardId, placed.sequenceNumber)).Records[0]!,
      0
    )
    expect(firstTime._tag === "Publish" && firstTime.eventId).toBe(published[0].detail.eventId)

    // nothing sensitive in the archive, the alerts, the worker's logs or the CLI's output
    const alerts = await alertsReceived(c, r)
    expect(alerts).toHaveLength(1)
    // the location an alert lists is what an operator pastes
    const location: string = alerts[0]?.body.archive.locations[0]
    const fromAlert = cdc(["dlq", "show", location, "--json"], env)
    expect(fromAlert.status, fromAlert.stderr).toBe(0)
    expect(JSON.parse(fromAlert.stdout).location).toBe(location)
    const written = [
      ...(await archiveObjects(c, r)).map((o) => `${o.body}${JSON.stringify(o.metadata)}`),
      ...alerts.map((a) => a.raw),
      ...logs,
      list.stdout,
      show.stdout,
      redriven.stdout,
      redriven.stderr
    ].join("\n")
    for (const value of sensitiveValues("users", row)) expect(written).not.toContain(value)
  })
})
