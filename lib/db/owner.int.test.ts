/**
 * Work as the owner role (seeding, operator tooling): it runs as `caregraph_owner` in one
 * transaction, committed when the work succeeds and rolled back entirely when it fails.
 */
import { randomUUID } from 'node:crypto';
import type pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { adminClient, adminUrl } from '../../test/support/platform.js';
import { asOwner } from './owner.js';
import { OWNER_ROLE, SHARED_SCHEMA } from './roles.js';

let admin: pg.Client;
const probes: string[] = [];

beforeAll(async () => {
  admin = await adminClient();
});
afterAll(async () => {
  for (const probe of probes) await admin?.query(`DROP TABLE IF EXISTS ${SHARED_SCHEMA}.${probe}`);
  await admin?.end();
});

/**
 * A table of its own for each test, in the platform's shared schema (which the owner owns and
 * no tenant reads): what the work writes must not touch the seeded rows other tests read.
 */
function probeName(): string {
  const name = `owner_probe_${randomUUID().replace(/-/g, '')}`;
  probes.push(name);
  return name;
}
const createProbe = (client: pg.Client, name: string) => client.query(`CREATE TABLE ${SHARED_SCHEMA}.${name} (id int PRIMARY KEY); INSERT INTO ${SHARED_SCHEMA}.${name} VALUES (1)`);
const probeTables = async (name: string) =>
  (await admin.query<{ n: number }>(`SELECT count(*)::int AS n FROM pg_tables WHERE schemaname = $1 AND tablename = $2`, [SHARED_SCHEMA, name])).rows[0]!.n;

describe('asOwner', () => {
  it('runs as the owner role with the given schema first on the search path, and returns what the work returns', async () => {
    const seen = await asOwner(
      adminUrl(),
      async (client) => (await client.query<{ role: string; schema: string }>('SELECT current_user AS role, current_schema() AS schema')).rows[0],
      'tenancy',
    );
    expect(seen).toEqual({ role: OWNER_ROLE, schema: 'tenancy' });
  });

  it('commits the work when it succeeds, as the owner', async () => {
    const name = probeName();
    await asOwner(adminUrl(), (client) => createProbe(client, name));
    expect(await probeTables(name)).toBe(1);
    const { rows } = await admin.query<{ owner: string }>('SELECT tableowner AS owner FROM pg_tables WHERE schemaname = $1 AND tablename = $2', [SHARED_SCHEMA, name]);
    expect(rows[0]!.owner).toBe(OWNER_ROLE);
  });

  it('rolls everything back when the work fails, and rethrows its error', async () => {
    const name = probeName();
    await expect(
      asOwner(adminUrl(), async (client) => {
        await createProbe(client, name);
        throw new Error('seeding failed half way');
      }),
    ).rejects.toThrow('seeding failed half way');
    expect(await probeTables(name)).toBe(0);
  });
});
