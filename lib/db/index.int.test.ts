/**
 * Opening the database server a service is configured with: DATABASE_URL's server is used as
 * it is (never stopped by us), with the roles and the binding key put in place before any
 * service connects; a server that cannot be prepared fails the start. (The embedded server:
 * embedded.int.test.ts.)
 */
import net from 'node:net';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { adminUrl, scratchDatabase, testConfig } from '../../test/support/platform.js';
import { openDatabaseServer } from './index.js';
import { SHARED_SCHEMA } from './roles.js';

let scratch: Awaited<ReturnType<typeof scratchDatabase>>;
let scratchUrl: string;

beforeAll(async () => {
  scratch = await scratchDatabase('open');
  scratchUrl = scratch.url;
});
afterAll(() => scratch?.drop());

/** A local port nothing listens on. */
async function closedPort(): Promise<number> {
  const server = net.createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as net.AddressInfo;
  await new Promise((resolve) => server.close(resolve));
  return port;
}

describe('openDatabaseServer', () => {
  it('uses the DATABASE_URL server as it is, and prepares the roles and binding key there', async () => {
    const server = await openDatabaseServer(testConfig({ DATABASE_URL: scratchUrl }));
    expect(server).toMatchObject({ adminUrl: scratchUrl, embedded: false });
    // Stopping leaves a server this process did not start running.
    await server.stop();
    const scratch = new pg.Client({ connectionString: scratchUrl });
    await scratch.connect();
    try {
      const { rows } = await scratch.query<{ connect: boolean; keys: number }>(
        `SELECT has_database_privilege('caregraph_app', current_database(), 'CONNECT') AS connect,
                (SELECT count(*)::int FROM ${SHARED_SCHEMA}.binding_key) AS keys`,
      );
      expect(rows[0]).toEqual({ connect: true, keys: 1 });
    } finally {
      await scratch.end();
    }
  });

  it('fails the start when the server cannot be prepared', async () => {
    const url = new URL(adminUrl());
    url.port = String(await closedPort());
    await expect(openDatabaseServer(testConfig({ DATABASE_URL: url.toString() }))).rejects.toThrow(/ECONNREFUSED/);
  });
});
