/**
 * One attempt of a workflow run against the real database and an in-process worker, with an
 * external system of the test's own (a connector double whose outcomes the test scripts): an
 * accepted attempt finishes the run once and meters it; retryable outcomes are retried on the
 * policy's backoff until accepted or dead-lettered; a refusal is final; an attempt left in flight
 * by a dead worker is recovered from what the system received, not sent again.
 */
import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { appUrl, type Tx } from '../../../lib/db/index.js';
import { defineQueue } from '../../../lib/jobs/queues.js';
import { seededTenants, startJobsHarness, uniqueSuffix, userContext, waitFor, type JobsHarness } from '../../../lib/jobs/test-support.js';
import { defineWorker, type JobRun } from '../../../lib/jobs/worker.js';
import { TEST_APP_PASSWORD } from '../../../test/support/env.js';
import { adminQuery, adminUrl, testConfig } from '../../../test/support/platform.js';
import type { ConnectorCall, ConnectorOutcome } from '../integrations/contract.js';
import { attempt, attemptJobId, type RunJob, type WorkflowSpec } from './runner.js';

const queue = defineQueue({ name: `runnertest-${uniqueSuffix()}.documents`, expireInSeconds: 10 });

/** What the double answers per run, attempt after attempt, and what it was sent. */
const script = new Map<string, ConnectorOutcome<{ ref: string }>[]>();
const sent: { runId: string; key: string }[] = [];
const recovered = new Map<string, ConnectorOutcome<{ ref: string }>>();
const accepted: { runId: string; ref: string }[] = [];
const rejected: string[] = [];

const ok = (ref: string): ConnectorOutcome<{ ref: string }> => ({ kind: 'accepted', body: { ref }, latencyMs: 1 });
const down: ConnectorOutcome<{ ref: string }> = { kind: 'retryable', reason: 'server_error', message: 'HTTP 503', latencyMs: 1 };

const spec: WorkflowSpec<{ runId: string }, { ref: string }> = {
  workflow: 'documents',
  async prepare(_tx: Tx, runId, idempotencyKey) {
    return { tenantId: '', idempotencyKey, payload: { runId } };
  },
  async call(_context, request: ConnectorCall<{ runId: string }>) {
    sent.push({ runId: request.payload.runId, key: request.idempotencyKey });
    return script.get(request.payload.runId)?.shift() ?? down;
  },
  async recover(_context, request) {
    return recovered.get(request.payload.runId) ?? null;
  },
  async onAccepted(_tx, runId, body) {
    accepted.push({ runId, ref: body.ref });
  },
  async onRejected(_tx, runId) {
    rejected.push(runId);
  },
};

const definition = defineWorker({
  service: 'runner-test',
  dbSchema: 'clinical_ops',
  consumers: [],
  relay: false,
  jobs: [{ queue, handle: (job: JobRun<RunJob>, tx: Tx) => attempt(spec, job, tx, () => queue) }],
});

let harness: JobsHarness;
let tenantId: string;
let savedPolicy: unknown;

beforeAll(async () => {
  // Quick backoff for the test: 100 ms, 200 ms … at most 400 ms, no jitter, 3 attempts.
  [savedPolicy] = await adminQuery(`SELECT * FROM clinical_ops.workflow_retry_policies WHERE workflow = 'documents'`);
  await adminQuery(
    `UPDATE clinical_ops.workflow_retry_policies SET max_attempts = 3, backoff_base_ms = 100, backoff_max_ms = 400, jitter = 0, retry_on = ARRAY['server_error', 'timeout'] WHERE workflow = 'documents'`,
  );
  harness = await startJobsHarness({ adminUrl: adminUrl(), appUrl: appUrl(adminUrl(), TEST_APP_PASSWORD), config: testConfig(), definition });
  [tenantId] = (await seededTenants(adminUrl(), 1)) as [string];
});
afterAll(async () => {
  await harness?.close();
  const policy = savedPolicy as { max_attempts: number; backoff_base_ms: number; backoff_max_ms: number; jitter: string; retry_on: string[] } | undefined;
  if (policy) {
    await adminQuery(`UPDATE clinical_ops.workflow_retry_policies SET max_attempts = $1, backoff_base_ms = $2, backoff_max_ms = $3, jitter = $4, retry_on = $5 WHERE workflow = 'documents'`, [
      policy.max_attempts,
      policy.backoff_base_ms,
      policy.backoff_max_ms,
      policy.jitter,
      policy.retry_on,
    ]);
  }
  await adminQuery(`DELETE FROM clinical_ops.workflow_runs WHERE idempotency_key LIKE 'runner-test:%'`);
});

/** A run, queued with its first job, as startRun and the dispatch would leave it. */
async function run(outcomes: ConnectorOutcome<{ ref: string }>[], status = 'queued'): Promise<string> {
  const runId = randomUUID();
  script.set(runId, [...outcomes]);
  await adminQuery(`INSERT INTO clinical_ops.workflow_runs (id, tenant_id, workflow, status, idempotency_key) VALUES ($1, $2, 'documents', $3, $4)`, [
    runId,
    tenantId,
    status,
    `runner-test:${runId}`,
  ]);
  const context = userContext(tenantId);
  await harness.db.withTenant(context, (tx) => harness.producer.enqueue(tx, queue, context, { runId, attempt: 1 }, { id: attemptJobId(runId, 0, 1) }));
  return runId;
}

