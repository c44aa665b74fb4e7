/**
 * Placement and residency through the gateway, with the workers running: an ISOLATED demo
 * tenant's patients are in its own database (named by region and tenant) and absent from the
 * pool, and its users read them through the same resolvers; a governed placement change moves a
 * pooled tenant's rows into a database of its own, verified by counts and audited, while another
 * tenant is served throughout; provisioning an ISOLATED tenant creates and migrates its database
 * on the spot; PHI reads in an isolated tenant still reach its audit chain.
 */
import { randomUUID } from 'node:crypto';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { regionDatabaseUrl, tenantDatabaseName } from '../../lib/db/tenant-databases.js';
import { demoFleet } from '../../lib/demo/fleet.js';
import { waitFor } from '../../lib/jobs/test-support.js';
import type { RunningWorker } from '../../lib/services.js';
import type { InProcessPlatform } from '../../scripts/platform.js';
import * as clinicalWorker from '../../subgraphs/clinical-ops/worker.js';
import * as erpWorker from '../../subgraphs/erp/worker.js';
import * as observabilityWorker from '../../subgraphs/observability/worker.js';
import * as tenancyWorker from '../../subgraphs/tenancy/worker.js';
import { adminQuery, adminUrl, bearer, dropScratchTenants, graphql, scratchTenant, startTestPlatform, startTestWorkers } from '../support/platform.js';

let platform: InProcessPlatform;
let workers: RunningWorker[] = [];
const scratch: string[] = [];

beforeAll(async () => {
  platform = await startTestPlatform();
  workers = await startTestWorkers([tenancyWorker, erpWorker, clinicalWorker, observabilityWorker]);
});
afterAll(async () => {
  await Promise.all(workers.map((worker) => worker.close()));
  await platform?.close();
  await dropScratchTenants(scratch);
});

/** The seeded fleet of the global setup (40 tenants). */
const fleet = demoFleet(40).tenants;
const isolatedDemo = fleet.find((tenant) => tenant.placement === 'isolated' && tenant.status === 'active')!;
const pooledDemo = fleet.find((tenant) => tenant.placement === 'pooled' && tenant.status === 'active')!;

/** Counts in a tenant's own database, as the admin; null when the database does not exist. */
async function ownCount(region: string, tenantId: string, table: string): Promise<number | null> {
  const name = tenantDatabaseName(adminUrl(), region, tenantId);
  const [exists] = await adminQuery('SELECT 1 AS one FROM pg_database WHERE datname = $1', [name]);
  if (!exists) return null;
  const client = new pg.Client({ connectionString: regionDatabaseUrl(adminUrl(), {}, region, name) });
  await client.connect();
  try {
    return (await client.query<{ n: number }>(`SELECT count(*)::int AS n FROM clinical_ops.${table} WHERE tenant_id = $1`, [tenantId])).rows[0]!.n;
  } finally {
    await client.end();
  }
}
const pooledCount = async (table: string, tenantId: string) =>
  (await adminQuery<{ n: number }>(`SELECT count(*)::int AS n FROM clinical_ops.${table} WHERE tenant_id = $1`, [tenantId]))[0]!.n;

const clinicianOf = (tenantId: string) => bearer(['clinician'], { tenantId, subject: `placement-dr-${tenantId.slice(0, 8)}` });
async function patientIds(tenantId: string): Promise<string[]> {
  const response = await graphql<{ patients: { id: string }[] }>(platform.gateway.url, '{ patients(first: 200) { id } }', { headers: await clinicianOf(tenantId) });
  expect(response.body.errors).toBeUndefined();
  return response.body.data!.patients.map((patient) => patient.id).sort();
}

const alice = () => bearer(['platform_admin'], { subject: 'placement-alice' });
const bob = () => bearer(['platform_admin'], { subject: 'placement-bob' });

