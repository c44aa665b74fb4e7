/**
 * Tenant.health: availability, error rate and p95 latency per tenant, and where the tenant stands
 * against its escalation policy (escalation.ts). Every (tenant, window) pair a request asks for —
 * across tenants and across aliased windows — is read in one statement.
 */
import type { Database } from '../../lib/db/index.js';
import { BadUserInputError } from '../../lib/errors.js';
import { isUuid } from '../../lib/ids.js';
import { rowLoader } from '../../lib/loaders.js';
import type { SubgraphContext } from '../../lib/subgraph/index.js';
import { mayActOnTenant, type TenantContext } from '../../lib/tenant-context.js';
import { createEscalationLoader, escalationsOf, type HealthFigures } from './escalation.js';

interface HealthRow {
  tenant_id: string;
  window_minutes: number;
  request_count: number;
  error_count: number;
  p95: number | null;
}

export const MAX_WINDOW_MINUTES = 43_200;

/** A window argument: `value`, or `fallback` when none is given; BAD_USER_INPUT outside 1–MAX_WINDOW_MINUTES. */
export function windowMinutesOf(value: number | null | undefined, fallback: number): number {
  const windowMinutes = value ?? fallback;
  if (!Number.isInteger(windowMinutes) || windowMinutes < 1 || windowMinutes > MAX_WINDOW_MINUTES) {
    throw new BadUserInputError(`windowMinutes must be between 1 and ${MAX_WINDOW_MINUTES}`, { argument: 'windowMinutes' });
  }
  return windowMinutes;
}

/** A loader key: one tenant over one window. */
type HealthKey = `${string}/${number}`;
const keyOf = (tenantId: string, windowMinutes: number): HealthKey => `${tenantId}/${windowMinutes}`;

/**
 * One loader for every (tenant, window) pair of the request: 200 aliases of
 * `health(windowMinutes: k)` cost one statement, not one per window. Repeated pairs are
 * loaded once (the loader de-duplicates keys).
 */
export function createObservabilityLoaders(db: Database, tenant: TenantContext) {
  const health = rowLoader<HealthKey, HealthRow>(
    db,
    tenant,
    (tx, keys) => {
      const pairs = keys.map((key) => key.split('/') as [string, string]).filter(([tenantId]) => isUuid(tenantId));
      return tx.query<HealthRow>(
        // LATERAL: one index range scan per pair. A plain join lets the planner pick a
        // sequential scan of every tenant's telemetry under platform-level access.
        `SELECT k.tenant_id, k.window_minutes, s.request_count, s.error_count, s.p95
           FROM unnest($1::uuid[], $2::int[]) AS k(tenant_id, window_minutes)
           CROSS JOIN LATERAL (
             SELECT count(*)::int AS request_count,
                    count(*) FILTER (WHERE t.outcome = 'error')::int AS error_count,
                    percentile_cont(0.95) WITHIN GROUP (ORDER BY t.duration_ms) AS p95
               FROM request_telemetry t
              WHERE t.tenant_id = k.tenant_id AND t.occurred_at >= now() - make_interval(mins => k.window_minutes)
           ) AS s`,
        [pairs.map(([tenantId]) => tenantId), pairs.map(([, windowMinutes]) => Number(windowMinutes))],
      );
    },
    (row) => keyOf(row.tenant_id, row.window_minutes),
  );
  const escalation = createEscalationLoader(db, tenant);
  return {
    /** The tenant's escalation policy (observability's copy) and availability objective. */
    escalation: (tenantId: string) => escalation.load(tenantId.toLowerCase()),
    /** The tenant's figures over the window; zero requests when it has no telemetry (or RLS hides it). */
    async health(tenantId: string, windowMinutes: number): Promise<HealthRow> {
      // Keyed by the id as the database spells it (lower case), so the row is found whatever the caller's case.
      const row = await health.load(keyOf(tenantId.toLowerCase(), windowMinutes));
      return row ?? { tenant_id: tenantId, window_minutes: windowMinutes, request_count: 0, error_count: 0, p95: null };
    },
  };
}

export type ObservabilityContext = SubgraphContext<ReturnType<typeof createObservabilityLoaders>>;

export const healthResolvers = {
  Tenant: {
    health: async (tenant: { id: string }, args: { windowMinutes?: number | null }, ctx: ObservabilityContext) => {
      const windowMinutes = windowMinutesOf(args.windowMinutes, 1440);
      if (!mayActOnTenant(ctx.tenant, tenant.id) || !isUuid(tenant.id)) return null;
      const row = await ctx.loaders.health(tenant.id, windowMinutes);
      const errorRate = row.request_count > 0 ? row.error_count / row.request_count : null;
      return {
        availability: errorRate === null ? null : 1 - errorRate,
        errorRate,
        p95LatencyMs: row.p95,
        requestCount: row.request_count,
        windowMinutes,
        figures: { tenantId: tenant.id, errorRate } satisfies HealthFigures,
      };
    },
  },
  TenantHealth: {
    escalations: async (health: { figures: HealthFigures }, _args: unknown, ctx: ObservabilityContext) =>
      escalationsOf(await ctx.loaders.escalation(health.figures.tenantId), health.figures),
  },
};
