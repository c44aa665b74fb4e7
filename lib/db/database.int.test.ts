/**
 * The pool every request goes through, against the real database as the application role:
 * a context that cannot be bound is refused before a connection is taken, a failed unit of
 * work leaves nothing behind, every statement is counted, and a wrong binding key or password
 * stops the service at start with a message saying what to fix. (What a binding lets a
 * transaction see: binding.int.test.ts and rls.int.test.ts.)
 */
import { randomBytes, randomUUID } from 'node:crypto';
import type pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { adminClient, adminUrl, bindingKey } from '../../test/support/platform.js';
import { TEST_APP_PASSWORD } from '../../test/support/env.js';
import { Database } from './database.js';
import { appUrl } from './roles.js';
import type { TenantContext } from '../tenant-context.js';

let admin: pg.Client;
let db: Database;
let tenantA: string;

const platform = { access: 'platform', tenantId: null, principal: { id: 'database-test', kind: 'service' } } as const;
const tenantOf = (tenantId: string | null): Pick<TenantContext, 'access' | 'tenantId' | 'principal'> => ({ ...platform, access: 'tenant', tenantId });
const openDatabase = (overrides: { url?: string; bindingKey?: string } = {}) =>
  new Database({ url: overrides.url ?? appUrl(adminUrl(), TEST_APP_PASSWORD), schema: 'tenancy', poolSize: 1, bindingKey: overrides.bindingKey ?? bindingKey() });

beforeAll(async () => {
  admin = await adminClient();
  db = openDatabase();
  tenantA = (await admin.query<{ id: string }>('SELECT id FROM tenancy.tenants ORDER BY slug LIMIT 1')).rows[0]!.id;
});
afterAll(async () => {
  await db?.close();
  await admin?.end();
});

describe('Database.withTenant', () => {
  it('survives the server ending its connection mid-transaction: the work fails, the process and the pool carry on', async () => {
    const uncaught: unknown[] = [];
    const onUncaught = (error: unknown) => uncaught.push(error);
    process.on('uncaughtException', onUncaught);
    try {
      const failed = db.withTenant(tenantOf(tenantA), async (tx) => {
        const [{ pid }] = (await tx.query<{ pid: number }>('SELECT pg_backend_pid() AS pid')) as [{ pid: number }];
        await admin.query('SELECT pg_terminate_backend($1)', [pid]);
        // Give the client time to see the connection end while it is still checked out.
        await new Promise((resolve) => setTimeout(resolve, 200));
        return tx.query('SELECT 1');
      });
      await expect(failed).rejects.toThrow();
      // The pool (of one connection) replaces the dead client.
      expect(await db.withTenant(tenantOf(tenantA), (tx) => tx.query<{ one: number }>('SELECT 1 AS one'))).toEqual([{ one: 1 }]);
      expect(uncaught).toEqual([]);
    } finally {
      process.off('uncaughtException', onUncaught);
    }
  });

  it('refuses a context it cannot bind before taking a connection', async () => {
    const before = db.statementCount;
    await expect(db.withTenant(tenantOf(null), async () => 1)).rejects.toThrow('tenant access needs a tenant id');
    await expect(db.withTenant(tenantOf("x' OR true --"), async () => 1)).rejects.toThrow('tenant access needs a tenant id');
    await expect(db.withTenant({ ...platform, access: 'partner' }, async () => 1)).rejects.toThrow('partner access needs a partner id');
    await expect(db.withTenant({ ...platform, access: 'root' as 'platform' }, async () => 1)).rejects.toThrow('unknown access level');
    expect(db.statementCount).toBe(before);
  });

  it('runs the work in the schema first on the search path, as the application role', async () => {
    const [row] = await db.withTenant(tenantOf(tenantA), (tx) =>
      tx.query<{ role: string; schema: string; n: number }>('SELECT current_user AS role, current_schema() AS schema, count(*)::int AS n FROM tenants'),
    );
    expect(row).toEqual({ role: 'caregraph_app', schema: 'tenancy', n: 1 });
  });

  it('rolls the whole transaction back when the work fails, and the connection serves the next request', async () => {
    const feature = `database-test-${randomUUID()}`;
    await expect(
      db.withTenant(platform, async (tx) => {
        await tx.query(
          `INSERT INTO tenant_feature_overrides (tenant_id, feature, enabled, reason, approved_by) VALUES ($1, $2, true, 'test', 'nobody')`,
          [tenantA, feature],
        );
        expect(await tx.query('SELECT 1 FROM tenant_feature_overrides WHERE feature = $1', [feature])).toHaveLength(1);
        throw new Error('the work failed after writing');
      }),
    ).rejects.toThrow('the work failed after writing');
    expect((await admin.query('SELECT 1 FROM tenancy.tenant_feature_overrides WHERE feature = $1', [feature])).rowCount).toBe(0);
    // One pooled connection: it came back clean (no transaction left open on it).
    const [state] = await db.withTenant(tenantOf(tenantA), (tx) => tx.query<{ n: number }>('SELECT count(*)::int AS n FROM tenants'));
    expect(state).toEqual({ n: 1 });
  });

  it('counts every statement: the one-round-trip prelude as three, each query, and the commit', async () => {
    const before = db.statementCount;
    await db.withTenant(tenantOf(tenantA), async (tx) => {
      await tx.query('SELECT 1');
      await tx.query('SELECT 2');
    });
    expect(db.statementCount - before).toBe(3 + 2 + 1);
  });
});

describe('Database.verify', () => {
  it('passes with the right credentials and binding key', async () => {
    await expect(db.verify()).resolves.toBeUndefined();
  });

  it('names the binding key when the database holds another one', async () => {
    const wrongKey = openDatabase({ bindingKey: randomBytes(32).toString('base64url') });
    try {
      await expect(wrongKey.verify()).rejects.toThrow(/another binding key/);
    } finally {
      await wrongKey.close();
    }
  });

  // The embedded server checks passwords (scram-sha-256); a server given by DATABASE_URL may
  // trust local connections (CI's second server does), where no password can be wrong.
  it.skipIf(Boolean(process.env.DATABASE_URL))("says the application role's credentials were refused for a wrong password", async () => {
    const wrongPassword = openDatabase({ url: appUrl(adminUrl(), 'not-the-password') });
    try {
      await expect(wrongPassword.verify()).rejects.toThrow(/refused the application role's credentials/);
    } finally {
      await wrongPassword.close();
    }
  });

  it('closes once; closing again is harmless', async () => {
    const extra = openDatabase();
    await extra.close();
    await expect(extra.close()).resolves.toBeUndefined();
  });
});
