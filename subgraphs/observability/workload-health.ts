/**
 * Queue telemetry per tenant (docs/workloads.md): clinical-ops samples each tenant's workflow
 * queues once a minute (`clinical-ops.workload.sampled`); observability keeps the samples and
 * answers `Tenant.workloadHealth(windowMinutes)` per workflow — the latest depth, in-flight runs
 * and oldest wait, the outcomes over the window, and the worst first-attempt waits sampled in it.
 */
import { defineConsumer } from '../../lib/events/consumer.js';
import { isUuid } from '../../lib/ids.js';
import type { QueueDeclaration } from '../../lib/jobs/queues.js';
import type { SubgraphContext } from '../../lib/subgraph/index.js';
import { mayActOnTenant } from '../../lib/tenant-context.js';
import { windowMinutesOf } from './health.js';

const WORKFLOWS = ['eligibility_checks', 'claims', 'reminders', 'documents'] as const;

/** Keeps each sample; a redelivered one replaces itself. */
export const workloadSamplesConsumer = (queue: QueueDeclaration) =>
  defineConsumer({
    name: 'workload-samples',
    queue,
    type: 'clinical-ops.workload.sampled',
    async handle(event, tx) {
      const { sampledAt, windowSeconds, workflows } = event.payload;
      for (const w of workflows) {
        await tx.query(
          `INSERT INTO workload_samples (tenant_id, workflow, sampled_at, window_seconds, depth, in_flight, oldest_wait_seconds, succeeded, rejected, dead_lettered, started,
                                         wait_p50_ms, wait_p95_ms, wait_max_ms)
           VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14)
           ON CONFLICT (tenant_id, workflow, sampled_at) DO UPDATE SET depth = excluded.depth, in_flight = excluded.in_flight,
             oldest_wait_seconds = excluded.oldest_wait_seconds, succeeded = excluded.succeeded, rejected = excluded.rejected,
             dead_lettered = excluded.dead_lettered, started = excluded.started, wait_p50_ms = excluded.wait_p50_ms,
             wait_p95_ms = excluded.wait_p95_ms, wait_max_ms = excluded.wait_max_ms`,
          [event.tenantId, w.workflow, sampledAt, windowSeconds, w.depth, w.inFlight, w.oldestWaitSeconds, w.succeeded, w.rejected, w.deadLettered, w.started, w.waitP50Ms, w.waitP95Ms, w.waitMaxMs],
        );
      }
    },
  });

interface HealthRow {
  workflow: string;
  depth: number | null;
  in_flight: number | null;
  oldest_wait_seconds: number | null;
  last_sampled_at: Date | null;
  succeeded: number;
  rejected: number;
  dead_lettered: number;
  started: number;
  worst_wait_p95_ms: number | null;
  worst_wait_max_ms: number | null;
}

export const workloadHealthResolvers = {
  Tenant: {
    async workloadHealth(tenant: { id: string }, args: { windowMinutes?: number | null }, ctx: SubgraphContext<object>) {
      const windowMinutes = windowMinutesOf(args.windowMinutes, 60);
      if (!mayActOnTenant(ctx.tenant, tenant.id) || !isUuid(tenant.id)) return null;
      const rows = await ctx.db.withTenant(ctx.tenant, (tx) =>
        tx.query<HealthRow>(
          `SELECT w.workflow, latest.depth, latest.in_flight, latest.oldest_wait_seconds, latest.sampled_at AS last_sampled_at,
                  coalesce(sum(s.succeeded), 0)::int AS succeeded, coalesce(sum(s.rejected), 0)::int AS rejected,
                  coalesce(sum(s.dead_lettered), 0)::int AS dead_lettered, coalesce(sum(s.started), 0)::int AS started,
                  max(s.wait_p95_ms) AS worst_wait_p95_ms, max(s.wait_max_ms) AS worst_wait_max_ms
             FROM unnest($3::text[]) AS w (workflow)
             LEFT JOIN workload_samples s ON s.tenant_id = $1 AND s.workflow = w.workflow AND s.sampled_at > now() - make_interval(mins => $2)
             LEFT JOIN LATERAL (SELECT depth, in_flight, oldest_wait_seconds, sampled_at FROM workload_samples l
                                 WHERE l.tenant_id = $1 AND l.workflow = w.workflow AND l.sampled_at > now() - make_interval(mins => $2)
                                 ORDER BY l.sampled_at DESC LIMIT 1) latest ON true
            GROUP BY w.workflow, latest.depth, latest.in_flight, latest.oldest_wait_seconds, latest.sampled_at
            ORDER BY w.workflow`,
          [tenant.id, windowMinutes, [...WORKFLOWS]],
        ),
      );
      return rows.map((row) => ({
        workflow: row.workflow.toUpperCase(),
        windowMinutes,
        lastSampledAt: row.last_sampled_at?.toISOString() ?? null,
        depth: row.depth ?? 0,
        inFlight: row.in_flight ?? 0,
        oldestWaitSeconds: row.oldest_wait_seconds,
        succeeded: row.succeeded,
        rejected: row.rejected,
        deadLettered: row.dead_lettered,
        started: row.started,
        worstWaitP95Ms: row.worst_wait_p95_ms,
        worstWaitMaxMs: row.worst_wait_max_ms,
      }));
    },
  },
};
