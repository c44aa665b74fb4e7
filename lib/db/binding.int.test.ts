/**
 * The tenant binding against the real database, as the application role: settings the role
 * sets itself are ignored, a binding with a forged MAC, one made for another connection or
 * one that has expired raises insufficient_privilege, none of them reads another tenant's row
 * or writes a feature override, and a genuine `withTenant` still sees exactly its tenant.
 */
import type pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { adminClient, adminUrl, appClient, bindTransaction, bindingKey } from '../../test/support/platform.js';
import { TEST_APP_PASSWORD } from '../../test/support/env.js';
import { Database } from './database.js';
import { appUrl } from './roles.js';

let admin: pg.Client;
let app: pg.Client;
let other: pg.Client;
let db: Database;
let tenantA: string;
let tenantB: string;
let patientsOfA: number;
let allPatients: number;

beforeAll(async () => {
  admin = await adminClient();
  app = await appClient();
  other = await appClient();
  db = new Database({ url: appUrl(adminUrl(), TEST_APP_PASSWORD), schema: 'clinical_ops', poolSize: 1, bindingKey: bindingKey() });
  // Two tenants with patients in the shared tables (an isolated tenant's are in its own database).
  const { rows } = await admin.query<{ id: string }>(
    'SELECT t.id FROM tenancy.tenants t WHERE EXISTS (SELECT 1 FROM clinical_ops.patients p WHERE p.tenant_id = t.id) ORDER BY t.slug LIMIT 2',
  );
  [tenantA, tenantB] = rows.map((row) => row.id) as [string, string];
  const counts = await admin.query<{ a: number; all: number }>(
    'SELECT count(*) FILTER (WHERE tenant_id = $1)::int AS a, count(*)::int AS all FROM clinical_ops.patients',
    [tenantA],
  );
  ({ a: patientsOfA, all: allPatients } = counts.rows[0]!);
});
afterAll(async () => {
  await db?.close();
  await Promise.all([app?.end(), other?.end(), admin?.end()]);
});

/** Runs `work` in a transaction of `client` that is always rolled back. */
async function inTransaction<T>(client: pg.Client, work: () => Promise<T>): Promise<T> {
  await client.query('BEGIN');
  try {
    return await work();
  } finally {
    await client.query('ROLLBACK');
  }
}

const patientCount = async (client: pg.Client) =>
  (await client.query<{ n: number }>('SELECT count(*)::int AS n FROM clinical_ops.patients')).rows[0]!.n;

const insertOverride = (client: pg.Client, tenantId: string) =>
  client.query(
    `INSERT INTO tenancy.tenant_feature_overrides (tenant_id, feature, enabled, reason, approved_by)
     VALUES ($1, 'claims', true, 'binding test', 'nobody')`,
    [tenantId],
  );

/** Reads and a feature-override write both fail with insufficient_privilege and `message`. */
async function expectRefused(client: pg.Client, bind: () => Promise<unknown>, message: RegExp): Promise<void> {
  for (const statement of [() => patientCount(client), () => insertOverride(client, tenantB)]) {
    await inTransaction(client, async () => {
      await bind();
      await expect(statement()).rejects.toMatchObject({ code: '42501', message: expect.stringMatching(message) });
    });
  }
}

describe('tenant binding', () => {
  it('ignores the settings the application role could set itself', async () => {
    const forge = () =>
      app.query(
        `SELECT set_config('caregraph.access', 'platform', true), set_config('caregraph.tenant_id', $1, true),
                set_config('caregraph.partner_id', '', true)`,
        [tenantA],
      );
    await inTransaction(app, async () => {
      await forge();
      expect(await patientCount(app)).toBe(0);
      expect((await app.query('SELECT count(*)::int AS n FROM tenancy.tenants')).rows[0].n).toBe(0);
    });
    await inTransaction(app, async () => {
      await forge();
      await expect(insertOverride(app, tenantB)).rejects.toThrow(/row-level security/);
    });
  });

  it('raises on a binding signed with another key, or edited after signing', async () => {
    await expectRefused(app, () => bindTransaction(app, { access: 'platform' }, { key: 'not-the-key-'.repeat(4) }), /forged/);
    await expectRefused(
      app,
      async () => {
        const genuine = await bindTransaction(app, { access: 'tenant', tenantId: tenantA });
        await app.query("SELECT set_config('caregraph.binding', $1, true)", [genuine.replace(tenantA, tenantB)]);
      },
      /forged/,
    );
    await expectRefused(app, () => app.query("SELECT set_config('caregraph.binding', 'platform', true)"), /malformed/);
  });

  it('raises on a genuine binding replayed from another connection (read in pg_stat_activity)', async () => {
    let stolen = '';
    await db.withTenant({ access: 'platform', tenantId: null, principal: { id: 'test', kind: 'service' } }, async () => {
      // The pool's connection is idle in its transaction; its last statement carries the binding.
      const { rows } = await other.query<{ query: string }>(
        "SELECT query FROM pg_stat_activity WHERE application_name = 'caregraph-clinical_ops' AND query LIKE '%caregraph.binding%'",
      );
      stolen = /set_config\('caregraph\.binding', '([^']+)'/.exec(rows[0]?.query ?? '')?.[1] ?? '';
    });
    expect(stolen).toMatch(/^platform\|/);
    await expectRefused(other, () => other.query("SELECT set_config('caregraph.binding', $1, true)", [stolen]), /another connection/);
  });

  it('raises on an expired binding', async () => {
    const expiresAt = Math.floor(Date.now() / 1000) - 5;
    await expectRefused(app, () => bindTransaction(app, { access: 'platform', expiresAt }), /expired/);
  });

  it('keeps the key out of the application role’s reach', async () => {
    await expect(app.query('SELECT * FROM caregraph.binding_key')).rejects.toMatchObject({ code: '42501' });
    const helpers = await admin.query<{ name: string; owner: string; definer: boolean; config: string[] }>(
      `SELECT p.proname AS name, pg_get_userbyid(p.proowner) AS owner, p.prosecdef AS definer, p.proconfig AS config
         FROM pg_proc p WHERE p.pronamespace = 'caregraph'::regnamespace AND p.proname IN ('current_tenant_id', 'current_partner_id', 'platform_access')`,
    );
    expect(helpers.rows).toHaveLength(3);
    for (const helper of helpers.rows) {
      expect(helper, helper.name).toMatchObject({ owner: 'caregraph_owner', definer: true, config: ['search_path=pg_catalog, pg_temp'] });
    }
    await expect(app.query('SET ROLE caregraph_owner')).rejects.toMatchObject({ code: '42501' });
    const { rows } = await admin.query("SELECT pg_has_role('caregraph_app', 'caregraph_owner', 'MEMBER') AS member");
    expect(rows[0].member).toBe(false);
  });

  it('a genuine withTenant sees exactly its tenant’s rows, and platform access all of them', async () => {
    const service = { principal: { id: 'test', kind: 'service' as const } };
    const seen = await db.withTenant({ ...service, access: 'tenant', tenantId: tenantA }, (tx) =>
      tx.query<{ tenant_id: string; n: number }>('SELECT tenant_id, count(*)::int AS n FROM patients GROUP BY tenant_id'),
    );
    expect(seen).toEqual([{ tenant_id: tenantA, n: patientsOfA }]);
    const everything = await db.withTenant({ ...service, access: 'platform', tenantId: null }, (tx) =>
      tx.query<{ n: number }>('SELECT count(*)::int AS n FROM patients'),
    );
    expect(everything[0]!.n).toBe(allPatients);
    expect(allPatients).toBeGreaterThan(patientsOfA);
  });
});
