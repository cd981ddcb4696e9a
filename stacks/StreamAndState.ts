/**
 * The change stream DMS writes to and the processor's checkpoint table.
 *
 * @example
 * ```ts
 * const { stream, stateTable } = streamAndState(topology)
 * ```
 */
import type { Topology } from "@cdc/topology/Topology"
import { keepsData } from "./keepsData"

export const streamAndState = (topology: Topology) => {
  const { stream: s, stateTable: t } = topology.resources
  const stream = new sst.aws.KinesisStream("Changes", {
    transform: {
      stream: keepsData<aws.kinesis.StreamArgs>(topology, {
        name: s.name,
        streamModeDetails: { streamMode: s.capacity._tag === "OnDemand" ? "ON_DEMAND" : "PROVISIONED" },
        ...(s.capacity._tag === "Provisioned" ? { shardCount: s.capacity.shards } : {}),
        encryptionType: s.encryption.type,
        kmsKeyId: s.encryption.keyId,
        retentionPeriod: s.retentionHours
      })
    }
  })

  const stateTable = new sst.aws.Dynamo("State", {
    fields: { [t.key.partitionKey]: "string", ...(t.key.sortKey === undefined ? {} : { [t.key.sortKey]: "string" }) },
    primaryIndex: { hashKey: t.key.partitionKey, ...(t.key.sortKey === undefined ? {} : { rangeKey: t.key.sortKey }) },
    ttl: t.ttlAttribute,
    deletionProtection: t.deletionProtection,
    transform: {
      table: {
        name: t.name,
        billingMode: t.billing,
        pointInTimeRecovery: { enabled: t.pointInTimeRecovery }
      }
    }
  })

  return { stream, stateTable }
}
