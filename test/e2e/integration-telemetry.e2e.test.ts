/**
 * Integration outcomes reach observability, with clinical-ops' worker (its relay) and
 * observability's running: calls through the connectors against a fake payer and pharmacy are
 * counted in clinical-ops, published in one batch per tenant, added into observability's roll-up,
 * and read through the gateway as Tenant.integrationHealth — calls, failures, failure rate and
 * latency per connector — while another tenant's user sees none of it.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { appUrl, Database } from '../../lib/db/index.js';
import { waitFor } from '../../lib/jobs/test-support.js';
import type { RunningWorker } from '../../lib/services.js';
import type { InProcessPlatform } from '../../scripts/platform.js';
import { FakeSystems } from '../../subgraphs/clinical-ops/integrations/fake-systems.js';
import { createIntegrationGateway, type IntegrationGateway } from '../../subgraphs/clinical-ops/integrations/gateway.js';
import * as clinicalWorker from '../../subgraphs/clinical-ops/worker.js';
import * as observabilityWorker from '../../subgraphs/observability/worker.js';
import { TEST_APP_PASSWORD } from '../support/env.js';
import { adminQuery, adminUrl, bearer, bindingKey, dropScratchTenants, graphql, scratchTenant, startTestPlatform, startTestWorkers } from '../support/platform.js';

let platform: InProcessPlatform;
let workers: RunningWorker[] = [];
let remote: FakeSystems;
let db: Database;
let gateway: IntegrationGateway;
const scratch: string[] = [];
let tenantId: string;
let otherTenantId: string;

interface Health {
  connector: string;
  calls: number;
  accepted: number;
  rejected: number;
  retryable: number;
  failures: number;
  failureRate: number | null;
  retryableByReason: { serverError: number; timeout: number };
  meanLatencyMs: number | null;
  p95LatencyMs: number | null;
}
const HEALTH = `query H($id: ID!) { tenant(id: $id) { integrationHealth(windowMinutes: 10) {
  connector calls accepted rejected retryable failures failureRate retryableByReason { serverError timeout } meanLatencyMs p95LatencyMs } } }`;
const healthOf = async (headers: Record<string, string>, id = tenantId) =>
  (await graphql<{ tenant: { integrationHealth: Health[] | null } | null }>(platform.gateway.url, HEALTH, { variables: { id }, headers })).body.data;

beforeAll(async () => {
  platform = await startTestPlatform();
  workers = await startTestWorkers([clinicalWorker, observabilityWorker]);
  remote = await FakeSystems.start();
  tenantId = await scratchTenant('Telemetry Clinic');
  otherTenantId = await scratchTenant('Telemetry Other Clinic');
  scratch.push(tenantId, otherTenantId);
  await adminQuery(`UPDATE tenancy.tenants SET status = 'active' WHERE id = ANY($1::uuid[])`, [[tenantId, otherTenantId]]);
  db = new Database({ url: appUrl(adminUrl(), TEST_APP_PASSWORD), schema: 'clinical_ops', poolSize: 2, bindingKey: bindingKey() });
  // Published by hand below (flush), not on a timer.
  gateway = createIntegrationGateway({ db, baseUrl: remote.url, flushIntervalMs: 3_600_000 });
});
afterAll(async () => {
  await gateway?.close();
  await db?.close();
  await Promise.all(workers.map((worker) => worker.close()));
  await platform?.close();
  await remote?.close();
  await dropScratchTenants(scratch);
});

describe('integration outcomes', () => {
  it('reach observability’s roll-up in batches and read as integration health per connector', async () => {
    const rx = (prescriptionId: string) => gateway.pharmacy.call({ tenantId, idempotencyKey: `rx:${prescriptionId}`, payload: { prescriptionId } });
    remote.next('GET', '/pharmacy', { status: 503 }, { status: 503 });
    const outcomes = [await rx('RX-1'), await rx('RX-2'), await rx('RX-3'), await rx('missing'), await rx('RX-4')];
    expect(outcomes.map((o) => o.kind)).toEqual(['retryable', 'retryable', 'accepted', 'rejected', 'accepted']);
    const eligibility = await gateway.payerEligibility.call({
      tenantId,
      idempotencyKey: 'eligibility:t-1',
      payload: {
        payerId: 'ACME',
        memberId: 'MBR-1',
        patient: { givenName: 'Test', familyName: 'Patient', birthDate: '1980-01-01' },
        provider: { npi: '1234567893', name: 'Telemetry Clinic' },
        serviceDate: '2024-03-07',
      },
    });
    expect(eligibility.kind).toBe('accepted');
    // Nothing is published per call: the outbox holds no outcome event before the flush.
    const events = () => adminQuery(`SELECT id FROM clinical_ops.outbox WHERE tenant_id = $1 AND type = 'clinical-ops.integration.outcomes'`, [tenantId]);
    expect(await events()).toEqual([]);
    await gateway.flush();
    expect(await events()).toHaveLength(1);

    const tenantAdmin = await bearer(['tenant_admin'], { tenantId, subject: 'telemetry-admin' });
    const health = await waitFor('the outcomes in observability', async () => {
      const rows = (await healthOf(tenantAdmin))?.tenant?.integrationHealth;
      return rows?.find((row) => row.connector === 'PHARMACY')?.calls === 5 ? rows : undefined;
    });
    const pharmacy = health.find((row) => row.connector === 'PHARMACY')!;
    expect(pharmacy).toMatchObject({ calls: 5, accepted: 2, rejected: 1, retryable: 2, failures: 3, failureRate: 0.6, retryableByReason: { serverError: 2, timeout: 0 } });
    expect(pharmacy.meanLatencyMs).toBeGreaterThanOrEqual(0);
    expect(pharmacy.p95LatencyMs).toBeGreaterThan(0);
    expect(health.find((row) => row.connector === 'PAYER_ELIGIBILITY')).toMatchObject({ calls: 1, failures: 0, failureRate: 0 });
    expect(health.find((row) => row.connector === 'EHR')).toMatchObject({ calls: 0, failureRate: null, p95LatencyMs: null });

    // A second batch for the same minute adds to it.
    await rx('RX-5');
    await gateway.flush();
    await waitFor('the second batch added', async () => ((await healthOf(tenantAdmin))?.tenant?.integrationHealth?.find((row) => row.connector === 'PHARMACY')?.calls === 6 ? true : undefined));
  });

  it('show another tenant’s user nothing of them', async () => {
    const outsider = await bearer(['tenant_admin'], { tenantId: otherTenantId, subject: 'telemetry-outsider' });
    expect((await healthOf(outsider))?.tenant?.integrationHealth ?? null).toBeNull();
    const own = await healthOf(outsider, otherTenantId);
    expect(own?.tenant?.integrationHealth?.map((row) => row.calls)).toEqual([0, 0, 0, 0, 0]);
    const [rows] = await adminQuery<{ n: number }>('SELECT count(*)::int AS n FROM observability.integration_outcomes WHERE tenant_id = $1', [otherTenantId]);
    expect(rows!.n).toBe(0);
  });
});
