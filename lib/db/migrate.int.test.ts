/**
 * Migrations apply to an empty database and are idempotent on a second run; an edited
 * migration is refused.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { migrateAll } from '../../scripts/platform.js';
import { adminUrl, testConfig } from '../../test/support/platform.js';
import { ensureRoles, roleSettings } from './roles.js';
import { migrate } from './migrate.js';

const database = `caregraph_migrate_${process.pid}_${Date.now().toString(36)}`;
let emptyUrl: string;

async function withServer<T>(work: (client: pg.Client) => Promise<T>): Promise<T> {
  const client = new pg.Client({ connectionString: adminUrl() });
  await client.connect();
  try {
    return await work(client);
  } finally {
    await client.end();
  }
}

beforeAll(async () => {
  await withServer((client) => client.query(`CREATE DATABASE ${database}`));
  const url = new URL(adminUrl());
  url.pathname = `/${database}`;
  emptyUrl = url.toString();
  await ensureRoles(emptyUrl, roleSettings(testConfig()));
});
afterAll(async () => {
  await withServer((client) => client.query(`DROP DATABASE IF EXISTS ${database} WITH (FORCE)`));
});

describe('migrations', () => {
  it('apply to an empty database, then are a no-op on a second run', async () => {
    const first = await migrateAll(emptyUrl);
    expect(first).toEqual(
      expect.arrayContaining(['tenancy/001_tenants_and_partners.sql', 'erp/001_plans_and_subscriptions.sql']),
    );
    expect(first.length).toBeGreaterThanOrEqual(4);
    const second = await migrateAll(emptyUrl);
    expect(second).toEqual([]);

    const client = new pg.Client({ connectionString: emptyUrl });
    await client.connect();
    const { rows } = await client.query(
      "SELECT tableowner FROM pg_tables WHERE schemaname IN ('tenancy', 'erp', 'clinical_ops', 'observability') GROUP BY 1",
    );
    const plans = await client.query('SELECT code FROM erp.plans ORDER BY monthly_price_minor');
    await client.end();
    expect(rows).toEqual([{ tableowner: 'caregraph_owner' }]);
    expect(plans.rows.map((r) => r.code)).toEqual(['standard', 'premium', 'enterprise']);
  });

  it('refuses a migration edited after it was applied, and rolls back a failing one', async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'caregraph-migrations-'));
    fs.writeFileSync(path.join(dir, '001_widgets.sql'), 'CREATE TABLE widgets (id int PRIMARY KEY);');
    await migrate(emptyUrl, { schema: 'scratch', directory: dir });
    fs.writeFileSync(path.join(dir, '001_widgets.sql'), 'CREATE TABLE widgets (id bigint PRIMARY KEY);');
    await expect(migrate(emptyUrl, { schema: 'scratch', directory: dir })).rejects.toThrow(/changed after it was applied/);

    fs.writeFileSync(path.join(dir, '001_widgets.sql'), 'CREATE TABLE widgets (id int PRIMARY KEY);');
    fs.writeFileSync(path.join(dir, '002_broken.sql'), 'CREATE TABLE gadgets (id int); SELECT no_such_function();');
    await expect(migrate(emptyUrl, { schema: 'scratch', directory: dir })).rejects.toThrow(/002_broken.sql failed/);
    const client = new pg.Client({ connectionString: emptyUrl });
    await client.connect();
    const { rows } = await client.query("SELECT to_regclass('scratch.gadgets') AS gadgets");
    await client.end();
    expect(rows[0].gadgets).toBeNull();
    fs.rmSync(dir, { recursive: true, force: true });
  });
});
