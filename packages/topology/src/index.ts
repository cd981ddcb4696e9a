/**
 * The deployed topology as plain data, shared by `stacks/` (SST) and the local runner.
 *
 * @example
 * ```ts
 * import { makeTopology } from "@cdc/topology"
 * makeTopology({ stage: "dev" }).names.bus // "cdc-pipeline-dev-events"
 * ```
 */
export * from "./Alarms"
export * from "./Dashboard"
export * from "./Functions"
export * from "./Limits"
export * from "./Names"
export * from "./Resources"
export * from "./Rules"
export * from "./Topology"
