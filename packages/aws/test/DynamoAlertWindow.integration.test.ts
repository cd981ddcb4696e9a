/**
 * The alert window on the emulator's DynamoDB: conditional writes that send one alert per
 * problem per window, whichever invocation asks, and give a claim back when its alert failed.
 */
import { randomUUID } from "node:crypto"
import { DynamoDBClient, GetItemCommand } from "@aws-sdk/client-dynamodb"
import { createStateTable } from "@cdc/testkit/ProcessorResources"
import { describe, expect, it } from "@effect/vitest"
import * as Effect from "effect/Effect"
import { TestClock } from "effect/testing"
import { inject } from "vitest"
import { alertWindowContract, contractOptions } from "../../pipeline/test/support/AlertWindowContract"
import { alertWindowPk, makeDynamoAlertWindow } from "../src/DynamoAlertWindow"

const client = new DynamoDBClient({})

const freshWindow = Effect.promise(async () => {
  const table = `alerts-${randomUUID().slice(0, 8)}`
  await createStateTable(client, table)
  return { table, window: makeDynamoAlertWindow(client, table, contractOptions) }
})

describe("DynamoAlertWindow", () => {
  it.effect("keeps the contract the in-memory window keeps", () =>
    Effect.gen(function* () {
      const { window } = yield* freshWindow
      yield* alertWindowContract(window)
    })
  )

  // needs DynamoDB's atomic conditional writes: the emulator the run starts has them (see
  // motoServer.py); a plain moto at AWS_ENDPOINT_URL does not, and would fail this for moto's sake
  it.effect.runIf(inject("awsEmulatorOwned"))("sends one alert when invocations ask for the same problem at once", () =>
    Effect.gen(function* () {
      const { window } = yield* freshWindow
      // twenty problems, eight invocations each, all at once: a write that is not atomic on the
      // emulator (moto answers on threads, see motoServer.py) showed as two alerts in ≈ 7% of problems
      const problems = Array.from({ length: 20 }, (_, i) => ({ table: `orders${i}`, category: "schema-drift", code: "undeclared-column" }))
      const asked = yield* Effect.forEach(
        problems.flatMap((problem) => Array.from({ length: 8 }, (_, i) => ({ problem, records: i + 1 }))),
        ({ problem, records }) =>
          Effect.map(window.admit(problem, records, `${problem.table}-c${records}`), (admission) => ({ problem, admission })),
        { concurrency: "unbounded" }
      )
      const alertsPerProblem = problems.map((problem) => asked.filter((a) => a.problem === problem && a.admission._tag === "Alert").length)
      expect(alertsPerProblem).toEqual(problems.map(() => 1))
      const problem = problems[0]!
      const admissions = asked.filter((a) => a.problem === problem).map((a) => a.admission)
      const sent = admissions.filter((admission) => admission._tag === "Alert")
      yield* window.confirm(problem, sent[0] as (typeof sent)[number])
      yield* TestClock.adjust("15 minutes")
      const next = yield* window.admit(problem, 1, "next")
      // the seven quieted, with their records: 1 + … + 8 less the one sent
      expect(next._tag === "Alert" && next.quieted).toEqual({
        alerts: 7,
        records: 36 - admissions.findIndex((admission) => admission._tag === "Alert") - 1
      })
    })
  )

  it.effect("keeps the problem's names readable in its item, a long table name clipped, with a time to live", () =>
    Effect.gen(function* () {
      const { table, window } = yield* freshWindow
      const problem = { table: `x${"y".repeat(400)}`, category: "configuration", code: "unknown-table" }
      const admission = yield* window.admit(problem, 1, "c1")
      const { Item } = yield* Effect.promise(() =>
        client.send(new GetItemCommand({ TableName: table, Key: { pk: { S: alertWindowPk(problem) } } }))
      )
      expect(Item?.category?.S).toBe("configuration")
      expect(Item?.table?.S?.length).toBeLessThan(300)
      expect(Item?.claimId?.S).toBe("c1")
      expect(Number(Item?.expiresAt?.N)).toBe(Math.floor((admission.windowEndsAt + 86_400_000) / 1000))
    })
  )
})
