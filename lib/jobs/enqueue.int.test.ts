/**
 * Queuing a job, against the real database and an in-process worker as the application role: the
 * job exists only if the caller's transaction commits, runs in its tenant's context under
 * row-level security, and a job row written or edited without the job key is refused.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { adminUrl, appClient, testConfig } from '../../test/support/platform.js';
import { TEST_APP_PASSWORD } from '../../test/support/env.js';
import { appUrl } from '../db/index.js';
import { jobIdFor } from './enqueue.js';
import { defineQueue, deadLetterOf } from './queues.js';
import { jobsOf, seededTenants, startJobsHarness, uniqueSuffix, userContext, waitFor, withAdmin, type JobsHarness } from './test-support.js';
import { defineWorker } from './worker.js';

const echo = defineQueue({ name: `enqueuetest-${uniqueSuffix()}.echo`, expireInSeconds: 10 });
const runs: { id: string; attempt: number; data: unknown; tenant: string; patients: number; principal: string }[] = [];

const definition = defineWorker({
  service: 'enqueue-test',
  dbSchema: 'clinical_ops',
  consumers: [],
  relay: false,
  jobs: [
    {
      queue: echo,
      async handle(job, tx) {
        const [row] = await tx.query<{ tenant: string; patients: number }>('SELECT caregraph.current_tenant_id() AS tenant, (SELECT count(*)::int FROM patients) AS patients');
        runs.push({ id: job.id, attempt: job.attempt, data: job.data, ...row!, principal: job.context.principal.id });
      },
    },
  ],
});

let harness: JobsHarness;
let tenants: string[];

beforeAll(async () => {
  harness = await startJobsHarness({ adminUrl: adminUrl(), appUrl: appUrl(adminUrl(), TEST_APP_PASSWORD), config: testConfig(), definition });
  tenants = await seededTenants(adminUrl(), 2);
});
afterAll(() => harness?.close());

const runsOf = (id: string) => runs.filter((run) => run.id === id);
const settled = (id: string, state: string) =>
  waitFor(`job ${id} to be ${state}`, async () => (await jobsOf(adminUrl(), echo.name, id)).find((job) => job.name === echo.name && job.state === state));

describe('a job', () => {
  it('exists only if the transaction that queued it commits, and runs once in its tenant’s context under row-level security', async () => {
    const context = userContext(tenants[0]!);
    let rolledBack = '';
    await expect(
      harness.db.withTenant(context, async (tx) => {
        rolledBack = await harness.producer.enqueue(tx, echo, context, { n: 0 });
        throw new Error('the change failed');
      }),
    ).rejects.toThrow('the change failed');
    const id = await harness.enqueue(context, echo, { n: 1 });
    await settled(id, 'completed');
    const patients = await withAdmin(adminUrl(), async (client) =>
      (await client.query<{ n: number }>('SELECT count(*)::int AS n FROM clinical_ops.patients WHERE tenant_id = $1', [tenants[0]])).rows[0]!.n,
    );
    expect(patients).toBeGreaterThan(0);
    expect(runsOf(id)).toEqual([{ id, attempt: 1, data: { n: 1 }, tenant: tenants[0], patients, principal: context.principal.id }]);
    expect(await jobsOf(adminUrl(), echo.name, rolledBack)).toEqual([]);
    expect(runsOf(rolledBack)).toEqual([]);
  });

  it('named by its work (jobIdFor), is queued once however often it is queued, and runs once', async () => {
    const context = userContext(tenants[1]!);
    const id = jobIdFor('enqueue-test', tenants[1]!, 7);
    expect(jobIdFor('enqueue-test', tenants[1]!, 7)).toBe(id);
    expect(jobIdFor('enqueue-test', tenants[1]!, 8)).not.toBe(id);
    for (let n = 0; n < 3; n += 1) {
      await harness.db.withTenant(context, (tx) => harness.producer.enqueue(tx, echo, context, { n }, { id, startAfter: 1 }));
    }
    await settled(id, 'completed');
    expect((await jobsOf(adminUrl(), echo.name, id)).filter((job) => job.name === echo.name)).toHaveLength(1);
    expect(runsOf(id).map((run) => run.data)).toEqual([{ n: 0 }]);
  });

  it('is refused, without running, when its row was written or edited without the job key', async () => {
    const genuineId = await harness.enqueue(userContext(tenants[0]!), echo, { n: 2 });
    await settled(genuineId, 'completed');
    const app = await appClient();
    try {
      // What a statement run as the application role can do: copy a genuine job and widen its
      // context to another tenant, or write a job of its own making.
      const { rows } = await app.query<{ id: string }>(
        `INSERT INTO pgboss.job (name, data, policy, dead_letter)
         SELECT name, jsonb_set(jsonb_set(data, '{id}', to_jsonb(gen_random_uuid()::text)), '{context,tenantId}', to_jsonb($2::text)), policy, dead_letter
           FROM pgboss.job WHERE name = $1 AND data->>'id' = $3
         UNION ALL
         SELECT $1, jsonb_build_object('v', 1, 'id', gen_random_uuid(), 'route', 'queue:' || $1, 'context', null, 'data', '{}'::jsonb, 'issuedAt', 0, 'sig', repeat('0', 64)), 'standard', $4
         RETURNING data->>'id' AS id`,
        [echo.name, tenants[1], genuineId, deadLetterOf(echo.name)],
      );
      expect(rows).toHaveLength(2);
      for (const { id } of rows) {
        const failed = await settled(id, 'failed');
        expect(failed.retry_count).toBe(0);
        expect(runsOf(id)).toEqual([]);
        expect((await jobsOf(adminUrl(), echo.name, id)).map((job) => job.name)).toContain(deadLetterOf(echo.name));
      }
    } finally {
      await app.end();
    }
  });
});
