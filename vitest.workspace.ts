/**
 * The test projects. vitest 5 no longer reads this file by itself: vitest.config.ts imports it
 * as `test.projects`.
 *
 * - `unit`: pure and TestClock tests; no network, no emulator. Files named `*.test.ts`.
 * - `integration`: real AWS API calls against the local emulator (moto, started once per run).
 *   Files named `*.integration.test.ts`.
 *
 * Both seed fast-check once (./packages/testkit/src/vitest/setupFastCheck.ts): runs are
 * reproducible; `FC_SEED=random` explores.
 */
import type { TestProjectConfiguration } from "vitest/config"

const integrationFiles = "packages/*/test/**/*.integration.test.ts"

export default [
  {
    test: {
      name: "unit",
      include: ["packages/*/test/**/*.test.ts", "bench/**/*.test.ts", "chaos/**/*.test.ts"],
      exclude: [integrationFiles, "**/node_modules/**"],
      environment: "node",
      setupFiles: ["packages/testkit/src/vitest/setupFastCheck.ts"]
    }
  },
  {
    test: {
      name: "integration",
      include: [integrationFiles],
      environment: "node",
      globalSetup: ["packages/testkit/src/vitest/globalSetup.ts"],
      setupFiles: ["packages/testkit/src/vitest/setupFastCheck.ts", "packages/testkit/src/vitest/setupIntegration.ts"],
      testTimeout: 120_000,
      hookTimeout: 180_000
    }
  }
] satisfies Array<TestProjectConfiguration>
