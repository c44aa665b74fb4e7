/**
 * What a queue declaration governs, against the real database and an in-process worker: a job
 * that keeps failing is retried with exponential backoff, then dead-lettered; FinalJobError goes
 * to the dead-letter queue without a retry; and per-tenant fair share keeps one tenant's backlog
 * from holding up another tenant's job, with critical tenants' jobs fetched first.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { adminUrl, testConfig } from '../../test/support/platform.js';
import { TEST_APP_PASSWORD } from '../../test/support/env.js';
import { appUrl } from '../db/index.js';
import { FinalJobError } from './errors.js';
import { defineQueue, deadLetterOf, type QueueInput } from './queues.js';
import { jobsOf, seededTenants, startJobsHarness, uniqueSuffix, userContext, waitFor, type JobsHarness } from './test-support.js';
import { defineWorker } from './worker.js';

const suffix = uniqueSuffix();
const queue = (purpose: string, options: Omit<QueueInput, 'name'>) => defineQueue({ name: `queuestest-${suffix}.${purpose}`, expireInSeconds: 10, ...options });
const flaky = queue('flaky', { retryLimit: 2, retryDelaySeconds: 1, retryDelayMaxSeconds: 2 });
const final = queue('final', { retryLimit: 5 });
const fair = queue('fair', { concurrency: { perWorker: 2, perTenant: { standard: 1, enhanced: 1, critical: 1 } } });

const attempts = new Map<string, { attempt: number; at: number }[]>();
const attempted = (id: string, attempt: number) => attempts.set(id, [...(attempts.get(id) ?? []), { attempt, at: Date.now() }]);
const fairness: { tenant: string; start: number; end: number; concurrent: number }[] = [];
const running = new Map<string, number>();

const definition = defineWorker({
  service: 'queues-test',
  dbSchema: 'clinical_ops',
  consumers: [],
  relay: false,
  jobs: [
    {
      queue: flaky,
      async handle(job) {
        attempted(job.id, job.attempt);
        throw new Error('the payer is unavailable');
      },
    },
    {
      queue: final,
      async handle(job) {
        attempted(job.id, job.attempt);
        throw new FinalJobError('the claim was withdrawn');
      },
    },
    {
      queue: fair,
      async handle(job) {
        const tenant = job.context.tenantId!;
        const concurrent = (running.get(tenant) ?? 0) + 1;
        running.set(tenant, concurrent);
        const start = Date.now();
        // Unequal run times: two jobs ending at the same instant would have the worker's two
        // fetchers poll at the same instant, each passing the per-tenant check before the other's
        // job is active, round after round (see the limit of 2 below).
        const n = (job.data as { n: number | string }).n;
        await new Promise((resolve) => setTimeout(resolve, typeof n === 'number' ? 200 + 60 * n : 250));
        running.set(tenant, (running.get(tenant) ?? 1) - 1);
        fairness.push({ tenant, start, end: Date.now(), concurrent });
      },
    },
  ],
});

let harness: JobsHarness;
let tenants: string[];

beforeAll(async () => {
  harness = await startJobsHarness({ adminUrl: adminUrl(), appUrl: appUrl(adminUrl(), TEST_APP_PASSWORD), config: testConfig(), definition });
  tenants = await seededTenants(adminUrl(), 3);
});
afterAll(() => harness?.close());

const deadLettered = (target: typeof flaky, id: string) =>
  waitFor('the dead letter', async () => (await jobsOf(adminUrl(), target.name, id)).find((job) => job.name === deadLetterOf(target.name)));
const original = async (target: typeof flaky, id: string) => (await jobsOf(adminUrl(), target.name, id)).find((job) => job.name === target.name);

describe('a job', () => {
  it('that keeps failing is retried with exponential backoff, then dead-lettered', async () => {
    const id = await harness.enqueue(userContext(tenants[0]!), flaky, { claim: 'c-1' });
    await deadLettered(flaky, id);
    const tries = attempts.get(id) ?? [];
    expect(tries.map((run) => run.attempt)).toEqual([1, 2, 3]);
    // Delays of retryDelay·(2^n/2 + 2^n/2·random), capped at retryDelayMax: 1–2 s, then 2 s.
    expect(tries[1]!.at - tries[0]!.at).toBeGreaterThanOrEqual(900);
    expect(tries[2]!.at - tries[1]!.at).toBeGreaterThanOrEqual(1800);
    expect(await original(flaky, id)).toMatchObject({ state: 'failed', retry_count: 2 });
  });

  it('that throws FinalJobError goes to the dead-letter queue without a retry', async () => {
    const id = await harness.enqueue(userContext(tenants[0]!), final, { claim: 'c-2' });
    await deadLettered(final, id);
    expect((attempts.get(id) ?? []).map((run) => run.attempt)).toEqual([1]);
    expect(await original(final, id)).toMatchObject({ state: 'failed', retry_count: 0 });
  });
});

describe('fair share', () => {
  it('one tenant’s backlog does not hold up another tenant’s job, and a critical tenant’s job goes first', async () => {
    const [backlogged, other, critical] = tenants as [string, string, string];
    const backlog = userContext(backlogged);
    await harness.db.withTenant(backlog, async (tx) => {
      for (let n = 0; n < 6; n += 1) await harness.producer.enqueue(tx, fair, backlog, { n });
    });
    // Both in one transaction, so that both are waiting when the worker next fetches.
    await harness.db.withTenant(backlog, async (tx) => {
      await harness.producer.enqueue(tx, fair, userContext(other), { n: 'other' });
      await harness.producer.enqueue(tx, fair, userContext(critical, { tier: 'critical' }), { n: 'critical' });
    });
    await waitFor('all eight jobs', async () => fairness.length === 8, 20_000);
    const ofTenant = (tenant: string) => fairness.filter((run) => run.tenant === tenant);
    const lastOfBacklog = Math.max(...ofTenant(backlogged).map((run) => run.end));
    // pg-boss checks the per-tenant limit in the database at fetch time; two of this worker's
    // fetchers polling at the same instant can both pass it, so the backlogged tenant is held to
    // its limit within the number of fetchers (2 here), never to the whole queue.
    expect(Math.max(...ofTenant(backlogged).map((run) => run.concurrent))).toBeLessThanOrEqual(2);
    expect(ofTenant(other)[0]!.end).toBeLessThan(lastOfBacklog);
    expect(ofTenant(critical)[0]!.end).toBeLessThan(lastOfBacklog);
    expect(ofTenant(critical)[0]!.start).toBeLessThanOrEqual(ofTenant(other)[0]!.start);
  });
});
