/**
 * Isolation: the database itself, attacked as the security review did. Connected as the
 * application role (whose password every subgraph holds), it set `caregraph.access` to
 * `platform` and went from 0 visible patients to every patient of every tenant (1,046 of 40
 * tenants in the demo fleet), and inserted feature overrides. Row-level security now trusts
 * only a binding signed with a key the role cannot read, so the same statements see 0 rows
 * and write nothing.
 */
import type pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { adminClient, appClient, bindTransaction } from '../support/platform.js';

let admin: pg.Client;
let app: pg.Client;
let allPatients: number;
let tenants: number;
let someTenant: string;

beforeAll(async () => {
  admin = await adminClient();
  app = await appClient();
  const { rows } = await admin.query<{ patients: number; tenants: number; tenant: string }>(
    `SELECT count(*)::int AS patients, count(DISTINCT tenant_id)::int AS tenants, min(tenant_id::text) AS tenant FROM clinical_ops.patients`,
  );
  ({ patients: allPatients, tenants, tenant: someTenant } = rows[0]!);
});
afterAll(async () => {
  await app?.end();
  await admin?.end();
});

const visiblePatients = async () =>
  (await app.query<{ patients: number; tenants: number }>(
    'SELECT count(*)::int AS patients, count(DISTINCT tenant_id)::int AS tenants FROM clinical_ops.patients',
  )).rows[0]!;

describe('SQL as the application role, without the binding key', () => {
  it('sees no patient before the attack', async () => {
    // The pooled tenants' patients (an isolated tenant's are in its own database): hundreds, of most of the 40 tenants.
    expect(allPatients).toBeGreaterThanOrEqual(500);
    expect(tenants).toBeGreaterThanOrEqual(25);
    expect(await visiblePatients()).toEqual({ patients: 0, tenants: 0 });
  });

  it('still sees none after claiming platform access for the whole connection', async () => {
    await app.query("SELECT set_config('caregraph.access', 'platform', false)");
    try {
      expect(await visiblePatients()).toEqual({ patients: 0, tenants: 0 });
      await expect(
        app.query(
          `INSERT INTO tenancy.tenant_feature_overrides (tenant_id, feature, enabled, reason, approved_by)
           VALUES ($1, 'claims', true, 'granted by nobody', 'attacker')`,
          [someTenant],
        ),
      ).rejects.toThrow(/row-level security/);
    } finally {
      await app.query("SELECT set_config('caregraph.access', '', false)");
    }
  });

  it('still sees none after claiming a tenant in a transaction', async () => {
    await app.query('BEGIN');
    try {
      await app.query("SELECT set_config('caregraph.tenant_id', $1, true), set_config('caregraph.access', 'tenant', true)", [someTenant]);
      expect(await visiblePatients()).toEqual({ patients: 0, tenants: 0 });
    } finally {
      await app.query('ROLLBACK');
    }
  });

  it('while a genuine platform-level binding sees every patient (the count above is meaningful)', async () => {
    await app.query('BEGIN');
    try {
      await bindTransaction(app, { access: 'platform' });
      expect(await visiblePatients()).toEqual({ patients: allPatients, tenants });
    } finally {
      await app.query('ROLLBACK');
    }
  });
});
