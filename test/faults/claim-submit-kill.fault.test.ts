/**
 * A claim reaches the payer at most once, even when the worker dies after sending it and before
 * recording the answer: clinical-ops' worker runs as its own process with the fault point
 * `claims.after-send`, which ends it with SIGKILL right after the payer (the simulator) received
 * the claim. Started again, the worker's retry of the lost attempt asks the payer what it
 * received under the claim's idempotency key and records that: the payer received the claim
 * once, answered once, and the claim is ACCEPTED with the payer's claim number.
 */
import { randomUUID } from 'node:crypto';
import type { ChildProcess } from 'node:child_process';
import { afterAll, beforeAll, expect, inject, it } from 'vitest';
import { appUrl } from '../../lib/db/index.js';
import { TEST_TUNING, waitFor } from '../../lib/jobs/test-support.js';
import type { RunningWorker } from '../../lib/services.js';
import type { InProcessPlatform } from '../../scripts/platform.js';
import { startTestSimulators, type TestSimulators } from '../../simulators/test-support.js';
import * as observabilityWorker from '../../subgraphs/observability/worker.js';
import { TEST_APP_PASSWORD, testEnvironment } from '../support/env.js';
import { adminQuery, adminUrl, bearer, dropScratchTenants, graphql, scratchTenant, startTestPlatform, testConfig } from '../support/platform.js';
import { killProcess, startServiceProcess } from '../support/service-process.js';

let platform: InProcessPlatform;
let simulators: TestSimulators;
let supervisor: RunningWorker | undefined;
const children: ChildProcess[] = [];
let tenantId: string;
const ids = { patient: randomUUID(), provider: randomUUID(), location: randomUUID(), coverage: randomUUID() };

async function startClinicalWorker(env: Record<string, string> = {}): Promise<ChildProcess> {
  const child = await startServiceProcess('clinical-ops-worker', {
    ...testEnvironment(inject('dataDir')),
    DATABASE_APP_URL: appUrl(adminUrl(), TEST_APP_PASSWORD),
    SIMULATORS_URL: simulators.url,
    ...env,
  });
  children.push(child);
  return child;
}

beforeAll(async () => {
  simulators = await startTestSimulators();
  platform = await startTestPlatform();
  // Supervises every second: the killed attempt's job is retried once its expiry (30 s) passes.
  supervisor = await observabilityWorker.start(testConfig(), { databaseUrl: appUrl(adminUrl(), TEST_APP_PASSWORD), tuning: TEST_TUNING });
  tenantId = await scratchTenant('Claim Kill Clinic');
  await adminQuery(`UPDATE tenancy.tenants SET status = 'active' WHERE id = $1`, [tenantId]);
  await adminQuery(`INSERT INTO clinical_ops.patients (id, tenant_id, mrn, given_name, family_name, birth_date) VALUES ($1, $2, 'CK-1', 'Ida', 'Marsh', '1969-12-01')`, [ids.patient, tenantId]);
  await adminQuery(`INSERT INTO clinical_ops.providers (id, tenant_id, npi, name, specialty) VALUES ($1, $2, '1234567893', 'Dr. Ken Ito', 'internal medicine')`, [ids.provider, tenantId]);
  await adminQuery(`INSERT INTO clinical_ops.locations (id, tenant_id, name, timezone) VALUES ($1, $2, 'Harbor Clinic', 'America/Chicago')`, [ids.location, tenantId]);
  await adminQuery(
    `INSERT INTO clinical_ops.insurance_coverages (id, tenant_id, patient_id, payer_id, member_id, plan_name, relationship, start_date) VALUES ($1, $2, $3, 'acme-health', 'ACM987654321', 'Acme Silver', 'self', '2026-01-01')`,
    [ids.coverage, tenantId, ids.patient],
  );
}, 120_000);
afterAll(async () => {
  await Promise.all(children.map(killProcess));
  await supervisor?.close();
  await platform?.close();
  await simulators?.close();
  if (tenantId) await dropScratchTenants([tenantId]);
});

const runOf = async (id: string) =>
  (await adminQuery<{ status: string; attempts: number }>('SELECT status, attempts FROM clinical_ops.workflow_runs WHERE id = $1', [id]))[0];

it('sends a claim once when its worker is killed after sending and before recording, and records the payer’s answer after the restart', async () => {
  const worker = await startClinicalWorker({ CAREGRAPH_FAULT_POINT: 'claims.after-send' });
  const died = new Promise<NodeJS.Signals | null>((resolve) => worker.once('exit', (_code, signal) => resolve(signal)));
  const submitted = await graphql<{ submitClaim: { id: string; status: string } }>(
    platform.gateway.url,
    `mutation S($input: SubmitClaimInput!) { submitClaim(input: $input) { id status } }`,
    {
      variables: {
        input: {
          patientId: ids.patient,
          coverageId: ids.coverage,
          providerId: ids.provider,
          locationId: ids.location,
          serviceDate: '2026-11-18',
          diagnosisCodes: ['E11.9'],
          lines: [{ procedureCode: '99214', chargeMinor: 18_000 }],
        },
      },
      headers: await bearer(['clinician'], { tenantId, subject: 'claim-kill-clinician' }),
    },
  );
  expect(submitted.body.errors).toBeUndefined();
  const claimId = submitted.body.data!.submitClaim.id;

  // The worker sends the claim and dies at the fault point, before it records anything.
  expect(await died).toBe('SIGKILL');
  expect((await simulators.stats()).payer_claims).toMatchObject({ received: 1, distinctKeys: 1, duplicatesAnswered: 0 });
  expect(await runOf(claimId)).toEqual({ status: 'in_flight', attempts: 1 });
  expect(await adminQuery('SELECT payer_status, payer_claim_id FROM clinical_ops.claims WHERE id = $1', [claimId])).toEqual([{ payer_status: null, payer_claim_id: null }]);

  // Started again without the fault: the lost attempt's job returns after its expiry, asks the
  // payer what it holds under the key, and records it — without sending the claim again.
  await startClinicalWorker();
  const recorded = await waitFor(
    'the claim recorded',
    async () => {
      const rows = await adminQuery<{ payer_status: string | null; payer_claim_id: string | null }>('SELECT payer_status, payer_claim_id FROM clinical_ops.claims WHERE id = $1', [claimId]);
      return rows[0]?.payer_status ? rows[0] : undefined;
    },
    120_000,
  );
  expect(recorded.payer_status).toBe('accepted');
  expect(recorded.payer_claim_id).toMatch(/^PCN-/);
  expect(await runOf(claimId)).toEqual({ status: 'succeeded', attempts: 2 });
  expect((await simulators.stats()).payer_claims).toMatchObject({ received: 1, distinctKeys: 1, duplicatesAnswered: 0 });
  // Metered once, however many attempts it took.
  expect(
    await adminQuery(`SELECT count(*)::int AS n FROM clinical_ops.outbox WHERE tenant_id = $1 AND type = 'clinical-ops.usage.recorded' AND payload->>'meter' = 'claims_submitted'`, [tenantId]),
  ).toEqual([{ n: 1 }]);
}, 240_000);
