/**
 * Integration health per tenant (docs/integrations.md, *Telemetry*): clinical-ops' outcome counts
 * (`clinical-ops.integration.outcomes`) added into a roll-up per tenant, connector and minute, and
 * `Tenant.integrationHealth(windowMinutes)` — per connector over the window: calls, what became of
 * them, the failure rate and latency (mean, and p95 estimated from the latency buckets).
 *
 * A failure is a call that did not get done: `rejected` (refused for good — a 4xx, a disabled
 * connector, a payload that cannot be sent) or `retryable` (timeout, 5xx, unreachable, circuit
 * open, malformed answer). A payer's rejection of a claim it received is an accepted call.
 */
import DataLoader from 'dataloader';
import type { Database } from '../../lib/db/index.js';
import { INTEGRATION_CONNECTORS, INTEGRATION_LATENCY_BUCKETS_MS, type IntegrationConnector } from '../../lib/events/catalog.js';
import { defineConsumer } from '../../lib/events/consumer.js';
import { isUuid } from '../../lib/ids.js';
import type { QueueDeclaration } from '../../lib/jobs/queues.js';
import type { SubgraphContext } from '../../lib/subgraph/index.js';
import { mayActOnTenant, type TenantContext } from '../../lib/tenant-context.js';
import { windowMinutesOf } from './health.js';

/** Adds each batch into the roll-up, in one transaction bound to the tenant. */
export const integrationOutcomesRollup = (queue: QueueDeclaration) =>
  defineConsumer({
    name: 'integration-outcomes-rollup',
    queue,
    type: 'clinical-ops.integration.outcomes',
    async handle(event, tx) {
      for (const count of event.payload.counts) {
        const reasons = count.retryableByReason;
        await tx.query(
          `INSERT INTO integration_outcomes (tenant_id, connector, minute, accepted, rejected, retryable, timeouts, server_errors, unreachable, circuit_open, malformed,
                                             latency_ms_sum, latency_buckets)
           VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13)
           ON CONFLICT (tenant_id, connector, minute) DO UPDATE SET
             accepted = integration_outcomes.accepted + excluded.accepted,
             rejected = integration_outcomes.rejected + excluded.rejected,
             retryable = integration_outcomes.retryable + excluded.retryable,
             timeouts = integration_outcomes.timeouts + excluded.timeouts,
             server_errors = integration_outcomes.server_errors + excluded.server_errors,
             unreachable = integration_outcomes.unreachable + excluded.unreachable,
             circuit_open = integration_outcomes.circuit_open + excluded.circuit_open,
             malformed = integration_outcomes.malformed + excluded.malformed,
             latency_ms_sum = integration_outcomes.latency_ms_sum + excluded.latency_ms_sum,
             latency_buckets = (SELECT array_agg(coalesce(a, 0) + coalesce(b, 0) ORDER BY i)
                                  FROM unnest(integration_outcomes.latency_buckets, excluded.latency_buckets) WITH ORDINALITY AS u(a, b, i))`,
          [
            event.tenantId,
            count.connector,
            count.minute,
            count.accepted,
            count.rejected,
            count.retryable,
            reasons.timeout,
            reasons.server_error,
            reasons.unreachable,
            reasons.circuit_open,
            reasons.malformed_response,
            count.latencyMsSum,
            count.latencyBuckets,
          ],
        );
      }
    },
  });

interface OutcomeRow {
  tenant_id: string;
  window_minutes: number;
  connector: IntegrationConnector;
  accepted: string;
  rejected: string;
  retryable: string;
  timeouts: string;
  server_errors: string;
  unreachable: string;
  circuit_open: string;
  malformed: string;
  latency_ms_sum: string;
  buckets: string[];
}

type WindowKey = `${string}/${number}`;

/**
 * The `q` quantile of calls counted in `buckets` (upper bounds INTEGRATION_LATENCY_BUCKETS_MS,
 * then one unbounded), interpolated within its bucket as Prometheus' histogram_quantile does; the
 * last bound when it falls in the unbounded bucket. Null without calls.
 */
export function quantileOf(buckets: readonly number[], q: number): number | null {
  const total = buckets.reduce((sum, calls) => sum + calls, 0);
  if (total === 0) return null;
  const rank = q * total;
  let seen = 0;
  for (let index = 0; index < buckets.length; index += 1) {
    const calls = buckets[index]!;
    if (seen + calls >= rank && calls > 0) {
      if (index >= INTEGRATION_LATENCY_BUCKETS_MS.length) return INTEGRATION_LATENCY_BUCKETS_MS.at(-1)!;
      const lower = index === 0 ? 0 : INTEGRATION_LATENCY_BUCKETS_MS[index - 1]!;
      const upper = INTEGRATION_LATENCY_BUCKETS_MS[index]!;
      return lower + ((upper - lower) * (rank - seen)) / calls;
    }
    seen += calls;
  }
  return INTEGRATION_LATENCY_BUCKETS_MS.at(-1)!;
}

