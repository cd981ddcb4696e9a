/**
 * The live {@link AlertWindow} on the DynamoDB state table (`CDC_STATE_TABLE`), shared by every
 * DLQ worker invocation: one item per problem, `pk` = `alert#<SHA-256 of the problem>` (a table
 * name is whatever the record said, and may be longer than a key may be), with the fields of
 * `WindowState`, the problem's names (as archive keys write them, the table's clipped to 256
 * characters) for whoever reads the table, and a time to live (`expiresAt`) a day after the window ends.
 *
 * Each decision is a conditional `UpdateItem`, so two invocations alerting the same problem at
 * once send one alert: the first claims the window (no item, or its window over after its alert
 * went out, or its claim lapsed unconfirmed: two writes, see `opening`), the second, those
 * conditions failed, counts its alert as quieted (`windowEndsAt > :now AND (confirmed OR
 * claimEndsAt > :now) AND claimId <> :claimId`), and writes its token (`lastQuietId`). An admit
 * that finds its own claim (its first write landed, its answer was lost, and the caller retried)
 * takes it as its own; one that finds its own count (the same, for a quieted alert) is quiet
 * without counting itself again. If another
 * invocation changed the window between these calls (a release, a clock behind this one's), they
 * are tried again, at most three times, then the call fails as throttling (so the caller's retry
 * policy waits).
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
  claimed,
  defaultAlertWindowOptions,
  openedAt,
  type WindowState
} from "@cdc/pipeline/dlq/AlertWindow"
import { keySegment } from "@cdc/pipeline/dlq/ArchivedFailure"
import { type Problem, windowKey } from "@cdc/pipeline/dlq/Problem"
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
export const alertWindowPk = (problem: Problem): string => `alert#${createHash("sha256").update(windowKey(problem)).digest("hex")}`

const rounds = 3
/** The window keeps its alerts quiet (`isQuiet`): within it, and its alert published or being published. */
const quietNow = "windowEndsAt > :now AND (confirmed = :true OR claimEndsAt > :now)"
const dayMillis = 86_400_000

const n = (value: number): AttributeValue => ({ N: String(value) })
const numberOf = (item: Record<string, AttributeValue> | undefined, name: string): number => Number(item?.[name]?.N ?? 0)

/** The window an item holds (the fields of `WindowState`). */
const stateOf = (item: Record<string, AttributeValue> | undefined): WindowState => ({
  claimId: item?.claimId?.S ?? "",
  windowStartedAt: numberOf(item, "windowStartedAt"),
  windowEndsAt: numberOf(item, "windowEndsAt"),
  confirmed: item?.confirmed?.BOOL === true,
  claimEndsAt: numberOf(item, "claimEndsAt"),
  quietAlerts: numberOf(item, "quietAlerts"),
  quietRecords: numberOf(item, "quietRecords"),
  reportingAlerts: numberOf(item, "reportingAlerts"),
  reportingRecords: numberOf(item, "reportingRecords"),
  lastQuietId: item?.lastQuietId?.S ?? ""
})

/**
 * The two ways a window is claimed (see `openedAt`): over nothing or a window that ended after its
 * alert went out, reporting what it quieted; over a claim that lapsed unpublished, reporting what
 * it quieted and what it was to report itself.
 */
const opening = [
  {
    condition: "attribute_not_exists(pk) OR (confirmed = :true AND windowEndsAt <= :now)",
    reporting: "reportingAlerts = if_not_exists(quietAlerts, :zero), reportingRecords = if_not_exists(quietRecords, :zero)"
  },
  {
    condition: "confirmed = :false AND claimEndsAt <= :now",
    reporting:
      "reportingAlerts = if_not_exists(reportingAlerts, :zero) + quietAlerts, reportingRecords = if_not_exists(reportingRecords, :zero) + quietRecords"
  }
] as const

/**
 * The window over a given client and table.
 *
 * @example
 * ```ts
 * const window = makeDynamoAlertWindow(new DynamoDBClient(clientOptions()), "cdc-state", defaultAlertWindowOptions)
 * ```
 */