type RunState = {
  status: string;
  attempts: number;
  last_error_code: string | null;
  dead_letter_reason: string | null;
};
const stateOf = async (runId: string) =>
  (await adminQuery<RunState>('SELECT status, attempts, last_error_code, dead_letter_reason FROM clinical_ops.workflow_runs WHERE id = $1', [runId]))[0]!;
const settled = (runId: string) =>
  waitFor(`run ${runId} settled`, async () => {
    const state = await stateOf(runId);
    return ['succeeded', 'rejected', 'dead_lettered'].includes(state.status) ? state : undefined;
  });
/** The tenant's metered documents so far, as clinical-ops' outbox holds them. */
const usageEvents = async () =>
  (
    await adminQuery<{ n: number }>(
      `SELECT count(*)::int AS n FROM clinical_ops.outbox WHERE type = 'clinical-ops.usage.recorded' AND tenant_id = $1 AND payload->>'meter' = 'documents_generated'`,
      [tenantId],
    )
  )[0]!.n;

describe('a workflow run', () => {
  it('accepted at the first attempt: succeeds once, under its idempotency key, and is metered', async () => {
    const before = await usageEvents();
    const runId = await run([ok('doc-1')]);
    expect(await settled(runId)).toEqual({ status: 'succeeded', attempts: 1, last_error_code: null, dead_letter_reason: null });
    expect(sent.filter((s) => s.runId === runId)).toEqual([{ runId, key: `runner-test:${runId}` }]);
    expect(accepted.filter((a) => a.runId === runId)).toEqual([{ runId, ref: 'doc-1' }]);
    expect(await usageEvents()).toBe(before + 1);
  });

  it('retried on the policy’s backoff while the system fails, then accepted', async () => {
    const runId = await run([down, down, ok('doc-2')]);
    expect(await settled(runId)).toEqual({ status: 'succeeded', attempts: 3, last_error_code: 'server_error', dead_letter_reason: null });
    expect(sent.filter((s) => s.runId === runId)).toHaveLength(3);
    // Each attempt was its own job, named by the run and the attempt.
    const jobs = await adminQuery<{ id: string }>(`SELECT id FROM pgboss.job WHERE name = $1 AND data->'data'->>'runId' = $2 ORDER BY created_on`, [queue.name, runId]);
    expect(jobs.map((job) => job.id)).toEqual([1, 2, 3].map((n) => attemptJobId(runId, 0, n)));
  });

  it('dead-lettered when its attempts are spent, and a refusal is final at once', async () => {
    const exhausted = await run([down, down, down, ok('never')]);
    expect(await settled(exhausted)).toEqual({ status: 'dead_lettered', attempts: 3, last_error_code: 'server_error', dead_letter_reason: 'attempts_exhausted' });
    const malformed = await run([{ kind: 'retryable', reason: 'malformed_response', message: 'not JSON', latencyMs: 1 }]);
    expect(await settled(malformed)).toMatchObject({ status: 'dead_lettered', attempts: 1, dead_letter_reason: 'not_retried' });
    const refused = await run([{ kind: 'rejected', code: 'HTTP_422', message: 'refused', latencyMs: 1 }, ok('never')]);
    expect(await settled(refused)).toEqual({ status: 'rejected', attempts: 1, last_error_code: 'HTTP_422', dead_letter_reason: null });
    expect(rejected).toContain(refused);
    expect(sent.filter((s) => s.runId === refused)).toHaveLength(1);
  });

  it('left in flight by a dead worker: recovered from what the system received, not sent again', async () => {
    const runId = randomUUID();
    recovered.set(runId, ok('doc-received-before'));
    script.set(runId, [ok('doc-sent-again')]);
    await adminQuery(`INSERT INTO clinical_ops.workflow_runs (id, tenant_id, workflow, status, attempts, idempotency_key) VALUES ($1, $2, 'documents', 'in_flight', 1, $3)`, [
      runId,
      tenantId,
      `runner-test:${runId}`,
    ]);
    const context = userContext(tenantId);
    await harness.db.withTenant(context, (tx) => harness.producer.enqueue(tx, queue, context, { runId, attempt: 1 }, { id: attemptJobId(runId, 0, 1) }));
    expect(await settled(runId)).toMatchObject({ status: 'succeeded', attempts: 2 });
    expect(sent.filter((s) => s.runId === runId)).toEqual([]);
    expect(accepted.filter((a) => a.runId === runId)).toEqual([{ runId, ref: 'doc-received-before' }]);
  });

  it('a finished run is left alone when its job runs again', async () => {
    const runId = await run([ok('doc-3')]);
    await settled(runId);
    const context = userContext(tenantId);
    await harness.db.withTenant(context, (tx) => harness.producer.enqueue(tx, queue, context, { runId, attempt: 1 }));
    await new Promise((resolve) => setTimeout(resolve, 1_500));
    expect(sent.filter((s) => s.runId === runId)).toHaveLength(1);
    expect((await stateOf(runId)).attempts).toBe(1);
  });
});
