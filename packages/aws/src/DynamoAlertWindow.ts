/**
 * The live {@link AlertWindow} on the DynamoDB state table (`CDC_STATE_TABLE`), shared by every
 * DLQ worker invocation: one item per problem, `pk` = `alert#<SHA-256 of the problem>` (a table
 * name is whatever the record said, and may be longer than a key may be), with the fields of
 * `WindowState`, the problem's names (`table` clipped to 256 characters) for whoever reads the
 * table, and a time to live (`expiresAt`) a day after the window ends.
 *
 * Each decision is one conditional `UpdateItem`, so two invocations alerting the same problem at
 * once send one alert: the first opens the window (`attribute_not_exists(pk)`, or the window
 * over, or its claim lapsed unconfirmed), the second, its condition failed, counts its alert as
 * quieted (`windowEndsAt > :now AND (confirmed OR claimEndsAt > :now)`). Should the window end
 * between the two, the pair is tried again, at most three times, then the call fails as
 * throttling (so the caller's retry policy waits).
 *
 * @example
 * ```ts
 * program.pipe(Effect.provide(DynamoAlertWindow.layerConfig)) // CDC_STATE_TABLE, CDC_ALERT_WINDOW_MINUTES
 * ```
 */
import { createHash } from "node:crypto"
import { type AttributeValue, DynamoDBClient, UpdateItemCommand } from "@aws-sdk/client-dynamodb"
import { clipped, maxNameLength } from "@cdc/pipeline/Clipped"
import {
  type Admission,
  AlertWindow,
  type AlertWindowOptions,
  defaultAlertWindowOptions,
  openedAt,
  type Problem,
  problemKey,
  quietedOf
} from "@cdc/pipeline/dlq/AlertWindow"
import * as Clock from "effect/Clock"
import * as Config from "effect/Config"
import * as Effect from "effect/Effect"
import * as Layer from "effect/Layer"
import * as Schema from "effect/Schema"
import { awsCall } from "./AwsCall"
import { AwsError } from "./AwsError"
import { clientOptions } from "./ClientOptions"
import { stateTableConfig } from "./DynamoCheckpointStore"

/** The item key of a problem's window. */
export const alertWindowPk = (problem: Problem): string => `alert#${createHash("sha256").update(problemKey(problem)).digest("hex")}`

const rounds = 3
const dayMillis = 86_400_000

const n = (value: number): AttributeValue => ({ N: String(value) })
const numberOf = (item: Record<string, AttributeValue> | undefined, name: string): number => Number(item?.[name]?.N ?? 0)

/**
 * The window over a given client and table.
 *
 * @example
 * ```ts
 * const window = makeDynamoAlertWindow(new DynamoDBClient(clientOptions()), "cdc-state", defaultAlertWindowOptions)
 * ```
 */
