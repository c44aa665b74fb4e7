/**
 * The workload plane through the gateway (docs/workloads.md): a tenant's workflow runs and their
 * queue figures, the retry policies, and the platform admins' replay of dead letters — chosen by
 * workflow, tenant and filter, queued again with their attempts afresh, audited in the tenant's
 * chain; refused for anyone else and for bad input, changing nothing.
 */
import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { waitFor } from '../../lib/jobs/test-support.js';
import type { RunningWorker } from '../../lib/services.js';
import type { InProcessPlatform } from '../../scripts/platform.js';
import { appUrl, Database, resolveBindingKey } from '../../lib/db/index.js';
import { periodicContext } from '../../lib/jobs/worker.js';
import { publishSamples, sampleWorkloads } from '../../subgraphs/clinical-ops/workflows/metrics.js';
import * as clinicalWorker from '../../subgraphs/clinical-ops/worker.js';
import * as observabilityWorker from '../../subgraphs/observability/worker.js';
import { TEST_APP_PASSWORD } from '../support/env.js';
import * as tenancyWorker from '../../subgraphs/tenancy/worker.js';
import { adminQuery, adminUrl, bearer, dropScratchTenants, graphql, scratchTenant, startTestPlatform, startTestWorkers, testConfig } from '../support/platform.js';

let platform: InProcessPlatform;
let workers: RunningWorker[] = [];
const scratch: string[] = [];
let tenantId: string;
let otherTenantId: string;

const admin = () => bearer(['platform_admin'], { subject: 'workloads-admin' });
const codesOf = (response: { body: { errors?: { extensions?: Record<string, unknown> }[] } }) => (response.body.errors ?? []).map((e) => e.extensions?.code);

const REPLAY = `mutation R($w: WorkflowKind!, $t: ID!, $f: DeadLetterFilter) { replayDeadLetters(workflow: $w, tenantId: $t, filter: $f) { workflow tenantId replayed runIds } }`;
const RUNS = `query Q($t: ID, $w: WorkflowKind, $s: WorkflowRunStatus) { workflowRuns(tenantId: $t, workflow: $w, status: $s) { id workflow status attempts lastErrorCode deadLetterReason replays } }`;
const STATS = `query S($t: ID) { workloadStats(tenantId: $t) { workflow depth inFlight oldestWaitSeconds succeeded rejected deadLettered retried } }`;

/** A run as a worker would have left it. */
async function seedRun(tenant: string, workflow: string, status: string, fields: { code?: string; reason?: string; attempts?: number; finishedAgoMinutes?: number } = {}): Promise<string> {
  const id = randomUUID();
  await adminQuery(
    `INSERT INTO clinical_ops.workflow_runs (id, tenant_id, workflow, status, attempts, last_error_code, dead_letter_reason, idempotency_key, queued_at, finished_at)
     VALUES ($1::uuid, $2, $3, $4, $5, $6, $7, $9, now() - interval '2 hours', CASE WHEN $8::int IS NULL THEN NULL ELSE now() - make_interval(mins => $8::int) END)`,
    [id, tenant, workflow, status, fields.attempts ?? 1, fields.code ?? null, fields.reason ?? null, fields.finishedAgoMinutes ?? null, `seed:${id}`],
  );
  return id;
}

beforeAll(async () => {
  platform = await startTestPlatform();
  // Clinical-ops' worker relays its outbox; tenancy's writes the audit; observability keeps the queue samples.
  workers = await startTestWorkers([tenancyWorker, clinicalWorker, observabilityWorker]);
  tenantId = await scratchTenant('Workloads Clinic');
  otherTenantId = await scratchTenant('Workloads Other Clinic');
  scratch.push(tenantId, otherTenantId);
  await adminQuery(`UPDATE tenancy.tenants SET status = 'active' WHERE id = ANY($1::uuid[])`, [[tenantId, otherTenantId]]);
});
afterAll(async () => {
  await Promise.all(workers.map((worker) => worker.close()));
  await platform?.close();
  await dropScratchTenants(scratch);
});