describe('placement and residency', () => {
  it("keeps an isolated tenant's patients in its own database, absent from the pool, served by the same resolvers", async () => {
    const own = await ownCount(isolatedDemo.region, isolatedDemo.id, 'patients');
    expect(own).toBe(isolatedDemo.patientCount);
    expect(await pooledCount('patients', isolatedDemo.id)).toBe(0);
    expect(await pooledCount('appointments', isolatedDemo.id)).toBe(0);
    expect(await patientIds(isolatedDemo.id)).toHaveLength(isolatedDemo.patientCount);
    // A pooled tenant next to it is in the pool, and has no database of its own.
    expect(await pooledCount('patients', pooledDemo.id)).toBe(pooledDemo.patientCount);
    expect(await ownCount(pooledDemo.region, pooledDemo.id, 'patients')).toBeNull();
    // The fleet view at platform level counts each tenant where its rows are.
    const fleetView = await graphql<{ tenants: { edges: { node: { id: string; clinicalSummary: { patientCount: number } | null } }[] } }>(
      platform.gateway.url,
      '{ tenants(first: 50) { edges { node { id clinicalSummary { patientCount } } } } }',
      { headers: await bearer(['platform_admin'], { subject: 'placement-fleet' }) },
    );
    expect(fleetView.body.errors).toBeUndefined();
    const byId = new Map(fleetView.body.data!.tenants.edges.map(({ node }) => [node.id, node.clinicalSummary?.patientCount]));
    expect(byId.get(isolatedDemo.id)).toBe(isolatedDemo.patientCount);
    expect(byId.get(pooledDemo.id)).toBe(pooledDemo.patientCount);
  });

  it('moves a pooled tenant into a database of its own through a governed change, verified and audited, others served throughout', async () => {
    const tenantId = await scratchTenant('Placement Clinic', { region: 'eu-west' });
    scratch.push(tenantId);
    await adminQuery("UPDATE tenancy.tenants SET status = 'active' WHERE id = $1", [tenantId]);
    const patients = Array.from({ length: 6 }, () => randomUUID());
    await adminQuery(
      `INSERT INTO clinical_ops.patients (id, tenant_id, mrn, given_name, family_name, birth_date)
       SELECT id, $1, 'MRN-PL-' || ord, 'Given', 'Family', DATE '1975-05-05' FROM unnest($2::uuid[]) WITH ORDINALITY AS u(id, ord)`,
      [tenantId, patients],
    );
    await adminQuery(
      `INSERT INTO clinical_ops.appointments (id, tenant_id, patient_id, starts_at, duration_minutes, status, reason)
       SELECT gen_random_uuid(), $1, id, now() + interval '2 days', 30, 'scheduled', 'follow-up' FROM unnest($2::uuid[]) AS u(id)`,
      [tenantId, patients],
    );
    const before = await patientIds(tenantId);
    expect(before).toEqual([...patients].sort());

    const changePlacement = async (placement: string) =>
      graphql<{ changePlacement: { id: string; setting: string; value: string; status: string } }>(
        platform.gateway.url,
        'mutation C($tenantId: ID!, $placement: Placement!) { changePlacement(tenantId: $tenantId, placement: $placement, justification: "residency contract") { id setting value status } }',
        { variables: { tenantId, placement }, headers: await alice() },
      );
    const already = await changePlacement('POOLED');
    expect(already.body.errors?.[0]).toMatchObject({ message: 'The tenant is pooled already', extensions: { code: 'BAD_USER_INPUT' } });
    const requested = await changePlacement('ISOLATED');
    expect(requested.body.errors).toBeUndefined();
    expect(requested.body.data!.changePlacement).toMatchObject({ setting: 'placement', value: '"isolated"', status: 'PENDING' });
    const id = requested.body.data!.changePlacement.id;
    const self = await graphql(platform.gateway.url, 'mutation A($id: ID!) { approveChange(id: $id) { id } }', { variables: { id }, headers: await alice() });
    expect(self.body.errors?.[0]?.extensions?.code).toBe('SELF_APPROVAL_FORBIDDEN');

    // While the move runs, another tenant's requests are answered.
    let served = 0;
    let stop = false;
    const neighbour = (async () => {
      while (!stop) {
        expect(await patientIds(pooledDemo.id)).toHaveLength(pooledDemo.patientCount);
        served += 1;
      }
    })();
    const approved = await graphql(platform.gateway.url, 'mutation A($id: ID!) { approveChange(id: $id) { status } }', { variables: { id }, headers: await bob() });
    expect(approved.body.errors).toBeUndefined();
    const [audit] = await waitFor(
      'placement.migrated in the audit chain',
      async () => {
        const rows = await adminQuery<{ detail: { from: string; to: string; database: string; rows: Record<string, number> } }>(
          "SELECT detail FROM tenancy.audit_log WHERE tenant_id = $1 AND action = 'placement.migrated'",
          [tenantId],
        );
        return rows.length > 0 ? rows : undefined;
      },
      30_000,
    );
    stop = true;
    await neighbour;
    expect(served).toBeGreaterThan(0);
    expect(audit!.detail).toMatchObject({ from: 'pooled', to: 'isolated', database: tenantDatabaseName(adminUrl(), 'eu-west', tenantId), rows: { patients: 6, appointments: 6 } });

    expect(await pooledCount('patients', tenantId)).toBe(0);
    expect(await pooledCount('appointments', tenantId)).toBe(0);
    expect(await ownCount('eu-west', tenantId, 'patients')).toBe(6);
    expect(await ownCount('eu-west', tenantId, 'appointments')).toBe(6);
    // The same query, the same answer, now from the tenant's own database (within a route lifetime).
    await waitFor('the tenant served from its own database', async () => ((await patientIds(tenantId).catch(() => [])).length === 6 ? true : undefined), 10_000);
    expect(await patientIds(tenantId)).toEqual(before);
    const [tenant] = await adminQuery<{ placement: string }>('SELECT placement FROM tenancy.tenants WHERE id = $1', [tenantId]);
    expect(tenant!.placement).toBe('isolated');
  });

  it('provisions an ISOLATED tenant with a database of its own created and migrated on the spot', async () => {
    const suffix = randomUUID().slice(0, 8);
    const response = await graphql<{ provisionTenant: { tenant: { id: string; placement: string } } }>(
      platform.gateway.url,
      'mutation P($input: ProvisionTenantInput!) { provisionTenant(input: $input) { tenant { id placement } } }',
      {
        variables: {
          input: {
            idempotencyKey: `placement-${suffix}`,
            slug: `zz-isolated-${suffix}`,
            name: 'Isolated Test Clinic',
            template: 'AMBULATORY',
            region: 'eu-west',
            placement: 'ISOLATED',
            adminEmail: `admin-${suffix}@clinic.example`,
          },
        },
        headers: await alice(),
      },
    );
    expect(response.body.errors).toBeUndefined();
    const tenantId = response.body.data!.provisionTenant.tenant.id;
    scratch.push(tenantId);
    expect(response.body.data!.provisionTenant.tenant.placement).toBe('ISOLATED');
    await waitFor(
      'provisioning done',
      async () => {
        const [run] = await adminQuery<{ status: string; error: string | null }>('SELECT status, error FROM tenancy.provisioning_runs WHERE tenant_id = $1', [tenantId]);
        if (run?.status === 'failed') throw new Error(`provisioning failed: ${run.error}`);
        return run?.status === 'completed' ? run : undefined;
      },
      45_000,
    );
    const own = await ownCount('eu-west', tenantId, 'workspace_workflows');
    expect(own).toBeGreaterThan(0);
    expect(await pooledCount('workspace_workflows', tenantId)).toBe(0);
    const [route] = await adminQuery<{ placement: string; state: string; database_name: string }>(
      'SELECT placement, state, database_name FROM clinical_ops.workspaces WHERE tenant_id = $1',
      [tenantId],
    );
    expect(route).toEqual({ placement: 'isolated', state: 'ready', database_name: tenantDatabaseName(adminUrl(), 'eu-west', tenantId) });
  });

  it("audits PHI read in an isolated tenant's own database (its outbox is relayed too)", async () => {
    const headers = { ...(await clinicianOf(isolatedDemo.id)), 'x-purpose-of-use': 'treatment' };
    const since = new Date();
    const response = await graphql<{ patients: { givenName: string }[] }>(platform.gateway.url, '{ patients(first: 3) { id givenName } }', { headers });
    expect(response.body.errors).toBeUndefined();
    expect(response.body.data!.patients).toHaveLength(3);
    expect(await ownCount(isolatedDemo.region, isolatedDemo.id, 'phi_access_log')).toBeGreaterThanOrEqual(3);
    await waitFor(
      'phi.read in the audit chain',
      async () => {
        const rows = await adminQuery("SELECT 1 AS one FROM tenancy.audit_log WHERE tenant_id = $1 AND action = 'phi.read' AND occurred_at >= $2", [isolatedDemo.id, since]);
        return rows.length > 0 ? rows : undefined;
      },
      20_000,
    );
  });
});
