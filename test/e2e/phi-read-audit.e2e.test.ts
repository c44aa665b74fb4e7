/**
 * PHI reads reach the tenant's audit chain: a clinician's request through the gateway that reads
 * PHI is logged record by record in clinical-ops' phi_access_log and, in the same transaction,
 * published as one `clinical-ops.phi.read` event of counts, which tenancy's worker appends to
 * the tenant's chain as `phi.read` — the reader as actor, the counts, no patient id, no value.
 * A request that reads no PHI publishes nothing and leaves no entry.
 */
import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { appUrl } from '../../lib/db/index.js';
import { TEST_TUNING, waitFor } from '../../lib/jobs/test-support.js';
import type { RunningWorker } from '../../lib/services.js';
import type { InProcessPlatform } from '../../scripts/platform.js';
import * as clinicalOpsWorker from '../../subgraphs/clinical-ops/worker.js';
import * as tenancyWorker from '../../subgraphs/tenancy/worker.js';
import { TEST_APP_PASSWORD } from '../support/env.js';
import { adminQuery, adminUrl, bearer, dropScratchTenants, graphql, scratchTenant, startTestPlatform, testConfig } from '../support/platform.js';

let platform: InProcessPlatform;
const workers: RunningWorker[] = [];
let tenantId: string;
const patients = [randomUUID(), randomUUID()];

beforeAll(async () => {
  platform = await startTestPlatform();
  for (const worker of [clinicalOpsWorker, tenancyWorker]) {
    workers.push(await worker.start(testConfig(), { databaseUrl: appUrl(adminUrl(), TEST_APP_PASSWORD), tuning: TEST_TUNING }));
  }
  tenantId = await scratchTenant('PHI Audit Clinic');
  await adminQuery("UPDATE tenancy.tenants SET status = 'active' WHERE id = $1", [tenantId]);
  for (const [n, id] of patients.entries()) {
    await adminQuery(
      `INSERT INTO clinical_ops.patients (id, tenant_id, mrn, given_name, family_name, birth_date, email) VALUES ($1, $2, $3, 'Ada', 'Quill', '1980-02-03', 'ada@example.test')`,
      [id, tenantId, `MRN-PHI-${n}`],
    );
    await adminQuery(
      `INSERT INTO clinical_ops.appointments (id, tenant_id, patient_id, starts_at, duration_minutes, status, reason) VALUES ($1, $2, $3, now(), 30, 'scheduled', 'check-up')`,
      [randomUUID(), tenantId, id],
    );
  }
});
afterAll(async () => {
  await Promise.all(workers.map((worker) => worker.close()));
  await platform?.close();
  await adminQuery('DELETE FROM clinical_ops.phi_access_log WHERE tenant_id = $1', [tenantId]).catch(() => undefined);
  await adminQuery('DELETE FROM clinical_ops.appointments WHERE tenant_id = $1', [tenantId]);
  await adminQuery('DELETE FROM clinical_ops.patients WHERE tenant_id = $1', [tenantId]);
  await adminQuery('DELETE FROM clinical_ops.outbox WHERE tenant_id = $1', [tenantId]);
  await dropScratchTenants([tenantId]);
});

const clinician = () => bearer(['clinician'], { tenantId, subject: 'phi-audit-dr' });
const phiEntries = () =>
  adminQuery<{ actor_id: string; actor_roles: string[]; request_id: string; target: string; detail: Record<string, unknown> }>(
    "SELECT actor_id, actor_roles, request_id, target, detail FROM tenancy.audit_log WHERE tenant_id = $1 AND action = 'phi.read'",
    [tenantId],
  );
const phiEvents = () => adminQuery("SELECT payload FROM clinical_ops.outbox WHERE tenant_id = $1 AND type = 'clinical-ops.phi.read'", [tenantId]);

describe('PHI reads in the audit chain', () => {
  it('appends one phi.read entry with the counts per request that read PHI, and none for a request that read none', async () => {
    const plain = await graphql(platform.gateway.url, '{ patients(first: 10) { id } }', { headers: await clinician() });
    expect(plain.body.errors).toBeUndefined();
    expect((plain.body.data as { patients: unknown[] }).patients).toHaveLength(2);

    const read = await graphql(platform.gateway.url, '{ patients(first: 10) { id givenName email appointments { reason } } }', {
      headers: { ...(await clinician()), 'x-purpose-of-use': 'treatment' },
    });
    expect(read.body.errors).toBeUndefined();

    const [entry] = await waitFor('the phi.read audit entry', async () => {
      const entries = await phiEntries();
      return entries.length > 0 ? entries : null;
    });
    // Two patients (givenName, email, appointments) and their two appointments (reason).
    expect(entry!.detail).toEqual({ recordCount: 4, fieldCount: 8, recordTypes: { Patient: 2, Appointment: 2 }, breakGlass: false });
    expect(entry!.actor_id).toBe('user:phi-audit-dr');
    expect(entry!.actor_roles).toEqual(['clinician']);
    expect(entry!.target).toBe(`request:${entry!.request_id}`);
    // The request's log rows carry the same request id; the entry names no patient.
    const logged = await adminQuery<{ request_id: string }>('SELECT DISTINCT request_id FROM clinical_ops.phi_access_log WHERE tenant_id = $1', [tenantId]);
    expect(logged.map((row) => row.request_id)).toEqual([entry!.request_id]);
    for (const patient of patients) expect(JSON.stringify(entry)).not.toContain(patient);

    // Only the PHI request published; the chain still verifies.
    expect(await phiEvents()).toHaveLength(1);
    expect(await phiEntries()).toHaveLength(1);
    const verified = await graphql<{ verifyAuditChain: { valid: boolean } }>(platform.gateway.url, 'query V($t: ID!) { verifyAuditChain(tenantId: $t) { valid } }', {
      variables: { t: tenantId },
      headers: await bearer(['platform_admin'], { subject: 'phi-audit-admin' }),
    });
    expect(verified.body.data?.verifyAuditChain.valid).toBe(true);
  });
});
