/**
 * Placement against the real server: a tenant's own database is created and migrated as the
 * placement role, a move carries every row of the tenant (and only its rows) there and back,
 * verified by counts, and the routed pool serves the tenant from wherever it is with the same
 * row-level security.
 */
import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { adminQuery, adminUrl, bindingKey, testConfig } from '../../test/support/platform.js';
import { TEST_APP_PASSWORD } from '../../test/support/env.js';
import { resolvePath, SERVICES } from '../services.js';
import type { TenantContext } from '../tenant-context.js';
import { appUrl } from './roles.js';
import { ensureTenantDatabase, moveTenantRows, PlacementRoutedDatabase, placementUrl, regionDatabaseUrl, tenantDatabaseName, type PlacementServers } from './tenant-databases.js';

const CLINICAL = { schema: 'clinical_ops', directory: resolvePath(SERVICES['clinical-ops'].database.migrations) };
const tenantA = randomUUID();
const tenantB = randomUUID();
const tenantC = randomUUID();
const patientsPerTenant = 4;

const context = (tenantId: string | null): Pick<TenantContext, 'access' | 'tenantId' | 'principal'> =>
  tenantId
    ? { access: 'tenant', tenantId, principal: { id: 'user:test', kind: 'user' } }
    : { access: 'platform', tenantId: null, principal: { id: 'user:test', kind: 'user' } };

let servers: PlacementServers;
let routed: PlacementRoutedDatabase;

async function seedRows(tenantId: string): Promise<void> {
  const patients = Array.from({ length: patientsPerTenant }, () => randomUUID());
  const grant = randomUUID();
  await adminQuery(
    `WITH p AS (
       INSERT INTO clinical_ops.patients (id, tenant_id, mrn, given_name, family_name, birth_date)
       SELECT id, $1, 'MRN-' || ord, 'Given', 'Family', DATE '1980-01-01' FROM unnest($2::uuid[]) WITH ORDINALITY AS u(id, ord) RETURNING id
     ), a AS (
       INSERT INTO clinical_ops.appointments (id, tenant_id, patient_id, starts_at, duration_minutes, status, reason)
       SELECT gen_random_uuid(), $1, id, now() + interval '1 day', 30, 'scheduled', 'checkup' FROM p RETURNING 1
     ), g AS (
       INSERT INTO clinical_ops.break_glass_grants (id, tenant_id, principal_id, principal_kind, roles, reason, patient_ids, expires_at, request_id)
       VALUES ($3, $1, 'user:doc', 'user', '{clinician}', 'cardiac arrest in ward', $2::uuid[], now() + interval '1 hour', 'req-1') RETURNING id
     )
     INSERT INTO clinical_ops.phi_access_log (tenant_id, request_id, principal_id, principal_kind, roles, record_type, record_id, fields, break_glass, grant_id)
     SELECT $1, 'req-1', 'user:doc', 'user', '{clinician}', 'Patient', id, '{givenName}', true, (SELECT id FROM g) FROM p`,
    [tenantId, patients, grant],
  );
}

const pooledCount = async (table: string, tenantId: string) =>
  (await adminQuery<{ n: number }>(`SELECT count(*)::int AS n FROM clinical_ops.${table} WHERE tenant_id = $1`, [tenantId]))[0]!.n;

async function ownCount(region: string, tenantId: string, table: string): Promise<number> {
  const url = regionDatabaseUrl(adminUrl(), {}, region, tenantDatabaseName(adminUrl(), region, tenantId));
  const pg = (await import('pg')).default;
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    return (await client.query<{ n: number }>(`SELECT count(*)::int AS n FROM clinical_ops.${table} WHERE tenant_id = $1`, [tenantId])).rows[0]!.n;
  } finally {
    await client.end();
  }
}

beforeAll(async () => {
  const config = testConfig();
  const app = appUrl(adminUrl(), TEST_APP_PASSWORD);
  servers = { sharedUrl: placementUrl(app, bindingKey()), regionServers: {}, statementTimeoutMs: config.database.statementTimeoutMs };
  routed = new PlacementRoutedDatabase({ url: app, schema: 'clinical_ops', poolSize: 4, bindingKey: bindingKey(), regionServers: {}, migrations: CLINICAL, statementTimeoutMs: config.database.statementTimeoutMs });
  await seedRows(tenantA);
  await seedRows(tenantB);
});

afterAll(async () => {
  await routed?.close();
  for (const id of [tenantA, tenantB, tenantC]) {
    await adminQuery(`DELETE FROM clinical_ops.phi_access_log WHERE tenant_id = $1`, [id]);
    await adminQuery(`DELETE FROM clinical_ops.break_glass_grants WHERE tenant_id = $1`, [id]);
    await adminQuery(`DELETE FROM clinical_ops.appointments WHERE tenant_id = $1`, [id]);
    await adminQuery(`DELETE FROM clinical_ops.patients WHERE tenant_id = $1`, [id]);
    await adminQuery(`DELETE FROM clinical_ops.workspaces WHERE tenant_id = $1`, [id]);
    for (const region of ['eu-west', 'us-east']) await adminQuery(`DROP DATABASE IF EXISTS ${tenantDatabaseName(adminUrl(), region, id)} WITH (FORCE)`);
  }
});

