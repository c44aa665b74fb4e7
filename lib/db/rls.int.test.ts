/**
 * Row-level security, checked as the application role with plain SQL (no WHERE clauses): a
 * transaction bound to tenant A sees none of tenant B's rows, one with no tenant sees nothing,
 * and every tenant-owned table of every subgraph is covered by a policy whose helper calls are
 * evaluated once per statement. (Forged bindings: binding.int.test.ts.)
 */
import type pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { adminClient, appClient, bindTransaction } from '../../test/support/platform.js';
import type { BindingAccess } from './binding.js';

let admin: pg.Client;
let app: pg.Client;
let tenantTables: { schema: string; table: string }[];
let tenantA: string;
let tenantB: string;

beforeAll(async () => {
  admin = await adminClient();
  app = await appClient();
  const { rows } = await admin.query<{ schema: string; table: string }>(
    `SELECT c.table_schema AS schema, c.table_name AS table
       FROM information_schema.columns c
       JOIN information_schema.tables t USING (table_schema, table_name)
      WHERE c.column_name = 'tenant_id' AND t.table_type = 'BASE TABLE'
        AND c.table_schema IN ('tenancy', 'erp', 'clinical_ops', 'observability')
      ORDER BY 1, 2`,
  );
  tenantTables = rows;
  const tenants = await admin.query<{ id: string }>('SELECT id FROM tenancy.tenants ORDER BY slug LIMIT 2');
  [tenantA, tenantB] = tenants.rows.map((row) => row.id) as [string, string];
});
afterAll(async () => {
  await app?.end();
  await admin?.end();
});

async function asApp<T>(settings: { tenantId?: string; access?: BindingAccess }, work: () => Promise<T>): Promise<T> {
  await app.query('BEGIN');
  try {
    if (settings.access) await bindTransaction(app, { access: settings.access, tenantId: settings.tenantId ?? '' });
    return await work();
  } finally {
    await app.query('ROLLBACK');
  }
}

describe('row-level security', () => {
  it('covers every tenant-owned table of every subgraph', async () => {
    expect(tenantTables.map((t) => `${t.schema}.${t.table}`)).toEqual(
      expect.arrayContaining(['tenancy.tenants', 'erp.subscriptions', 'clinical_ops.patients', 'clinical_ops.appointments', 'observability.request_telemetry']),
    );
    for (const { schema, table } of tenantTables) {
      const { rows } = await admin.query(
        `SELECT c.relrowsecurity AS enabled, (SELECT count(*)::int FROM pg_policies p WHERE p.schemaname = $1 AND p.tablename = $2) AS policies
           FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace WHERE n.nspname = $1 AND c.relname = $2`,
        [schema, table],
      );
      expect({ table: `${schema}.${table}`, enabled: rows[0].enabled }).toEqual({ table: `${schema}.${table}`, enabled: true });
      expect(rows[0].policies, `${schema}.${table}`).toBeGreaterThanOrEqual(1);
    }
  });

  it('calls the binding helpers only as InitPlans, once per statement (not once per row)', async () => {
    const { rows } = await admin.query<{ policy: string; expression: string }>(
      `SELECT schemaname || '.' || tablename || ' ' || policyname AS policy, coalesce(qual, '') || ' ' || coalesce(with_check, '') AS expression
         FROM pg_policies WHERE schemaname IN ('tenancy', 'erp', 'clinical_ops', 'observability')`,
    );
    expect(rows.length).toBeGreaterThanOrEqual(10);
    for (const { policy, expression } of rows) {
      const calls = expression.match(/caregraph\.\w+\(\)/g) ?? [];
      const initPlans = expression.match(/\(\s*SELECT caregraph\.\w+\(\)/g) ?? [];
      expect(initPlans.length, `${policy}: ${expression}`).toBe(calls.length);
    }
  });

  it('the application role cannot bypass it', async () => {
    const { rows } = await admin.query("SELECT rolsuper, rolbypassrls FROM pg_roles WHERE rolname = 'caregraph_app'");
    expect(rows[0]).toEqual({ rolsuper: false, rolbypassrls: false });
  });

  it('with tenant A set, a query without WHERE sees no row of tenant B', async () => {
    for (const { schema, table } of tenantTables) {
      const seen = await asApp({ tenantId: tenantA, access: 'tenant' }, async () =>
        (await app.query<{ tenant_id: string }>(`SELECT DISTINCT tenant_id FROM ${schema}.${table}`)).rows.map((r) => r.tenant_id),
      );
      expect(seen.every((id) => id === tenantA), `${schema}.${table}`).toBe(true);
      expect(seen).not.toContain(tenantB);
    }
    const patientsOfA = await asApp({ tenantId: tenantA, access: 'tenant' }, async () =>
      (await app.query('SELECT count(*)::int AS n FROM clinical_ops.patients')).rows[0].n,
    );
    expect(patientsOfA).toBeGreaterThan(0);
  });

  it('with no tenant set, it sees nothing', async () => {
    for (const { schema, table } of tenantTables) {
      const count = await asApp({}, async () => (await app.query(`SELECT count(*)::int AS n FROM ${schema}.${table}`)).rows[0].n);
      expect(count, `${schema}.${table}`).toBe(0);
    }
    // Outside any transaction setting, too.
    expect((await app.query('SELECT count(*)::int AS n FROM clinical_ops.patients')).rows[0].n).toBe(0);
  });

  it('refuses writes of another tenant’s rows', async () => {
    await expect(
      asApp({ tenantId: tenantA, access: 'tenant' }, () =>
        app.query(
          `INSERT INTO clinical_ops.patients (id, tenant_id, mrn, given_name, family_name, birth_date)
           VALUES (gen_random_uuid(), $1, 'X-1', 'Eve', 'Sample', '2000-01-01')`,
          [tenantB],
        ),
      ),
    ).rejects.toThrow(/row-level security/);
  });
});
