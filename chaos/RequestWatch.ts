/**
 * Watches the functions' `PutEvents` requests at the SDK boundary, as the processor sent them
 * (before any fault changed them): per-key order rests on a request never holding two changes of
 * one entity, since a partially failed request writes the later one while the earlier waits for
 * its retry. The order check on the consumer queues sees that only when such a failure happens to
 * hit the earlier change; this sees every request.
 *
 * @example
 * ```ts
 * const watch = makeRequestWatch()
 * intercept(watch.interceptor) // before the fault injector's, so it sees the requests as sent
 * watch.repeated() // ["cdc-pipeline.users#42 twice in one request"]
 * ```
 */
import type { Interceptor } from "../bench/lib/SdkBoundary"

/** The entity an entry is a change of: its `Source` and its detail's `entityId`. */
const entityOf = (entry: { Source?: string; Detail?: string }): string | undefined => {
  try {
    const detail = JSON.parse(entry.Detail ?? "") as { entityId?: unknown }
    return detail.entityId === undefined ? undefined : `${entry.Source}#${String(detail.entityId)}`
  } catch {
    return undefined
  }
}

export interface RequestWatch {
  readonly interceptor: Interceptor
  /** The requests seen. */
  readonly requests: () => number
  /** Each entity a request held twice or more (the first ten). */
  readonly repeated: () => ReadonlyArray<string>
  /** How many requests held an entity twice or more. */
  readonly repeatedRequests: () => number
}

export const makeRequestWatch = (): RequestWatch => {
  let requests = 0
  let repeatedRequests = 0
  const repeated: Array<string> = []
  const interceptor: Interceptor = (call, next) => {
    if (!call.exempt && call.service === "EventBridge" && call.operation === "PutEvents") {
      requests++
      const seen = new Set<string>()
      const twice = new Set<string>()
      for (const entry of (call.input.Entries as ReadonlyArray<{ Source?: string; Detail?: string }> | undefined) ?? []) {
        const entity = entityOf(entry)
        if (entity === undefined) continue
        if (seen.has(entity)) twice.add(entity)
        seen.add(entity)
      }
      if (twice.size > 0) repeatedRequests++
      for (const entity of twice) if (repeated.length < 10) repeated.push(`${entity} twice in one request`)
    }
    return next()
  }
  return { interceptor, requests: () => requests, repeated: () => [...repeated], repeatedRequests: () => repeatedRequests }
}
