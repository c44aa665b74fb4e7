/**
 * Queue telemetry: a sample of a tenant's runs gives its depth, in-flight count, oldest wait,
 * the window's outcomes and the waits (queued → first attempt) at their percentiles, and is
 * published as one event per tenant.
 */
import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { appUrl, Database } from '../../../lib/db/index.js';
import { resolveBindingKey } from '../../../lib/db/index.js';
import { periodicContext } from '../../../lib/jobs/worker.js';
import { TEST_APP_PASSWORD } from '../../../test/support/env.js';
import { adminQuery, adminUrl, dropScratchTenants, scratchTenant, testConfig } from '../../../test/support/platform.js';
import { publishSamples, sampleWorkloads } from './metrics.js';

let db: Database;
let tenantId: string;

beforeAll(async () => {
  db = new Database({ url: appUrl(adminUrl(), TEST_APP_PASSWORD), schema: 'clinical_ops', poolSize: 2, bindingKey: resolveBindingKey(testConfig()) });
  tenantId = await scratchTenant('Workload Metrics Clinic');
  // Claims: two waiting (the oldest for 10 minutes), one in flight, three done in the window with waits of 1, 2 and 9 s; one done an hour ago.
  const runs: [string, string, number, number | null, number | null][] = [
    ['claims', 'queued', 600, null, null],
    ['claims', 'retry_scheduled', 120, 119, null],
    ['claims', 'in_flight', 30, 29, null],
    ['claims', 'succeeded', 40, 39, 20],
    ['claims', 'succeeded', 42, 40, 15],
    ['claims', 'rejected', 45, 36, 10],
    ['claims', 'succeeded', 4000, 3990, 3900],
    ['eligibility_checks', 'dead_lettered', 20, 19, 5],
  ];
  for (const [workflow, status, queuedAgo, startedAgo, finishedAgo] of runs) {
    const id = randomUUID();
    await adminQuery(
      `INSERT INTO clinical_ops.workflow_runs (id, tenant_id, workflow, status, idempotency_key, queued_at, first_started_at, finished_at)
       VALUES ($1::uuid, $2, $3, $4, $8, now() - make_interval(secs => $5), now() - make_interval(secs => $6::int), now() - make_interval(secs => $7::int))`,
      [id, tenantId, workflow, status, queuedAgo, startedAgo, finishedAgo, `metrics:${id}`],
    );
  }
});
afterAll(async () => {
  await db?.close();
  await dropScratchTenants([tenantId]);
});

describe('workload samples', () => {
  it('measure each workflow of the tenant, and are published once per tenant', async () => {
    const job = { db, context: periodicContext('clinical-ops') };
    const samples = (await sampleWorkloads(job, 60)).filter((sample) => sample.tenant_id === tenantId);
    const claims = samples.find((sample) => sample.workflow === 'claims')!;
    expect(claims).toMatchObject({ depth: 2, in_flight: 1, succeeded: 2, rejected: 1, dead_lettered: 0 });
    expect(claims.oldest_wait_seconds).toBeGreaterThanOrEqual(599);
    // First attempts in the last minute waited 1, 1, 2 and 9 s (the retried run's first wait was 1 s).
    expect(claims.started).toBe(4);
    expect([claims.wait_p50_ms, claims.wait_max_ms]).toEqual([1500, 9000]);
    expect(samples.find((sample) => sample.workflow === 'eligibility_checks')).toMatchObject({ depth: 0, dead_lettered: 1, started: 1, wait_p50_ms: 1000 });

    const published = await db.withTenant(job.context, (tx) => publishSamples(tx, job, samples, 60));
    expect(published).toBe(1);
    const events = await adminQuery<{ payload: { windowSeconds: number; workflows: { workflow: string; depth: number }[] } }>(
      `SELECT payload FROM clinical_ops.outbox WHERE type = 'clinical-ops.workload.sampled' AND tenant_id = $1`,
      [tenantId],
    );
    expect(events).toHaveLength(1);
    expect(events[0]!.payload.workflows.map((w) => [w.workflow, w.depth]).sort()).toEqual([
      ['claims', 2],
      ['eligibility_checks', 0],
    ]);
  });
});
