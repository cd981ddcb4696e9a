/**
 * Stage-aware physical names. Every resource of a stage is named `<app>-<stage>-<role>`, so two
 * stages share an account without colliding, and the local runner creates the very same names on
 * the emulator. S3 bucket names are global, so the archive bucket also carries the account id.
 *
 * @example
 * ```ts
 * const names = makeNames("cdc-pipeline", "prod")
 * names.bus // "cdc-pipeline-prod-events"
 * archiveBucketName(names, "123456789012") // "cdc-pipeline-prod-dlq-archive-123456789012"
 * ```
 */

/** The stages whose data is retained on removal and whose stack is protected against `sst remove`. */
export const productionStages: ReadonlyArray<string> = ["production", "prod"]

/**
 * Whether a stage is a production stage.
 *
 * @example
 * ```ts
 * isProductionStage("prod") // true
 * isProductionStage("alice") // false
 * ```
 */
export const isProductionStage = (stage: string): boolean => productionStages.includes(stage)

/** Stage names that yield valid names for every resource kind (lowercase for S3). */
export const stagePattern = /^[a-z0-9][a-z0-9-]*$/

export interface Names {
  readonly app: string
  readonly stage: string
  readonly prefix: string
  readonly stream: string
  readonly stateTable: string
  readonly bus: string
  readonly eventArchive: string
  readonly dlq: string
  readonly parkingQueue: string
  /** Events the bus could not deliver to a rule's target. */
  readonly deliveryDlq: string
  readonly alertTopic: string
  readonly processorFunction: string
  readonly dlqWorkerFunction: string
  readonly dashboard: string
  /** The name of a rule, consumer queue or alarm of this stage, from its id. */
  readonly of: (id: string) => string
}

/**
 * The names of one stage of an app.
 *
 * @example
 * ```ts
 * makeNames("cdc-pipeline", "dev").of("wallboards") // "cdc-pipeline-dev-wallboards"
 * ```
 */
export const makeNames = (app: string, stage: string): Names => {
  const prefix = `${app}-${stage}`
  const of = (id: string) => `${prefix}-${id}`
  return {
    app,
    stage,
    prefix,
    stream: of("changes"),
    stateTable: of("state"),
    bus: of("events"),
    eventArchive: of("events"),
    dlq: of("dlq"),
    parkingQueue: of("dlq-parking"),
    deliveryDlq: of("delivery-dlq"),
    alertTopic: of("alerts"),
    processorFunction: of("processor"),
    dlqWorkerFunction: of("dlq-worker"),
    dashboard: prefix,
    of
  }
}

/**
 * The archive bucket's name: global across AWS, hence the account id.
 *
 * @example
 * ```ts
 * archiveBucketName(makeNames("cdc-pipeline", "ci"), "000000000000") // "cdc-pipeline-ci-dlq-archive-000000000000"
 * ```
 */
export const archiveBucketName = (names: Names, accountId: string): string => names.of(`dlq-archive-${accountId}`)
