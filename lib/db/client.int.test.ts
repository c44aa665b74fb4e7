/**
 * Standalone connections outlive their server's end of them: a connection terminated while it
 * sits between statements is no uncaught exception (the test run would report one), and its next
 * statement fails with a connection error.
 */
import type pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { adminClient, adminUrl } from '../../test/support/platform.js';
import { connectClient, connectClients } from './client.js';

let admin: pg.Client;

beforeAll(async () => {
  admin = await adminClient();
});
afterAll(async () => {
  await admin?.end();
});

async function terminate(client: pg.Client): Promise<void> {
  const { rows } = await client.query<{ pid: number }>('SELECT pg_backend_pid() AS pid');
  await admin.query('SELECT pg_terminate_backend($1)', [rows[0]!.pid]);
  // The server's FATAL reaches the idle client, which emits 'error'.
  await new Promise((resolve) => setTimeout(resolve, 200));
}

describe('connectClient', () => {
  it('hears a connection the server ends between statements, and fails the next statement', async () => {
    const client = await connectClient(adminUrl());
    await terminate(client);
    await expect(client.query('SELECT 1')).rejects.toThrow(/not queryable|terminat|Connection/i);
    await client.end().catch(() => undefined);
  });

  it('connects several in order, and ends those already connected when one fails', async () => {
    const url = new URL(adminUrl());
    url.pathname = '/no_such_database_for_connect_clients';
    const before = await admin.query<{ n: number }>(`SELECT count(*)::int AS n FROM pg_stat_activity WHERE usename = current_user AND backend_type = 'client backend'`);
    await expect(connectClients([adminUrl(), adminUrl(), url.toString()])).rejects.toMatchObject({ code: '3D000' });
    await new Promise((resolve) => setTimeout(resolve, 200));
    const after = await admin.query<{ n: number }>(`SELECT count(*)::int AS n FROM pg_stat_activity WHERE usename = current_user AND backend_type = 'client backend'`);
    expect(after.rows[0]!.n).toBeLessThanOrEqual(before.rows[0]!.n);
    const [first, second] = await connectClients([adminUrl(), adminUrl()]);
    expect((await first!.query('SELECT 1 AS one')).rows).toEqual([{ one: 1 }]);
    await Promise.all([first!.end(), second!.end()]);
  });
});
