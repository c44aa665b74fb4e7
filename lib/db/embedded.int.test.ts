/**
 * The embedded server's superuser password: generated at initialisation into a file only its
 * user can read, and a cluster initialised with the fixed password of earlier versions is
 * switched to a generated one at its next start.
 */
import fs from 'node:fs';
import path from 'node:path';
import pg from 'pg';
import { afterAll, describe, expect, inject, it } from 'vitest';
import { adminUrl } from '../../test/support/platform.js';
import { startEmbeddedPostgres, superuserPasswordFile } from './embedded.js';

const LEGACY_PASSWORD = 'caregraph-embedded';
const scratch = path.join(inject('dataDir'), `embedded-${process.pid}`);
afterAll(() => fs.rmSync(scratch, { recursive: true, force: true }));

const modeOf = (file: string) => fs.statSync(file).mode & 0o777;

async function logsIn(url: string): Promise<boolean> {
  const client = new pg.Client({ connectionString: url });
  try {
    await client.connect();
  } catch {
    return false;
  }
  await client.end();
  return true;
}

const withPassword = (url: string, password: string) => {
  const changed = new URL(url);
  changed.password = password;
  return changed.toString();
};

describe('embedded PostgreSQL', () => {
  it.skipIf(Boolean(process.env.DATABASE_URL))('keeps the test cluster’s generated superuser password in a 0600 file', () => {
    const file = superuserPasswordFile(path.join(inject('dataDir'), 'postgres'));
    expect(modeOf(file)).toBe(0o600);
    const password = fs.readFileSync(file, 'utf8').trim();
    expect(password).not.toBe(LEGACY_PASSWORD);
    expect(password.length).toBeGreaterThanOrEqual(32);
    expect(decodeURIComponent(new URL(adminUrl()).password)).toBe(password);
  });

  it('moves a cluster initialised with the old fixed password to a generated one, and leaves the exit code alone', async () => {
    const directory = path.join(scratch, 'postgres');
    const file = superuserPasswordFile(directory);
    const exitListeners = [process.listeners('beforeExit').length, process.listeners('exit').length];
    // A cluster as earlier versions left it: superuser password fixed, no password file.
    const first = await startEmbeddedPostgres({ directory, ephemeral: true });
    // The package's exit hook would end the process with code 0 on beforeExit (a failed test
    // run passing): starting the server adds no exit listener.
    expect([process.listeners('beforeExit').length, process.listeners('exit').length]).toEqual(exitListeners);
    try {
      const client = new pg.Client({ connectionString: first.url });
      await client.connect();
      await client.query(`ALTER ROLE postgres PASSWORD '${LEGACY_PASSWORD}'`);
      await client.end();
    } finally {
      await first.stop();
    }
    fs.rmSync(file);

    const second = await startEmbeddedPostgres({ directory, ephemeral: true });
    try {
      const password = fs.readFileSync(file, 'utf8').trim();
      expect(modeOf(file)).toBe(0o600);
      expect(decodeURIComponent(new URL(second.url).password)).toBe(password);
      expect(await logsIn(second.url)).toBe(true);
      expect(await logsIn(withPassword(second.url, LEGACY_PASSWORD))).toBe(false);
    } finally {
      await second.stop();
    }
  }, 120_000);
});
