/**
 * The Pulumi logical name of a topology id: `wallboards-user-events` → `WallboardsUserEvents`.
 * Logical names are the resources' identity in the SST state; physical names come from the topology.
 *
 * @example
 * ```ts
 * new aws.cloudwatch.EventRule(`${logicalName(rule.id)}Rule`, { name: rule.name, … })
 * ```
 */
export const logicalName = (id: string): string => id.replace(/(^|-)([a-z])/g, (_, __, c: string) => c.toUpperCase())