describe('the workload plane', () => {
  let deadTimeouts: string[];
  let deadRejectedShape: string;
  let othersDead: string;

  beforeAll(async () => {
    deadTimeouts = [
      await seedRun(tenantId, 'claims', 'dead_lettered', { code: 'timeout', reason: 'attempts_exhausted', attempts: 8, finishedAgoMinutes: 30 }),
      await seedRun(tenantId, 'claims', 'dead_lettered', { code: 'timeout', reason: 'attempts_exhausted', attempts: 8, finishedAgoMinutes: 20 }),
    ];
    deadRejectedShape = await seedRun(tenantId, 'claims', 'dead_lettered', { code: 'malformed_response', reason: 'not_retried', finishedAgoMinutes: 10 });
    await seedRun(tenantId, 'claims', 'queued');
    await seedRun(tenantId, 'eligibility_checks', 'succeeded', { finishedAgoMinutes: 5, attempts: 2 });
    othersDead = await seedRun(otherTenantId, 'claims', 'dead_lettered', { code: 'timeout', reason: 'attempts_exhausted', finishedAgoMinutes: 30 });
  });

  it('shows a tenant its runs and queue figures, and no other tenant’s', async () => {
    const own = await bearer(['clinician'], { tenantId, subject: 'workloads-clinician' });
    const runs = await graphql<{ workflowRuns: { id: string; status: string }[] }>(platform.gateway.url, RUNS, { variables: { w: 'CLAIMS', s: 'DEAD_LETTERED' }, headers: own });
    expect(runs.body.errors).toBeUndefined();
    expect(runs.body.data!.workflowRuns.map((run) => run.id).sort()).toEqual([...deadTimeouts, deadRejectedShape].sort());
    const stats = await graphql<{ workloadStats: { workflow: string; depth: number; deadLettered: number; succeeded: number; retried: number; oldestWaitSeconds: number | null }[] }>(
      platform.gateway.url,
      STATS,
      { variables: {}, headers: own },
    );
    const byWorkflow = Object.fromEntries(stats.body.data!.workloadStats.map((row) => [row.workflow, row]));
    expect(byWorkflow.CLAIMS).toMatchObject({ depth: 1, deadLettered: 3, succeeded: 0 });
    expect(byWorkflow.CLAIMS!.oldestWaitSeconds).toBeGreaterThanOrEqual(7_000);
    expect(byWorkflow.ELIGIBILITY_CHECKS).toMatchObject({ depth: 0, succeeded: 1, retried: 1, oldestWaitSeconds: null });
    // Another tenant's id at tenant level is refused.
    expect(codesOf(await graphql(platform.gateway.url, RUNS, { variables: { t: otherTenantId }, headers: own }))).toEqual(['BAD_USER_INPUT']);
  });

  it('samples the tenant’s queues into observability, read as Tenant.workloadHealth', async () => {
    const db = new Database({ url: appUrl(adminUrl(), TEST_APP_PASSWORD), schema: 'clinical_ops', poolSize: 1, bindingKey: resolveBindingKey(testConfig()) });
    try {
      const job = { db, context: periodicContext('clinical-ops') };
      const samples = (await sampleWorkloads(job, 60)).filter((sample) => sample.tenant_id === tenantId);
      await db.withTenant(job.context, (tx) => publishSamples(tx, job, samples, 60));
    } finally {
      await db.close();
    }
    const HEALTH = `query H($id: ID!) { tenant(id: $id) { workloadHealth(windowMinutes: 5) { workflow depth inFlight oldestWaitSeconds succeeded deadLettered lastSampledAt } } }`;
    const health = await waitFor('the sample kept by observability', async () => {
      const response = await graphql<{ tenant: { workloadHealth: { workflow: string; depth: number; succeeded: number; deadLettered: number; lastSampledAt: string | null }[] } }>(
        platform.gateway.url,
        HEALTH,
        { variables: { id: tenantId }, headers: await admin() },
      );
      const rows = response.body.data?.tenant.workloadHealth ?? [];
      return rows.some((row) => row.lastSampledAt) ? rows : undefined;
    });
    const byWorkflow = Object.fromEntries(health.map((row) => [row.workflow, row]));
    // The claims queue has one run waiting; nothing was queued or done for reminders, so no sample.
    expect(byWorkflow.CLAIMS).toMatchObject({ depth: 1, inFlight: 0 });
    expect(byWorkflow.REMINDERS).toMatchObject({ depth: 0, lastSampledAt: null });
  });

  it('lists the retry policies', async () => {
    const response = await graphql<{ retryPolicies: { workflow: string; maxAttempts: number; retryOn: string[] }[] }>(
      platform.gateway.url,
      '{ retryPolicies { workflow maxAttempts retryOn } }',
      { headers: await admin() },
    );
    expect(response.body.data!.retryPolicies.map((policy) => policy.workflow)).toEqual(['CLAIMS', 'DOCUMENTS', 'ELIGIBILITY_CHECKS', 'REMINDERS']);
    expect(response.body.data!.retryPolicies[0]).toMatchObject({ workflow: 'CLAIMS', maxAttempts: 8 });
    expect(response.body.data!.retryPolicies[0]!.retryOn).not.toContain('MALFORMED_RESPONSE');
  });

  it('refuses a replay to anyone but a platform admin, and bad filters, changing nothing', async () => {
    const before = await adminQuery(`SELECT id, status, replays FROM clinical_ops.workflow_runs WHERE tenant_id = $1 ORDER BY id`, [tenantId]);
    const tenantAdmin = await bearer(['tenant_admin'], { tenantId, subject: 'workloads-tenant-admin' });
    expect(codesOf(await graphql(platform.gateway.url, REPLAY, { variables: { w: 'CLAIMS', t: tenantId }, headers: tenantAdmin }))).toEqual(['INSUFFICIENT_SCOPE']);
    const support = await bearer(['support'], { subject: 'workloads-support' });
    expect(codesOf(await graphql(platform.gateway.url, REPLAY, { variables: { w: 'CLAIMS', t: tenantId }, headers: support }))).toEqual(['INSUFFICIENT_SCOPE']);
    for (const filter of [{ limit: 0 }, { limit: 501 }, { errorCode: 'no spaces' }, { deadLetteredAfter: '2026-02-01T00:00:00Z', deadLetteredBefore: '2026-01-01T00:00:00Z' }]) {
      expect(codesOf(await graphql(platform.gateway.url, REPLAY, { variables: { w: 'CLAIMS', t: tenantId, f: filter }, headers: await admin() }))).toEqual(['BAD_USER_INPUT']);
    }
    expect(await adminQuery(`SELECT id, status, replays FROM clinical_ops.workflow_runs WHERE tenant_id = $1 ORDER BY id`, [tenantId])).toEqual(before);
  });

  it('replays the dead letters the filter chooses, for that tenant only, with attempts afresh, audited', async () => {
    const response = await graphql<{ replayDeadLetters: { workflow: string; tenantId: string; replayed: number; runIds: string[] } }>(platform.gateway.url, REPLAY, {
      variables: { w: 'CLAIMS', t: tenantId, f: { errorCode: 'timeout' } },
      headers: await admin(),
    });
    expect(response.body.errors).toBeUndefined();
    const replay = response.body.data!.replayDeadLetters;
    expect({ ...replay, runIds: [...replay.runIds].sort() }).toEqual({ workflow: 'CLAIMS', tenantId, replayed: 2, runIds: [...deadTimeouts].sort() });
    const rows = await adminQuery<{ id: string; status: string; attempts: number; replays: number; dead_letter_reason: string | null }>(
      `SELECT id, status, attempts, replays, dead_letter_reason FROM clinical_ops.workflow_runs WHERE id = ANY($1::uuid[]) ORDER BY id`,
      [[...deadTimeouts, deadRejectedShape, othersDead]],
    );
    const byId = Object.fromEntries(rows.map((row) => [row.id, row]));
    for (const id of deadTimeouts) expect(byId[id]).toMatchObject({ status: 'queued', attempts: 0, replays: 1, dead_letter_reason: null });
    expect(byId[deadRejectedShape]).toMatchObject({ status: 'dead_lettered', replays: 0 });
    expect(byId[othersDead]).toMatchObject({ status: 'dead_lettered', replays: 0 });
    // Each run's first attempt is asked for again, under its replay.
    const queued = await adminQuery<{ run: string; replay: number }>(
      `SELECT payload->>'runId' AS run, (payload->>'replay')::int AS replay FROM clinical_ops.outbox WHERE type = 'clinical-ops.workflow-run.queued' AND tenant_id = $1 ORDER BY 1`,
      [tenantId],
    );
    expect(queued).toEqual([...deadTimeouts].sort().map((run) => ({ run, replay: 1 })));
    const audit = await waitFor('the replay audited', async () => {
      const entries = await adminQuery<{ action: string; detail: { replayed: number; errorCode: string } }>(
        `SELECT action, detail FROM tenancy.audit_log WHERE chain = $1 AND action = 'workflow.dead_letters_replayed'`,
        [`tenant:${tenantId}`],
      );
      return entries.length > 0 ? entries : undefined;
    });
    expect(audit).toEqual([{ action: 'workflow.dead_letters_replayed', detail: { replayed: 2, errorCode: 'timeout', deadLetteredAfter: null, deadLetteredBefore: null } }]);
    // Nothing left to replay under that filter: the next call replays none.
    const again = await graphql<{ replayDeadLetters: { replayed: number } }>(platform.gateway.url, REPLAY, { variables: { w: 'CLAIMS', t: tenantId, f: { errorCode: 'timeout' } }, headers: await admin() });
    expect(again.body.data!.replayDeadLetters.replayed).toBe(0);
  });
});
