/**
 * Queue telemetry for observability (docs/workloads.md): once a minute clinical-ops samples every
 * tenant's workflow runs, wherever the tenant's data lives, and publishes per tenant what each
 * workflow's queue looked like — runs waiting and in flight, the oldest wait, the outcomes and the
 * waits of the minute — as `clinical-ops.workload.sampled`. Counts and durations only.
 */
import type { Tx } from '../../../lib/db/index.js';
import { publishEvent } from '../../../lib/events/outbox.js';
import { defineQueue } from '../../../lib/jobs/queues.js';
import type { JobDefinition, JobRun } from '../../../lib/jobs/worker.js';

/** How often the queues are sampled, and the window each sample's outcomes and waits cover. */
export const SAMPLE_EVERY_SECONDS = 60;

export const workloadMetricsQueue = defineQueue({ name: 'clinical-ops.workload-metrics', retryLimit: 3, retryDelaySeconds: 5, retryDelayMaxSeconds: 60, expireInSeconds: 120 });

export interface WorkflowSample {
  tenant_id: string;
  workflow: 'eligibility_checks' | 'claims' | 'reminders' | 'documents';
  depth: number;
  in_flight: number;
  oldest_wait_seconds: number | null;
  succeeded: number;
  rejected: number;
  dead_lettered: number;
  started: number;
  wait_p50_ms: number | null;
  wait_p95_ms: number | null;
  wait_max_ms: number | null;
}

/** Per tenant and workflow with anything waiting, running, or done in the window. */
const SAMPLE_SQL = `
  SELECT tenant_id, workflow,
         count(*) FILTER (WHERE status IN ('queued', 'retry_scheduled'))::int AS depth,
         count(*) FILTER (WHERE status = 'in_flight')::int AS in_flight,
         extract(epoch FROM now() - min(queued_at) FILTER (WHERE status IN ('queued', 'retry_scheduled', 'in_flight')))::int AS oldest_wait_seconds,
         count(*) FILTER (WHERE status = 'succeeded' AND finished_at > now() - make_interval(secs => $1))::int AS succeeded,
         count(*) FILTER (WHERE status = 'rejected' AND finished_at > now() - make_interval(secs => $1))::int AS rejected,
         count(*) FILTER (WHERE status = 'dead_lettered' AND finished_at > now() - make_interval(secs => $1))::int AS dead_lettered,
         count(*) FILTER (WHERE first_started_at > now() - make_interval(secs => $1))::int AS started,
         (percentile_cont(0.5) WITHIN GROUP (ORDER BY extract(epoch FROM first_started_at - queued_at) * 1000)
            FILTER (WHERE first_started_at > now() - make_interval(secs => $1)))::int AS wait_p50_ms,
         (percentile_cont(0.95) WITHIN GROUP (ORDER BY extract(epoch FROM first_started_at - queued_at) * 1000)
            FILTER (WHERE first_started_at > now() - make_interval(secs => $1)))::int AS wait_p95_ms,
         (max(extract(epoch FROM first_started_at - queued_at) * 1000) FILTER (WHERE first_started_at > now() - make_interval(secs => $1)))::int AS wait_max_ms
    FROM workflow_runs
   WHERE status IN ('queued', 'retry_scheduled', 'in_flight') OR finished_at > now() - make_interval(secs => $1) OR first_started_at > now() - make_interval(secs => $1)
   GROUP BY tenant_id, workflow`;

/** Every tenant's samples, from the shared database and each isolated tenant's own. */
export function sampleWorkloads(job: Pick<JobRun<unknown>, 'db' | 'context'>, windowSeconds: number): Promise<WorkflowSample[]> {
  return job.db.acrossPlacements(job.context, (tx) => tx.query<WorkflowSample>(SAMPLE_SQL, [windowSeconds]));
}

/** Publishes one event per tenant with its workflows' samples; answers how many tenants. */
export async function publishSamples(tx: Tx, job: Pick<JobRun<unknown>, 'context'>, samples: readonly WorkflowSample[], windowSeconds: number): Promise<number> {
  const byTenant = new Map<string, WorkflowSample[]>();
  for (const sample of samples) byTenant.set(sample.tenant_id, [...(byTenant.get(sample.tenant_id) ?? []), sample]);
  const sampledAt = new Date().toISOString();
  for (const [tenantId, rows] of byTenant) {
    await publishEvent(tx, 'clinical-ops.workload.sampled', { ...job.context, access: 'tenant', tenantId }, {
      sampledAt,
      windowSeconds,
      workflows: rows.map((row) => ({
        workflow: row.workflow,
        depth: row.depth,
        inFlight: row.in_flight,
        oldestWaitSeconds: row.oldest_wait_seconds,
        succeeded: row.succeeded,
        rejected: row.rejected,
        deadLettered: row.dead_lettered,
        started: row.started,
        waitP50Ms: row.wait_p50_ms,
        waitP95Ms: row.wait_p95_ms,
        waitMaxMs: row.wait_max_ms,
      })),
    });
  }
  return byTenant.size;
}

export const workloadMetricsJob: JobDefinition = {
  queue: workloadMetricsQueue,
  every: { seconds: SAMPLE_EVERY_SECONDS, data: { sample: 'workload' } },
  async handle(job: JobRun<unknown>, tx) {
    await publishSamples(tx, job, await sampleWorkloads(job, SAMPLE_EVERY_SECONDS), SAMPLE_EVERY_SECONDS);
  },
};
