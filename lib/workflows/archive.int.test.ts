/**
 * A domain's archive and purge on the real database, as the application role: the archive holds
 * exactly the bound tenant's rows of every tenant table of the schema (another tenant's never),
 * once; the purge deletes them table by table in foreign-key order and empties the archive; and
 * the schema's `purge_tenant_rows` refuses anything else — a transaction not bound to a tenant, a
 * tenant not exported, an event internal, a table without tenant rows, and in tenancy a tenant
 * not OFFBOARDED or the record the platform keeps of it.
 */
import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { appUrl, Database } from '../db/index.js';
import type { TenantContext } from '../tenant-context.js';
import { TEST_APP_PASSWORD } from '../../test/support/env.js';
import { adminQuery, adminUrl, bindingKey, dropScratchTenants, scratchTenant } from '../../test/support/platform.js';
import { buildArchive, exportTenant, purgeTenant, readArchive, sha256Of, tenantTables } from './archive.js';

let clinical: Database;
let tenancy: Database;
const scratch: string[] = [];

beforeAll(() => {
  const url = appUrl(adminUrl(), TEST_APP_PASSWORD);
  clinical = new Database({ url, schema: 'clinical_ops', poolSize: 2, bindingKey: bindingKey() });
  tenancy = new Database({ url, schema: 'tenancy', poolSize: 2, bindingKey: bindingKey() });
});
afterAll(async () => {
  await clinical?.close();
  await tenancy?.close();
  await dropScratchTenants(scratch);
});

const bound = (tenantId: string): TenantContext => ({
  requestId: `archive-test-${randomUUID()}`,
  access: 'tenant',
  tenantId,
  principal: { id: 'service:archive-test', kind: 'service' },
  roles: [],
  scopes: [],
  entitlements: [],
});
const platform = { access: 'platform', tenantId: null, principal: { id: 'service:archive-test', kind: 'service' } } as const;

async function tenantWithPatients(count: number): Promise<{ tenantId: string; patients: string[] }> {
  const tenantId = await scratchTenant('Archive Test Clinic');
  scratch.push(tenantId);
  const patients: string[] = [];
  for (let i = 0; i < count; i += 1) {
    const id = randomUUID();
    patients.push(id);
    await adminQuery(`INSERT INTO clinical_ops.patients (id, tenant_id, mrn, given_name, family_name, birth_date) VALUES ($1, $2, $3, 'Test', 'Patient', '1980-02-02')`, [
      id,
      tenantId,
      `ARCH-${i}`,
    ]);
    await adminQuery(`INSERT INTO clinical_ops.appointments (id, tenant_id, patient_id, starts_at, duration_minutes, status, reason) VALUES ($1, $2, $3, now(), 15, 'scheduled', 'Visit')`, [
      randomUUID(),
      tenantId,
      id,
    ]);
  }
  return { tenantId, patients };
}

const purgeRows = (db: Database, tenantId: string | null, table: string) =>
  db.withTenant(tenantId ? bound(tenantId) : platform, (tx) => tx.query<{ n: string }>('SELECT purge_tenant_rows($1) AS n', [table]));