export const makeDynamoAlertWindow = (client: DynamoDBClient, table: string, options: AlertWindowOptions): AlertWindow["Service"] => {
  const update = (
    problem: Problem,
    operation: Omit<ConstructorParameters<typeof UpdateItemCommand>[0], "TableName" | "Key" | "ReturnValues">
  ) =>
    Effect.catchIf(
      awsCall("DynamoDB", "UpdateItem", (abortSignal) =>
        client.send(
          new UpdateItemCommand({ TableName: table, Key: { pk: { S: alertWindowPk(problem) } }, ReturnValues: "ALL_NEW", ...operation }),
          { abortSignal }
        )
      ).pipe(Effect.map((response) => stateOf(response.Attributes))),
      (error) => error.code === "ConditionalCheckFailedException",
      () => Effect.succeed(undefined)
    )
  const flags = { ":true": { BOOL: true }, ":false": { BOOL: false } }

  const open = (problem: Problem, now: number, claimId: string, way: (typeof opening)[number]) => {
    const next = openedAt(now, claimId, undefined, options)
    return update(problem, {
      UpdateExpression: `SET claimId = :claimId, windowStartedAt = :now, windowEndsAt = :end, confirmed = :false, claimEndsAt = :claim, ${way.reporting}, quietAlerts = :zero, quietRecords = :zero, expiresAt = :expires, #table = :table, category = :category, code = :code`,
      ConditionExpression: way.condition,
      ExpressionAttributeNames: { "#table": "table" },
      ExpressionAttributeValues: {
        // DynamoDB refuses a value no expression uses
        ...(way.condition.includes(":true") ? flags : { ":false": flags[":false"] }),
        ":claimId": { S: claimId },
        ":now": n(now),
        ":end": n(next.windowEndsAt),
        ":claim": n(next.claimEndsAt),
        ":zero": n(0),
        ":expires": n(Math.floor((next.windowEndsAt + dayMillis) / 1000)),
        // names as the archive keys write them: printable ASCII, bounded
        ":table": { S: keySegment(clipped(problem.table, maxNameLength)) },
        ":category": { S: keySegment(problem.category) },
        ":code": { S: keySegment(clipped(problem.code, maxNameLength)) }
      }
    })
  }

  const quiet = (problem: Problem, records: number, now: number, claimId: string) =>
    update(problem, {
      UpdateExpression: "SET lastQuietId = :claimId ADD quietAlerts :one, quietRecords :records",
      ConditionExpression: `${quietNow} AND claimId <> :claimId AND (attribute_not_exists(lastQuietId) OR lastQuietId <> :claimId)`,
      ExpressionAttributeValues: {
        ":true": flags[":true"],
        ":one": n(1),
        ":records": n(records),
        ":now": n(now),
        ":claimId": { S: claimId }
      }
    })

  /** The claim `claimId` still holds, if it does: a retried admit whose first open landed. */
  const ownClaim = (problem: Problem, now: number, claimId: string) =>
    update(problem, {
      UpdateExpression: "SET claimId = :claimId",
      ConditionExpression: "claimId = :claimId AND confirmed = :false AND claimEndsAt > :now AND windowEndsAt > :now",
      ExpressionAttributeValues: { ":false": { BOOL: false }, ":now": n(now), ":claimId": { S: claimId } }
    })

  /** The count `claimId` already added, if it did: a retried admit whose first quiet landed. */
  const ownQuiet = (problem: Problem, now: number, claimId: string) =>
    update(problem, {
      UpdateExpression: "SET lastQuietId = :claimId",
      ConditionExpression: `${quietNow} AND lastQuietId = :claimId`,
      ExpressionAttributeValues: { ":true": flags[":true"], ":now": n(now), ":claimId": { S: claimId } }
    })

  const admitAt = (problem: Problem, records: number, claimId: string, now: number, round: number): Effect.Effect<Admission, AwsError> =>
    Effect.gen(function* () {
      for (const way of opening) {
        const opened = yield* open(problem, now, claimId, way)
        if (opened !== undefined) return claimed(opened)
      }
      const quieted = yield* quiet(problem, records, now, claimId)
      if (quieted !== undefined) return { _tag: "Quiet", windowEndsAt: quieted.windowEndsAt } as const
      const own = yield* ownClaim(problem, now, claimId)
      if (own !== undefined) return claimed(own)
      const counted = yield* ownQuiet(problem, now, claimId)
      if (counted !== undefined) return { _tag: "Quiet", windowEndsAt: counted.windowEndsAt } as const
      // another invocation changed the window between these calls (a release, a clock behind ours)
      if (round + 1 < rounds) return yield* admitAt(problem, records, claimId, now, round + 1)
      return yield* new AwsError({
        service: "DynamoDB",
        operation: "UpdateItem",
        code: "AlertWindowContention",
        httpStatus: undefined,
        category: "throttling"
      })
    })

  return AlertWindow.of({
    admit: (problem, records, claimId) => Effect.flatMap(Clock.currentTimeMillis, (now) => admitAt(problem, records, claimId, now, 0)),
    confirm: (problem, admission) =>
      Effect.asVoid(
        update(problem, {
          UpdateExpression: "SET confirmed = :true, reportingAlerts = :zero, reportingRecords = :zero",
          ConditionExpression: "claimId = :claimId",
          ExpressionAttributeValues: { ":true": { BOOL: true }, ":zero": n(0), ":claimId": { S: admission.claimId } }
        })
      ),
    release: (problem, admission) =>
      Effect.flatMap(Clock.currentTimeMillis, (now) =>
        Effect.asVoid(
          update(problem, {
            UpdateExpression: "SET claimEndsAt = :now",
            ConditionExpression: "claimId = :claimId AND confirmed = :false",
            ExpressionAttributeValues: { ":false": { BOOL: false }, ":now": n(now), ":claimId": { S: admission.claimId } }
          })
        )
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
