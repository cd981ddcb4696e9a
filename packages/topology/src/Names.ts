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

/**
 * The production stages: `prod` and `production`, alone or with a suffix, as a second region of
 * the account takes (`prod-eu`: see README, "What each stage creates"). Their data is retained on
 * removal, their stack is protected against `sst remove`, and their redaction keys are secrets of
 * their own (see `sstSecretName` in ./Functions). `sst.config.ts` repeats this pattern (its
 * `app()` cannot import); a test keeps the two equal.
 */
export const productionStagePattern = /^(?:prod|production)(?:-[a-z0-9-]+)?$/

/**
 * Whether a stage is a production stage.
 *
 * @example
 * ```ts
 * isProductionStage("prod") // true
 * isProductionStage("prod-eu") // true
 * isProductionStage("alice") // false
 * ```
 */
export const isProductionStage = (stage: string): boolean => productionStagePattern.test(stage)

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
    // not `…-delivery-dlq`: stage `x` would name it as stage `x-delivery` names its DLQ
    deliveryDlq: of("undelivered"),
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
