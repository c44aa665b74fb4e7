/**
 * Tenant job holds with a real worker: a job queued for a held (suspended) scratch tenant does
 * not run — neither failed nor dead-lettered, its retry count untouched — while another tenant's
 * job runs meanwhile; lifting the hold runs it, on its first attempt, once.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { TEST_APP_PASSWORD } from '../../test/support/env.js';
import { adminUrl, dropScratchTenants, scratchTenant, testConfig } from '../../test/support/platform.js';
import { appUrl, type Tx } from '../db/index.js';
import { holdTenantJobs, releaseTenantJobs } from './holds.js';
import { defineQueue } from './queues.js';
import { effectsOf, jobsOf, recordEffect, seededTenants, startJobsHarness, uniqueSuffix, userContext, waitFor, type JobsHarness } from './test-support.js';
import { defineWorker } from './worker.js';

const queue = defineQueue({ name: `holdtest-${uniqueSuffix()}.work`, retryLimit: 2, retryDelaySeconds: 1, retryDelayMaxSeconds: 1 });
const attempts = new Map<string, number[]>();
const definition = defineWorker({
  service: 'holds-test',
  dbSchema: 'clinical_ops',
  consumers: [],
  relay: false,
  jobs: [
    {
      queue,
      async handle(job, tx) {
        attempts.set(job.id, [...(attempts.get(job.id) ?? []), job.attempt]);
        await recordEffect(tx, queue.name, job.id);
      },
    },
  ],
});

let harness: JobsHarness;
let held: string;
let other: string;

beforeAll(async () => {
  harness = await startJobsHarness({ adminUrl: adminUrl(), appUrl: appUrl(adminUrl(), TEST_APP_PASSWORD), config: testConfig(), definition });
  held = await scratchTenant('Held Jobs Clinic');
  other = (await seededTenants(adminUrl(), 1))[0]!;
});
afterAll(async () => {
  await harness?.close();
  await dropScratchTenants([held]);
});

/** A transaction bound to `tenantId`, as the lifecycle move's is. */
const asTenant = <T>(tenantId: string, work: (tx: Tx) => Promise<T>) => harness.db.withTenant(userContext(tenantId), work);

describe('tenant job holds', () => {
  it('keeps a held tenant’s job waiting, unrun and uncounted, while others run; runs it once released', async () => {
    await asTenant(held, (tx) => holdTenantJobs(tx, held, 'suspended'));
    const waiting = await harness.enqueue(userContext(held), queue, { n: 1 });
    // Given time for several polls, the held job has been taken and put back, never run.
    await waitFor('the held job to be taken and put back', async () => (await jobsOf(adminUrl(), queue.name, waiting)).find((job) => (job.output as { heldForTenant?: boolean } | null)?.heldForTenant));
    const running = await harness.enqueue(userContext(other), queue, { n: 2 });
    await waitFor('the other tenant’s job', async () => (await effectsOf(adminUrl(), queue.name, running)) === 1);
    await new Promise((resolve) => setTimeout(resolve, 1500));
    expect(await effectsOf(adminUrl(), queue.name, waiting)).toBe(0);
    const [row] = await jobsOf(adminUrl(), queue.name, waiting);
    expect(row).toMatchObject({ name: queue.name, state: 'created', retry_count: 0 });

    const released = await asTenant(held, (tx) => releaseTenantJobs(tx, held));
    expect(released).toBe(1);
    await waitFor('the released job', async () => (await effectsOf(adminUrl(), queue.name, waiting)) === 1, 10_000);
    const [done] = await jobsOf(adminUrl(), queue.name, waiting);
    expect(done).toMatchObject({ state: 'completed', retry_count: 0 });
    expect(attempts.get(waiting)).toEqual([1]);
  });

  it('lets a tenant-bound transaction hold only its own tenant’s jobs', async () => {
    await expect(asTenant(other, (tx) => holdTenantJobs(tx, held, 'suspended'))).rejects.toThrow(/row-level security/);
    expect(await asTenant(other, (tx) => releaseTenantJobs(tx, held))).toBe(0);
  });
});
