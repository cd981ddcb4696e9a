/// <reference path="./.sst/platform/config.d.ts" />
/**
 * The SST app: what `npx sst deploy --stage <stage>` creates and `npx sst dev` runs live.
 * Everything it deploys is described, and unit-tested, in `packages/topology`; the modules in
 * `stacks/` only turn that description into SST components and Pulumi resources.
 *
 * Deploy-time settings: `CDC_STREAM_SHARDS` (provisioned shard count; on-demand when unset) and
 * `CDC_SOURCE_PREFIX` (default `cdc-pipeline`). See README.md, "Deploying".
 */
export default $config({
  app(input) {
    // `productionStagePattern` of @cdc/topology/Names (app() cannot import it; a test keeps them equal)
    const production = /^(?:prod|production)(?:-[a-z0-9-]+)?$/.test(input.stage)
    return {
      name: "cdc-pipeline",
      home: "aws",
      // SST keeps the table and the bucket; the stacks keep the stream, the queues and the event archive (`keepsData`)
      removal: production ? "retain" : "remove",
      protect: production
    }
  },
  async run() {
    const { devModeProblem, makeTopology, topologyOptionsFromEnv } = await import("@cdc/topology/Topology")
    const { streamAndState } = await import("./stacks/StreamAndState")
    const { busRulesArchive } = await import("./stacks/BusRulesArchive")
    const { failureHandling } = await import("./stacks/FailureHandling")
    const { functions } = await import("./stacks/Functions")
    const { alarmsAndDashboard } = await import("./stacks/AlarmsAndDashboard")

    const topology = makeTopology(topologyOptionsFromEnv($app.stage, process.env))
    // SST's `protect` refuses only `sst remove`: dev mode on a production stage is stopped here
    const devProblem = $dev ? devModeProblem(topology) : undefined
    if (devProblem !== undefined) throw new Error(devProblem)
    const state = streamAndState(topology)
    const routing = busRulesArchive(topology)
    const failures = failureHandling(topology)
    functions(topology, { ...state, ...routing, ...failures })
    alarmsAndDashboard(topology, failures)

    return {
      stream: state.stream.name,
      // what a DMS Kinesis target endpoint is given (with a role that may write to it, see README)
      streamArn: state.stream.arn,
      stateTable: state.stateTable.name,
      bus: routing.bus.name,
      dlqUrl: failures.dlq.url,
      archiveBucket: failures.archiveBucket.name,
      alertTopic: failures.alertTopic.arn,
      // printed with the outputs of every `sst dev` deploy: SST's stub functions answer for the real
      // ones while no session runs, and their mappings then count what arrives as processed
      ...($dev
        ? {
            devMode: "while `sst dev` is not running, this stage drops what reaches its stream and DLQ (README: Deploy, debug live, remove)"
          }
        : {})
    }
  }
})