describe('a tenant archive', () => {
  it('holds the bound tenant’s rows of every tenant table, once, and nobody else’s', async () => {
    const { tenantId, patients } = await tenantWithPatients(2);
    const other = await tenantWithPatients(1);
    const tables = await clinical.withTenant(bound(tenantId), (tx) => tenantTables(tx));
    expect(tables).toEqual(expect.arrayContaining(['patients', 'appointments', 'phi_access_log', 'break_glass_grants', 'workspace_workflows']));
    expect(tables).not.toContain('outbox');
    expect(tables).not.toContain('tenant_exports');
    // Deleting in this order never meets a foreign key.
    expect(tables.indexOf('appointments')).toBeLessThan(tables.indexOf('patients'));
    expect(tables.indexOf('phi_access_log')).toBeLessThan(tables.indexOf('break_glass_grants'));

    const first = await clinical.withTenant(bound(tenantId), (tx) => exportTenant(tx, tenantId));
    expect(first).toMatchObject({ created: true, rowCount: 4, tables: { patients: 2, appointments: 2, phi_access_log: 0, workspace_workflows: 0 } });
    const stored = await clinical.withTenant(bound(tenantId), (tx) => readArchive(tx, tenantId));
    expect(sha256Of(stored!.archive)).toBe(first.sha256);
    expect(stored!.archive.byteLength).toBe(first.bytes);
    const lines = stored!.archive.toString('utf8').trimEnd().split('\n').map((line) => JSON.parse(line) as { table: string; row: { id: string; tenant_id: string } });
    expect(lines.map((line) => line.table)).toEqual(['appointments', 'appointments', 'patients', 'patients']);
    expect(lines.filter((line) => line.table === 'patients').map((line) => line.row.id).sort()).toEqual([...patients].sort());
    expect(stored!.archive.toString('utf8')).not.toContain(other.patients[0]);

    // Asked again, the archive stays as it was.
    await adminQuery('INSERT INTO clinical_ops.workspace_workflows (tenant_id, workflow) VALUES ($1, $2)', [tenantId, 'claims']);
    expect(await clinical.withTenant(bound(tenantId), (tx) => exportTenant(tx, tenantId))).toEqual({ ...first, created: false });
    // Built afresh it would differ: the stored one is the one the tenant was offboarded with.
    expect((await clinical.withTenant(bound(tenantId), (tx) => buildArchive(tx, tenantId))).rowCount).toBe(5);
  });

  it('is purged with the tenant’s rows in one go, and a purge again changes nothing', async () => {
    const { tenantId } = await tenantWithPatients(3);
    const other = await tenantWithPatients(1);
    await clinical.withTenant(bound(tenantId), (tx) => exportTenant(tx, tenantId));
    const purged = await clinical.withTenant(bound(tenantId), (tx) => purgeTenant(tx, tenantId));
    expect(purged).toMatchObject({ outcome: 'purged', tables: { patients: 3, appointments: 3, tenant_exports: 1 } });
    expect(await adminQuery('SELECT count(*)::int AS n FROM clinical_ops.patients WHERE tenant_id = $1', [tenantId])).toEqual([{ n: 0 }]);
    expect(await adminQuery('SELECT count(*)::int AS n FROM clinical_ops.patients WHERE tenant_id = $1', [other.tenantId])).toEqual([{ n: 1 }]);
    expect(await clinical.withTenant(bound(tenantId), (tx) => readArchive(tx, tenantId))).toBeUndefined();
    expect(await adminQuery('SELECT bytes > 0 AS sized, archive IS NULL AS emptied FROM clinical_ops.tenant_exports WHERE tenant_id = $1', [tenantId])).toEqual([{ sized: true, emptied: true }]);
    expect(await clinical.withTenant(bound(tenantId), (tx) => purgeTenant(tx, tenantId))).toEqual({ outcome: 'already-purged' });
    // A tenant never exported is not purged at all.
    expect(await clinical.withTenant(bound(other.tenantId), (tx) => purgeTenant(tx, other.tenantId))).toEqual({ outcome: 'not-exported' });
  });
});

describe('purge_tenant_rows', () => {
  it('refuses a transaction not bound to a tenant, a tenant not exported, internals and tables without tenant rows', async () => {
    const { tenantId } = await tenantWithPatients(1);
    await expect(purgeRows(clinical, null, 'patients')).rejects.toThrow(/bind the transaction/);
    await expect(purgeRows(clinical, tenantId, 'patients')).rejects.toThrow(/has not been exported/);
    await clinical.withTenant(bound(tenantId), (tx) => exportTenant(tx, tenantId));
    for (const table of ['outbox', 'processed_events', 'tenant_exports', 'schema_migrations', 'no_such_table']) {
      await expect(purgeRows(clinical, tenantId, table), table).rejects.toMatchObject({ code: '42501' });
    }
    // Append-only for the application role, yet purged: through the function only.
    await expect(clinical.withTenant(bound(tenantId), (tx) => tx.query('DELETE FROM phi_access_log WHERE tenant_id = $1', [tenantId]))).rejects.toThrow(/permission denied/);
    expect(await purgeRows(clinical, tenantId, 'phi_access_log')).toEqual([{ n: '0' }]);
    expect(await adminQuery('SELECT count(*)::int AS n FROM clinical_ops.patients WHERE tenant_id = $1', [tenantId])).toEqual([{ n: 1 }]);
  });

  it('in tenancy, purges an OFFBOARDED tenant only, and never its row or audit record', async () => {
    const tenantId = await scratchTenant('Archive Test Clinic');
    scratch.push(tenantId);
    await adminQuery(`INSERT INTO tenancy.tenant_members (id, tenant_id, email, roles, status, invited_by) VALUES ($1, $2, 'someone@clinic.example', ARRAY['clinician'], 'invited', 'test')`, [
      randomUUID(),
      tenantId,
    ]);
    await tenancy.withTenant(bound(tenantId), (tx) => exportTenant(tx, tenantId, ['offboarding_domains']));
    await expect(purgeRows(tenancy, tenantId, 'tenant_members')).rejects.toThrow(/is not offboarded/);
    await adminQuery("UPDATE tenancy.tenants SET status = 'offboarded' WHERE id = $1", [tenantId]);
    for (const table of ['tenants', 'audit_log', 'audit_chains', 'security_events', 'offboarding_domains']) {
      await expect(purgeRows(tenancy, tenantId, table), table).rejects.toThrow(/is not a table of tenant rows to purge/);
    }
    expect(await purgeRows(tenancy, tenantId, 'tenant_members')).toEqual([{ n: '1' }]);
  });
});