describe('tenant databases', () => {
  it('creates, as the placement role, a migrated database of its own for a tenant, idempotently', async () => {
    const name = await ensureTenantDatabase(servers, CLINICAL, 'us-east', tenantC);
    expect(name).toBe(tenantDatabaseName(adminUrl(), 'us-east', tenantC));
    expect(await ensureTenantDatabase(servers, CLINICAL, 'us-east', tenantC)).toBe(name);
    expect(await ownCount('us-east', tenantC, 'patients')).toBe(0);
    const [privilege] = await adminQuery<{ connect: boolean }>(`SELECT has_database_privilege('caregraph_gateway', $1, 'CONNECT') AS connect`, [name]);
    expect(privilege?.connect).toBe(false);
  });

  it('moves an isolated tenant\'s rows to its own database, verified by counts, and leaves the others', async () => {
    const result = await moveTenantRows(servers, CLINICAL, tenantA, 'isolated', 'eu-west', { routeTtlMs: 0, settleMs: 0 });
    expect(result.moved).toBe(true);
    expect(result.rows).toEqual({
      patients: 4,
      appointments: 4,
      break_glass_grants: 1,
      phi_access_log: 4,
      workspace_workflows: 0,
      tenant_exports: 0,
      providers: 0,
      locations: 0,
      insurance_coverages: 0,
      integration_mappings: 0,
      integration_mapping_changes: 0,
      workflow_runs: 0,
      eligibility_checks: 0,
      claims: 0,
      reminders: 0,
      documents: 0,
    });
    for (const table of ['patients', 'appointments', 'break_glass_grants', 'phi_access_log']) {
      expect(await pooledCount(table, tenantA)).toBe(0);
      expect(await ownCount('eu-west', tenantA, table)).toBe(result.rows[table]);
      expect(await pooledCount(table, tenantB)).toBe(result.rows[table]);
    }
    // Moving it again changes nothing.
    expect((await moveTenantRows(servers, CLINICAL, tenantA, 'isolated', 'eu-west', { routeTtlMs: 0, settleMs: 0 })).moved).toBe(false);
  });

  it('routes the tenant to its database with the same row-level security, and platform reads see every placement', async () => {
    const count = (tenantId: string) => routed.withTenant(context(tenantId), (tx) => tx.query<{ n: number }>('SELECT count(*)::int AS n FROM patients'));
    expect((await count(tenantA))[0]!.n).toBe(patientsPerTenant);
    expect((await count(tenantB))[0]!.n).toBe(patientsPerTenant);
    // In A's own database a transaction bound to B sees nothing of A.
    const ownDb = routed.isolatedDatabases().get(tenantDatabaseName(adminUrl(), 'eu-west', tenantA))!;
    expect((await ownDb.withTenant(context(tenantB), (tx) => tx.query<{ n: number }>('SELECT count(*)::int AS n FROM patients')))[0]!.n).toBe(0);
    const everywhere = await routed.acrossPlacements(context(null), (tx) =>
      tx.query<{ tenant_id: string }>('SELECT DISTINCT tenant_id FROM patients WHERE tenant_id = ANY($1::uuid[])', [[tenantA, tenantB]]),
    );
    expect(everywhere.map((row) => row.tenant_id).sort()).toEqual([tenantA, tenantB].sort());
    // A new row in A's own database: moved back with the others.
    await routed.withTenant(context(tenantA), (tx) =>
      tx.query(`INSERT INTO phi_access_log (tenant_id, request_id, principal_id, principal_kind, roles, record_type, record_id, fields) VALUES ($1, 'r', 'u', 'user', '{}', 'Patient', $2, '{}')`, [tenantA, randomUUID()]),
    );
    expect(await ownCount('eu-west', tenantA, 'phi_access_log')).toBe(5);
  });

  it('moves the tenant back to the pool with all its rows', async () => {
    const result = await moveTenantRows(servers, CLINICAL, tenantA, 'pooled', 'eu-west', { routeTtlMs: 0, settleMs: 0 });
    expect(result.rows.phi_access_log).toBe(5);
    expect(await pooledCount('patients', tenantA)).toBe(patientsPerTenant);
    expect(await ownCount('eu-west', tenantA, 'patients')).toBe(0);
    routed.forgetRoute(tenantA);
    const rows = await routed.withTenant(context(tenantA), (tx) => tx.query<{ n: number }>('SELECT count(*)::int AS n FROM appointments'));
    expect(rows[0]!.n).toBe(patientsPerTenant);
  });
});
