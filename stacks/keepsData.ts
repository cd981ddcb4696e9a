/**
 * A component transform for a resource that holds data: it sets the resource's arguments and, on
 * a production stage, keeps the resource in the account when the stack stops declaring it or
 * replaces it (Pulumi's `retainOnDelete`). SST's `removal: "retain"` keeps only the DynamoDB
 * table and the S3 bucket; the stream, the queues and the event archive hold records, dead
 * letters and a year of events, which a change to the stacks must not delete with them.
 *
 * @example
 * ```ts
 * new sst.aws.Queue("Dlq", { transform: { queue: keepsData(topology, { name: "cdc-pipeline-prod-dlq" }) } })
 * ```
 */
import type { Topology } from "@cdc/topology/Topology"

export const keepsData =
  <T extends object>(topology: Topology, args: Partial<T>) =>
  (target: T, opts: $util.CustomResourceOptions): undefined => {
    Object.assign(target, args)
    Object.assign(opts, keepingData(topology))
    return undefined
  }

/** The resource options of a plain Pulumi resource that holds data (see {@link keepsData}). */
export const keepingData = (topology: Topology): $util.CustomResourceOptions => (topology.production ? { retainOnDelete: true } : {})
