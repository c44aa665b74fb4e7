/**
 * What the gateway needs to know about a tenant to build a request's context: whether it
 * exists, its partner (for attribution checks), tier, cohort and the feature flags its cohort
 * has been reached by (flags.ts) and its governed overrides give it. Read at platform level through an internal route.
 */
import type { Tx } from '../../lib/db/index.js';
import { isUuid } from '../../lib/ids.js';
import type { TenantAccess } from '../../lib/auth/tenant-access.js';
import type { TenancyContext } from './context.js';


/** Access facts of the given tenants (those visible to the transaction), in one statement. */
export async function fetchTenantAccess(tx: Tx, tenantIds: readonly string[]): Promise<TenantAccess[]> {
  const valid = tenantIds.filter(isUuid);
  if (valid.length === 0) return [];
  return tx.query<TenantAccess>(
    `SELECT t.id, t.status, t.tier, t.cohort, t.partner_id AS "partnerId",
            array(SELECT f.feature FROM feature_flags f
                   WHERE cohort_reached(t.cohort, f.stage)
                     -- A critical-tier tenant newly reached by the last promotion waits for its release window.
                     AND (t.tier <> 'critical' OR f.critical_from <= now() OR cohort_reached(t.cohort, f.previous_stage))
                  UNION SELECT feature FROM tenant_feature_overrides o WHERE o.tenant_id = t.id AND o.enabled
                  EXCEPT SELECT feature FROM tenant_feature_overrides o WHERE o.tenant_id = t.id AND NOT o.enabled
                  ORDER BY 1) AS "grantedFeatures",
            array(SELECT feature FROM tenant_feature_overrides o WHERE o.tenant_id = t.id AND NOT o.enabled ORDER BY 1)
              AS "withdrawnFeatures"
       FROM tenants t WHERE t.id = ANY($1::uuid[])`,
    [valid],
  );
}

export const tenantAccessResolvers = {
  Tenant: {
    async featureFlags(tenant: { id: string }, _: unknown, ctx: TenancyContext) {
      return (await ctx.loaders.accessByTenant.load(tenant.id))?.grantedFeatures ?? [];
    },
  },
};
