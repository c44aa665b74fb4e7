/**
 * What `ensureRoles` gives the application role, checked by connecting as it: statement and
 * idle-in-transaction timeouts, no write (or read) of any schema's migration history, and no
 * way to the binding key, which `ensureRoles` replaces when it changes. And the gateway role:
 * its rate-limit counters, and no tenant's rows.
 */
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { adminClient, adminUrl, appClient, scratchDatabase, testConfig } from '../../test/support/platform.js';
import { TEST_APP_PASSWORD } from '../../test/support/env.js';
import { bindingPads } from './binding.js';
import { appUrl, ensureRoles, gatewayUrl, roleSettings } from './roles.js';

const SHORT_TIMEOUT_MS = 300;
let scratchDb: Awaited<ReturnType<typeof scratchDatabase>>;
let scratchUrl: string;
let admin: pg.Client;

beforeAll(async () => {
  admin = await adminClient();
  scratchDb = await scratchDatabase('roles');
  scratchUrl = scratchDb.url;
  await ensureRoles(scratchUrl, { ...roleSettings(testConfig()), statementTimeoutMs: SHORT_TIMEOUT_MS });
});
afterAll(async () => {
  await scratchDb?.drop();
  await admin?.end();
});

async function scratchAppClient(): Promise<pg.Client> {
  const client = new pg.Client({ connectionString: appUrl(scratchUrl, TEST_APP_PASSWORD) });
  await client.connect();
  return client;
}

describe('the application role', () => {
  it('has the configured statement timeout in each database ensureRoles ran in', async () => {
    const app = await appClient();
    try {
      expect((await app.query('SHOW statement_timeout')).rows[0].statement_timeout).toBe(`${testConfig().database.statementTimeoutMs / 1000}s`);
    } finally {
      await app.end();
    }
    const scratch = await scratchAppClient();
    try {
      expect((await scratch.query('SHOW statement_timeout')).rows[0].statement_timeout).toBe(`${SHORT_TIMEOUT_MS}ms`);
      await expect(scratch.query('SELECT pg_sleep(1)')).rejects.toMatchObject({ code: '57014', message: expect.stringMatching(/statement timeout/) });
    } finally {
      await scratch.end();
    }
  });

  it('loses a connection left idle inside a transaction beyond the timeout', async () => {
    const scratch = await scratchAppClient();
    const lost = new Promise<Error>((resolve) => scratch.once('error', resolve));
    await scratch.query('BEGIN');
    expect((await lost).message).toMatch(/idle-in-transaction timeout|terminat/);
    await expect(scratch.query('SELECT 1')).rejects.toThrow();
    await scratch.end().catch(() => undefined);
  });

  it('cannot read or write any schema’s migration history', async () => {
    const { rows } = await admin.query<{ table: string; privileges: string[] }>(
      `SELECT n.nspname || '.' || c.relname AS table,
              array(SELECT p FROM unnest(ARRAY['SELECT', 'INSERT', 'UPDATE', 'DELETE', 'TRUNCATE']) p
                     WHERE has_table_privilege('caregraph_app', c.oid, p)) AS privileges
         FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
        WHERE c.relname = 'schema_migrations' ORDER BY 1`,
    );
    expect(rows.map((row) => row.table)).toEqual(
      expect.arrayContaining(['clinical_ops.schema_migrations', 'erp.schema_migrations', 'observability.schema_migrations', 'tenancy.schema_migrations']),
    );
    for (const row of rows) expect(row.privileges, row.table).toEqual([]);
    const app = await appClient();
    try {
      await expect(app.query('DELETE FROM tenancy.schema_migrations')).rejects.toMatchObject({ code: '42501' });
      await expect(app.query("INSERT INTO erp.schema_migrations (version, name, checksum) VALUES (999, 'x', 'x')")).rejects.toMatchObject({ code: '42501' });
    } finally {
      await app.end();
    }
  });

  it('gets no privilege on the binding key, which ensureRoles replaces when the key changes', async () => {
    const settings = roleSettings(testConfig());
    await ensureRoles(scratchUrl, { ...settings, bindingKey: 'another-binding-key-'.repeat(3) });
    const client = new pg.Client({ connectionString: scratchUrl });
    await client.connect();
    try {
      const { rows } = await client.query<{ inner_pad: Buffer; grants: number }>(
        `SELECT inner_pad, (SELECT count(*)::int FROM information_schema.role_table_grants
                             WHERE table_schema = 'caregraph' AND table_name = 'binding_key' AND grantee <> 'caregraph_owner') AS grants
           FROM caregraph.binding_key`,
      );
      expect(rows).toHaveLength(1);
      expect(rows[0]!.inner_pad.equals(bindingPads('another-binding-key-'.repeat(3)).inner)).toBe(true);
      expect(rows[0]!.grants).toBe(0);
    } finally {
      await client.end();
    }
  });
});

describe('the gateway role', () => {
  async function gatewayClient(): Promise<pg.Client> {
    const client = new pg.Client({ connectionString: gatewayUrl(adminUrl(), testConfig().database.gatewayPassword!) });
    await client.connect();
    return client;
  }

  it('counts in the rate-limit table, with a short statement timeout', async () => {
    const gateway = await gatewayClient();
    try {
      expect((await gateway.query('SHOW statement_timeout')).rows[0].statement_timeout).toBe('2s');
      const bucket = `test:${process.pid}:${Date.now()}`;
      await gateway.query('INSERT INTO gateway.rate_limit_counters (bucket, window_index, hits) VALUES ($1, 1, 1)', [bucket]);
      const { rows } = await gateway.query('DELETE FROM gateway.rate_limit_counters WHERE bucket = $1 RETURNING hits', [bucket]);
      expect(rows).toEqual([{ hits: 1 }]);
    } finally {
      await gateway.end();
    }
  });

  it('reaches no subgraph table, no binding key and no migration history', async () => {
    const gateway = await gatewayClient();
    try {
      for (const sql of [
        'SELECT count(*) FROM tenancy.tenants',
        'SELECT count(*) FROM clinical_ops.patients',
        'SELECT count(*) FROM erp.plans',
        'SELECT count(*) FROM caregraph.binding_key',
        'SELECT count(*) FROM gateway.schema_migrations',
      ]) {
        await expect(gateway.query(sql), sql).rejects.toMatchObject({ code: '42501' });
      }
    } finally {
      await gateway.end();
    }
  });

  it('is out of the application role’s reach', async () => {
    const app = await appClient();
    try {
      await expect(app.query('SELECT count(*) FROM gateway.rate_limit_counters')).rejects.toMatchObject({ code: '42501' });
    } finally {
      await app.end();
    }
  });
});