export const makeDynamoAlertWindow = (client: DynamoDBClient, table: string, options: AlertWindowOptions): AlertWindow["Service"] => {
  const update = (operation: Omit<ConstructorParameters<typeof UpdateItemCommand>[0], "TableName">) =>
    awsCall("DynamoDB", "UpdateItem", (abortSignal) =>
      client.send(new UpdateItemCommand({ TableName: table, ...operation }), { abortSignal })
    )
  const unlessRefused = <A>(effect: Effect.Effect<A, AwsError>) =>
    Effect.catchIf(
      effect,
      (error) => error.code === "ConditionalCheckFailedException",
      () => Effect.succeed(undefined)
    )

  const open = (problem: Problem, now: number) => {
    const next = openedAt(now, options)
    return unlessRefused(
      update({
        Key: { pk: { S: alertWindowPk(problem) } },
        UpdateExpression:
          "SET windowStartedAt = :start, windowEndsAt = :end, confirmed = :false, claimEndsAt = :claim, quietAlerts = :zero, quietRecords = :zero, expiresAt = :expires, #table = :table, category = :category, code = :code",
        ConditionExpression: "attribute_not_exists(pk) OR windowEndsAt <= :start OR (confirmed = :false AND claimEndsAt <= :start)",
        ExpressionAttributeNames: { "#table": "table" },
        ExpressionAttributeValues: {
          ":start": n(now),
          ":end": n(next.windowEndsAt),
          ":claim": n(next.claimEndsAt),
          ":false": { BOOL: false },
          ":zero": n(0),
          ":expires": n(Math.floor((next.windowEndsAt + dayMillis) / 1000)),
          ":table": { S: clipped(problem.table, maxNameLength) },
          ":category": { S: problem.category },
          ":code": { S: clipped(problem.code, maxNameLength) }
        },
        ReturnValues: "ALL_OLD"
      })
    ).pipe(
      Effect.map((response): Admission | undefined => {
        if (response === undefined) return undefined
        const old = response.Attributes
        const quieted = quietedOf(old && { quietAlerts: numberOf(old, "quietAlerts"), quietRecords: numberOf(old, "quietRecords") })
        return { _tag: "Alert", windowStartedAt: now, windowEndsAt: next.windowEndsAt, quieted }
      })
    )
  }

  const quiet = (problem: Problem, records: number, now: number) =>
    unlessRefused(
      update({
        Key: { pk: { S: alertWindowPk(problem) } },
        UpdateExpression: "ADD quietAlerts :one, quietRecords :records",
        ConditionExpression: "windowEndsAt > :now AND (confirmed = :true OR claimEndsAt > :now)",
        ExpressionAttributeValues: { ":one": n(1), ":records": n(records), ":now": n(now), ":true": { BOOL: true } },
        ReturnValues: "ALL_NEW"
      })
    ).pipe(
      Effect.map((response): Admission | undefined =>
        response === undefined ? undefined : { _tag: "Quiet", windowEndsAt: numberOf(response.Attributes, "windowEndsAt") }
      )
    )

  const admitAt = (problem: Problem, records: number, now: number, round: number): Effect.Effect<Admission, AwsError> =>
    Effect.flatMap(open(problem, now), (opened) =>
      opened !== undefined
        ? Effect.succeed(opened)
        : Effect.flatMap(quiet(problem, records, now), (quieted) =>
            quieted !== undefined
              ? Effect.succeed(quieted)
              : round + 1 < rounds
                ? admitAt(problem, records, now, round + 1)
                : Effect.fail(
                    new AwsError({
                      service: "DynamoDB",
                      operation: "UpdateItem",
                      code: "AlertWindowContention",
                      httpStatus: undefined,
                      category: "throttling"
                    })
                  )
          )
    )

  /** A write to the window this admission opened, while it is still unconfirmed; a window since replaced is left alone. */
  const ownClaim = (
    problem: Problem,
    admission: Admission & { readonly _tag: "Alert" },
    expression: string,
    values: Record<string, AttributeValue>
  ) =>
    unlessRefused(
      update({
        Key: { pk: { S: alertWindowPk(problem) } },
        UpdateExpression: expression,
        ConditionExpression: "windowStartedAt = :start AND confirmed = :false",
        ExpressionAttributeValues: { ":start": n(admission.windowStartedAt), ":false": { BOOL: false }, ...values }
      })
    ).pipe(Effect.asVoid)

  return AlertWindow.of({
    admit: (problem, records) => Effect.flatMap(Clock.currentTimeMillis, (now) => admitAt(problem, records, now, 0)),
    confirm: (problem, admission) => ownClaim(problem, admission, "SET confirmed = :true", { ":true": { BOOL: true } }),
    release: (problem, admission) =>
      Effect.flatMap(Clock.currentTimeMillis, (now) =>
        ownClaim(problem, admission, "SET claimEndsAt = :now ADD quietAlerts :alerts, quietRecords :records", {
          ":now": n(now),
          ":alerts": n(admission.quieted?.alerts ?? 0),
          ":records": n(admission.quieted?.records ?? 0)
        })
      )
  })
}

/**
 * `CDC_ALERT_WINDOW_MINUTES` (optional, a whole number, 15 by default, 0 to send every alert):
 * how long a problem's further alerts are counted instead of sent after one is sent.
 */
export const alertWindowMinutesConfig: Config.Config<number> = Config.schema(
  Schema.Int.check(Schema.isGreaterThanOrEqualTo(0)),
  "CDC_ALERT_WINDOW_MINUTES"
).pipe(Config.withDefault(defaultAlertWindowOptions.windowMillis / 60_000))

const layerFor = (table: string, options: AlertWindowOptions = defaultAlertWindowOptions): Layer.Layer<AlertWindow> =>
  options.windowMillis === 0
    ? AlertWindow.layerOff
    : Layer.sync(AlertWindow, () => makeDynamoAlertWindow(new DynamoDBClient(clientOptions()), table, options))

export const DynamoAlertWindow = {
  layer: layerFor,
  layerConfig: Layer.unwrap(
    Effect.map(Config.all({ table: stateTableConfig, minutes: alertWindowMinutesConfig }), ({ table, minutes }) =>
      layerFor(table, { ...defaultAlertWindowOptions, windowMillis: minutes * 60_000 })
    )
  )
}
