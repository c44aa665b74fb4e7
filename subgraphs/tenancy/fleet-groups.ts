/**
 * Fleet groups: the tenants of one segment, tier, region or release cohort, as the federated
 * `FleetGroup` entity keyed `<dimension>:<value>`. Tenancy owns the grouping; other domains
 * extend the entity with their figures over `tenantIds` (erp's revenue metrics), so a figure
 * by segment is computed by the domain that owns the figure over the tenants tenancy names.
 * Platform staff only: a group spans tenants.
 */
import { BadUserInputError, TenantForbiddenError } from '../../lib/errors.js';
import type { TenancyContext } from './context.js';

const DIMENSIONS = { SEGMENT: 'segment', TIER: 'tier', REGION: 'region', COHORT: 'cohort' } as const;
type Dimension = keyof typeof DIMENSIONS;

interface FleetGroup {
  id: string;
  dimension: Dimension;
  value: string;
  tenantIds: string[];
}

function requirePlatformLevel(ctx: TenancyContext): void {
  if (ctx.tenant.access !== 'platform') throw new TenantForbiddenError('Fleet groups are read at platform level (platform staff)');
}

async function groupsOf(ctx: TenancyContext, dimension: Dimension, value: string | null): Promise<FleetGroup[]> {
  const column = DIMENSIONS[dimension];
  const rows = await ctx.db.withTenant(ctx.tenant, (tx) =>
    tx.query<{ value: string; tenant_ids: string[] }>(
      `SELECT ${column} AS value, array_agg(id ORDER BY id) AS tenant_ids FROM tenants
        WHERE status <> 'offboarded' AND ($1::text IS NULL OR ${column} = $1) GROUP BY ${column} ORDER BY ${column}`,
      [value],
    ),
  );
  return rows.map((row) => ({ id: `${dimension.toLowerCase()}:${row.value}`, dimension, value: row.value.toUpperCase(), tenantIds: row.tenant_ids }));
}

export const fleetGroupResolvers = {
  Query: {
    async fleetGroups(_: unknown, args: { by: Dimension }, ctx: TenancyContext) {
      requirePlatformLevel(ctx);
      return groupsOf(ctx, args.by, null);
    },
  },
  FleetGroup: {
    async __resolveReference(reference: { id: string }, ctx: TenancyContext) {
      requirePlatformLevel(ctx);
      const [dimension, value] = reference.id.split(':', 2);
      const key = dimension?.toUpperCase() as Dimension;
      if (!value || !(key in DIMENSIONS)) throw new BadUserInputError(`${reference.id} is not a fleet group`, { argument: 'id' });
      const [group] = await groupsOf(ctx, key, value);
      return group ?? { id: reference.id, dimension: key, value: value.toUpperCase(), tenantIds: [] };
    },
  },
};
