/**
 * The reference design's transformation and redaction engines
 * (`shared/seed/cdc-pipeline-architecture.md`, "Transformation Engine" and "Redaction Engine"),
 * re-implemented as a BASELINE for the benchmarks only. It keeps the design's algorithm,
 * including its known defects (float decimals, random ids, unkeyed hashes, an in-memory token
 * map), because the point is to measure the cost of the design as written. Never import it from
 * product code.
 */
import { createHash } from "node:crypto"

type Op = "INSERT" | "UPDATE" | "DELETE"
type Changes = Record<string, { old?: unknown; new?: unknown }>

interface CdcEvent {
  tableName: string
  operation: Op
  beforeImage?: Record<string, unknown>
  afterImage?: Record<string, unknown>
  timestamp: string
  sequenceNumber: string
}

export interface ReferenceTableConfig {
  readonly tableName: string
  readonly partitionKey: string
  readonly redactionRules: ReadonlyArray<{ field: string; action: "REMOVE" | "HASH" | "PARTIAL_MASK" | "FULL_MASK" | "TOKENIZE" }>
  readonly transformations: ReadonlyArray<{ field: string; type: "ISO_DATE" | "DECIMAL" | "UPPERCASE" | "LOWERCASE" }>
  readonly targetEventTypes: Partial<Record<Op, string>>
}

export class ReferenceEngine {
  private readonly configs: Map<string, ReferenceTableConfig>
  private readonly tokenStore = new Map<string, string>()

  constructor(configs: ReadonlyArray<ReferenceTableConfig>) {
    this.configs = new Map(configs.map((c) => [c.tableName, c]))
  }

  /** Deserialize → transform → redact → serialize, as the reference handler does per record. */
  process(data: string): string {
    const event = JSON.parse(Buffer.from(data, "base64").toString("utf-8")) as CdcEvent
    const config = this.configs.get(event.tableName)
    if (!config) throw new Error(`No configuration found for table: ${event.tableName}`)
    const changes = this.applyTransformations(this.computeChanges(event), config)
    const redacted = this.redact(changes, config)
    const source = event.afterImage || event.beforeImage
    return JSON.stringify({
      eventId: `evt_${Date.now()}_${Math.random().toString(36).substr(2, 9)}`,
      eventType: config.targetEventTypes[event.operation],
      entityId: String(source?.[config.partitionKey] || "unknown"),
      entityType: event.tableName,
      operation: event.operation,
      timestamp: event.timestamp,
      changes: redacted,
      metadata: {
        sourceTable: event.tableName,
        sequenceNumber: event.sequenceNumber,
        processedAt: new Date().toISOString(),
        version: "1.0"
      }
    })
  }

  private computeChanges(event: CdcEvent): Changes {
    const changes: Changes = {}
    const fields = new Set([...Object.keys(event.beforeImage || {}), ...Object.keys(event.afterImage || {})])
    for (const field of fields) {
      const oldValue = event.beforeImage?.[field]
      const newValue = event.afterImage?.[field]
      if (oldValue !== newValue) changes[field] = { old: oldValue, new: newValue }
    }
    return changes
  }

  private applyTransformations(changes: Changes, config: ReferenceTableConfig): Changes {
    const transformed = { ...changes }
    for (const t of config.transformations) {
      const change = transformed[t.field]
      if (change) transformed[t.field] = { old: this.transform(change.old, t.type), new: this.transform(change.new, t.type) }
    }
    return transformed
  }

  private transform(value: unknown, type: string): unknown {
    if (value === null || value === undefined) return value
    switch (type) {
      case "ISO_DATE":
        return new Date(value as string | number).toISOString()
      case "DECIMAL":
        return parseFloat(value as string).toFixed(2)
      case "UPPERCASE":
        return String(value).toUpperCase()
      case "LOWERCASE":
        return String(value).toLowerCase()
      default:
        return value
    }
  }

  private redact(data: Changes, config: ReferenceTableConfig): Changes {
    const redacted = { ...data }
    for (const rule of config.redactionRules) {
      const change = redacted[rule.field]
      if (!change) continue
      if (rule.action === "REMOVE") delete redacted[rule.field]
      else redacted[rule.field] = { old: this.redactValue(change.old, rule.action), new: this.redactValue(change.new, rule.action) }
    }
    return redacted
  }

  private redactValue(value: unknown, action: string): unknown {
    if (value === null || value === undefined) return value
    const s = String(value)
    switch (action) {
      case "HASH":
        return createHash("sha256").update(s).digest("hex").substring(0, 16)
      case "PARTIAL_MASK":
        return s.length <= 3 ? "*".repeat(s.length) : `${s.substring(0, 3)}${"*".repeat(Math.min(s.length - 3, 10))}`
      case "FULL_MASK":
        return "***REDACTED***"
      case "TOKENIZE": {
        const existing = this.tokenStore.get(s)
        if (existing) return existing
        const token = `tok_${createHash("md5").update(s).digest("hex").substring(0, 12)}`
        this.tokenStore.set(s, token)
        return token
      }
      default:
        return value
    }
  }
}
