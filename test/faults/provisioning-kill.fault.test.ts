/**
 * Provisioning survives `kill -9`: tenancy's and erp's workers run as real processes and are
 * killed with SIGKILL while erp's step is in flight (handed over, possibly half-done in an open
 * transaction), then started again. The workflow finishes on its own, once: one tenant, one
 * subscription, one contract, one invited admin, one activation.
 */
import type { ChildProcess } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, expect, inject, it } from 'vitest';
import { appUrl } from '../../lib/db/index.js';
import { TEST_TUNING, waitFor } from '../../lib/jobs/test-support.js';
import type { RunningWorker } from '../../lib/services.js';
import type { InProcessPlatform } from '../../scripts/platform.js';
import * as clinicalWorker from '../../subgraphs/clinical-ops/worker.js';
import * as observabilityWorker from '../../subgraphs/observability/worker.js';
import { TEST_APP_PASSWORD, testEnvironment } from '../support/env.js';
import { killProcess, startServiceProcess } from '../support/service-process.js';
import { adminQuery, adminUrl, bearer, dropScratchTenants, graphql, startTestPlatform, testConfig } from '../support/platform.js';

let platform: InProcessPlatform;
let inProcess: RunningWorker[] = [];
const children: ChildProcess[] = [];
const provisioned: string[] = [];

/** Starts a worker as its own process; the test kills and restarts it. */
async function startWorkerProcess(name: string): Promise<ChildProcess> {
  const child = await startServiceProcess(name, { ...testEnvironment(inject('dataDir')), DATABASE_APP_URL: appUrl(adminUrl(), TEST_APP_PASSWORD) });
  children.push(child);
  return child;
}

const kill = killProcess;

beforeAll(async () => {
  platform = await startTestPlatform();
  // These two supervise every second: a job whose worker was killed is retried once its expiry passes.
  const options = { databaseUrl: appUrl(adminUrl(), TEST_APP_PASSWORD), tuning: TEST_TUNING };
  inProcess = await Promise.all([clinicalWorker, observabilityWorker].map((worker) => worker.start(testConfig(), options)));
}, 120_000);
afterAll(async () => {
  await Promise.all(children.map(kill));
  await Promise.all(inProcess.map((worker) => worker.close()));
  await platform?.close();
  await dropScratchTenants(provisioned);
});

const stepsOf = (tenantId: string) =>
  adminQuery<{ step: string; status: string }>('SELECT step, status FROM tenancy.provisioning_steps WHERE tenant_id = $1 ORDER BY position', [tenantId]);
const count = async (table: string, tenantId: string) =>
  (await adminQuery<{ n: number }>(`SELECT count(*)::int AS n FROM ${table} WHERE tenant_id = $1`, [tenantId]))[0]!.n;

it('finishes a provisioning whose workers were killed mid-step, once', async () => {
  const tenancy = await startWorkerProcess('tenancy-worker');
  const erp = await startWorkerProcess('erp-worker');
  const suffix = randomUUID().slice(0, 8);
  const response = await graphql<{ provisionTenant: { tenant: { id: string } } }>(
    platform.gateway.url,
    `mutation P($input: ProvisionTenantInput!) { provisionTenant(input: $input) { tenant { id } } }`,
    {
      variables: { input: { idempotencyKey: `kill-${suffix}`, slug: `zz-killed-${suffix}`, name: 'Killed Test Clinic', template: 'HOME_HEALTH', region: 'us-west', adminEmail: `admin-${suffix}@clinic.example` } },
      headers: await bearer(['platform_admin'], { subject: 'provisioning-kill' }),
    },
  );
  expect(response.body.errors).toBeUndefined();
  const tenantId = response.body.data!.provisionTenant.tenant.id;
  provisioned.push(tenantId);

  // The moment erp's step is handed over, both workers die.
  await waitFor('the commercial step in flight', async () => (await stepsOf(tenantId)).find((step) => step.step === 'commercial' && step.status === 'running'), 30_000);
  await Promise.all([kill(tenancy), kill(erp)]);
  // Started again (afterAll stops them with the rest).
  await Promise.all([startWorkerProcess('tenancy-worker'), startWorkerProcess('erp-worker')]);

  await waitFor(
    'provisioning completed',
    async () => (await adminQuery<{ status: string }>('SELECT status FROM tenancy.provisioning_runs WHERE tenant_id = $1', [tenantId]))[0]?.status === 'completed',
    90_000,
  );
  expect((await stepsOf(tenantId)).every((step) => step.status === 'done')).toBe(true);
  expect(await adminQuery('SELECT status FROM tenancy.tenants WHERE id = $1', [tenantId])).toEqual([{ status: 'active' }]);
  expect(await count('erp.subscriptions', tenantId)).toBe(1);
  expect(await count('erp.contracts', tenantId)).toBe(1);
  expect(await count('observability.slo_registrations', tenantId)).toBe(3);
  expect(await count('tenancy.tenant_members', tenantId)).toBe(1);
  const activations = await adminQuery("SELECT seq FROM tenancy.audit_log WHERE tenant_id = $1 AND action = 'tenant.activated'", [tenantId]);
  expect(activations).toHaveLength(1);
}, 180_000);
