/**
 * The settings both functions read from their environment, apart from the names of their
 * resources (which the deployment sets): retry policies (`CDC_RETRY_*`), the circuit breaker
 * (`CDC_BREAKER_*`), the checkpoints' time to live (`CDC_CHECKPOINT_TTL_HOURS`), the DLQ
 * alerts' window (`CDC_ALERT_WINDOW_MINUTES`) and the redaction keys (`CDC_HASH_KEY`,
 * `CDC_TOKENIZE_KEY`). The functions read each where it is used;
 * `cdc start` reads them all before it starts anything, so a bad value is refused at once
 * (`cdc: invalid configuration: …`, exit 2) instead of failing every batch of a running
 * pipeline. Not imported by the handlers: it would put every service's client in both bundles.
 *
 * @example
 * ```ts
 * yield* functionSettingsConfig // a ConfigError naming the variable, before the emulator starts
 * ```
 */
import { alertWindowMinutesConfig } from "@cdc/aws/DynamoAlertWindow"
import { checkpointTtlHoursConfig } from "@cdc/aws/DynamoCheckpointStore"
import { redactionKeysConfig } from "@cdc/domain/RedactionKeys"
import { circuitBreakerConfig } from "@cdc/pipeline/CircuitBreaker"
import { dependencies, retryPolicyConfig } from "@cdc/pipeline/RetryPolicy"
import * as Config from "effect/Config"

export const functionSettingsConfig = Config.all({
  retryPolicies: Config.all(dependencies.map(retryPolicyConfig)),
  circuitBreaker: circuitBreakerConfig,
  checkpointTtlHours: checkpointTtlHoursConfig,
  alertWindowMinutes: alertWindowMinutesConfig,
  redactionKeys: redactionKeysConfig
})