/** One statement for every (tenant, window) pair of the request, all connectors at once. */
export function createIntegrationHealthLoader(db: Database, tenant: TenantContext) {
  const loader = new DataLoader<WindowKey, OutcomeRow[]>(async (keys) => {
    const pairs = keys.map((key) => key.split('/') as [string, string]).filter(([tenantId]) => isUuid(tenantId));
    const rows = await db.withTenant(tenant, (tx) =>
      tx.query<OutcomeRow>(
        `SELECT k.tenant_id, k.window_minutes, s.*,
                (SELECT array_agg(t.total ORDER BY t.i) FROM (
                   SELECT u.i, sum(u.v) AS total
                     FROM integration_outcomes o, unnest(o.latency_buckets) WITH ORDINALITY AS u(v, i)
                    WHERE o.tenant_id = k.tenant_id AND o.connector = s.connector AND o.minute >= k.since
                    GROUP BY u.i) t) AS buckets
           FROM (SELECT tenant_id, window_minutes, date_trunc('minute', now()) - make_interval(mins => window_minutes - 1) AS since
                   FROM unnest($1::uuid[], $2::int[]) AS p(tenant_id, window_minutes)) AS k
           CROSS JOIN LATERAL (
             SELECT o.connector, sum(o.accepted) AS accepted, sum(o.rejected) AS rejected, sum(o.retryable) AS retryable, sum(o.timeouts) AS timeouts,
                    sum(o.server_errors) AS server_errors, sum(o.unreachable) AS unreachable, sum(o.circuit_open) AS circuit_open, sum(o.malformed) AS malformed,
                    sum(o.latency_ms_sum) AS latency_ms_sum
               FROM integration_outcomes o
              WHERE o.tenant_id = k.tenant_id AND o.minute >= k.since
              GROUP BY o.connector
           ) AS s`,
        [pairs.map(([tenantId]) => tenantId), pairs.map(([, minutes]) => Number(minutes))],
      ),
    );
    return keys.map((key) => rows.filter((row) => `${row.tenant_id}/${row.window_minutes}` === key));
  });
  return {
    /** The tenant's roll-up over the window, one row per connector that had calls (none when RLS hides it). */
    integrationHealth: (tenantId: string, windowMinutes: number): Promise<OutcomeRow[]> => loader.load(`${tenantId.toLowerCase()}/${windowMinutes}`),
  };
}

export type IntegrationHealthContext = SubgraphContext<ReturnType<typeof createIntegrationHealthLoader>>;

const toHealth = (connector: IntegrationConnector, row: OutcomeRow | undefined, windowMinutes: number) => {
  const n = (value: string | undefined) => Number(value ?? 0);
  const calls = n(row?.accepted) + n(row?.rejected) + n(row?.retryable);
  const failures = n(row?.rejected) + n(row?.retryable);
  return {
    connector: connector.toUpperCase(),
    windowMinutes,
    calls,
    accepted: n(row?.accepted),
    rejected: n(row?.rejected),
    retryable: n(row?.retryable),
    failures,
    failureRate: calls > 0 ? failures / calls : null,
    retryableByReason: {
      timeout: n(row?.timeouts),
      serverError: n(row?.server_errors),
      unreachable: n(row?.unreachable),
      circuitOpen: n(row?.circuit_open),
      malformedResponse: n(row?.malformed),
    },
    meanLatencyMs: calls > 0 ? n(row?.latency_ms_sum) / calls : null,
    p95LatencyMs: quantileOf((row?.buckets ?? []).map(Number), 0.95),
  };
};

export const integrationHealthResolvers = {
  Tenant: {
    integrationHealth: async (tenant: { id: string }, args: { windowMinutes?: number | null }, ctx: IntegrationHealthContext) => {
      const windowMinutes = windowMinutesOf(args.windowMinutes, 60);
      if (!mayActOnTenant(ctx.tenant, tenant.id) || !isUuid(tenant.id)) return null;
      const rows = await ctx.loaders.integrationHealth(tenant.id, windowMinutes);
      return INTEGRATION_CONNECTORS.map((connector) => toHealth(connector, rows.find((row) => row.connector === connector), windowMinutes));
    },
  },
};
