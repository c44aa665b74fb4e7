/** Tenant.health: availability, error rate and p95 latency per tenant, all tenants of a window in one statement. */
import DataLoader from 'dataloader';
import type { Database } from '../../lib/db/index.js';
import { BadUserInputError } from '../../lib/errors.js';
import { isUuid } from '../../lib/ids.js';
import type { SubgraphContext } from '../../lib/subgraph.js';
import { mayActOnTenant, type TenantContext } from '../../lib/tenant-context.js';

interface HealthRow {
  tenant_id: string;
  request_count: number;
  error_count: number;
  p95: number | null;
}

export const MAX_WINDOW_MINUTES = 43_200;

/** One loader per window size, each batching every tenant asked for with that window. */
export function createObservabilityLoaders(db: Database, tenant: TenantContext) {
  const byWindow = new Map<number, DataLoader<string, HealthRow>>();
  return {
    healthFor(windowMinutes: number): DataLoader<string, HealthRow> {
      let loader = byWindow.get(windowMinutes);
      if (!loader) {
        loader = new DataLoader(async (tenantIds) => {
          const rows = await db.withTenant(tenant, (tx) =>
            tx.query<HealthRow>(
              // LATERAL: one index range scan per tenant. A plain join lets the planner pick a
              // sequential scan of every tenant's telemetry under platform-level access.
              `SELECT k.tenant_id, s.request_count, s.error_count, s.p95
                 FROM unnest($1::uuid[]) AS k(tenant_id)
                 CROSS JOIN LATERAL (
                   SELECT count(*)::int AS request_count,
                          count(*) FILTER (WHERE t.outcome = 'error')::int AS error_count,
                          percentile_cont(0.95) WITHIN GROUP (ORDER BY t.duration_ms) AS p95
                     FROM request_telemetry t
                    WHERE t.tenant_id = k.tenant_id AND t.occurred_at >= now() - make_interval(mins => $2)
                 ) AS s`,
              [tenantIds.filter(isUuid), windowMinutes],
            ),
          );
          const byTenant = new Map(rows.map((row) => [row.tenant_id, row]));
          return tenantIds.map((id) => byTenant.get(id) ?? { tenant_id: id, request_count: 0, error_count: 0, p95: null });
        });
        byWindow.set(windowMinutes, loader);
      }
      return loader;
    },
  };
}

export type ObservabilityContext = SubgraphContext<ReturnType<typeof createObservabilityLoaders>>;

export const healthResolvers = {
  Tenant: {
    health: async (tenant: { id: string }, args: { windowMinutes?: number | null }, ctx: ObservabilityContext) => {
      const windowMinutes = args.windowMinutes ?? 1440;
      if (!Number.isInteger(windowMinutes) || windowMinutes < 1 || windowMinutes > MAX_WINDOW_MINUTES) {
        throw new BadUserInputError(`windowMinutes must be between 1 and ${MAX_WINDOW_MINUTES}`, { argument: 'windowMinutes' });
      }
      if (!mayActOnTenant(ctx.tenant, tenant.id) || !isUuid(tenant.id)) return null;
      const row = await ctx.loaders.healthFor(windowMinutes).load(tenant.id);
      const errorRate = row.request_count > 0 ? row.error_count / row.request_count : null;
      return {
        availability: errorRate === null ? null : 1 - errorRate,
        errorRate,
        p95LatencyMs: row.p95,
        requestCount: row.request_count,
        windowMinutes,
      };
    },
  },
};
