/**
 * A database for one micro-benchmark run: a scratch database on DATABASE_URL's server when one
 * is configured, else a throw-away embedded server under .caregraph/. `close()` removes it.
 */
import fs from 'node:fs';
import path from 'node:path';
import pg from 'pg';
import { startEmbeddedPostgres } from '../../lib/db/index.js';
import { ROOT } from '../../lib/services.js';

/** `label` names the database or folder (lowercase letters and underscores), with this process's id. */
export async function openScratchDatabase(serverUrl: string | undefined, label: string): Promise<{ url: string; close(): Promise<void> }> {
  if (serverUrl) {
    const name = `caregraph_bench_${label}_${process.pid}`;
    const admin = new pg.Client({ connectionString: serverUrl });
    await admin.connect();
    await admin.query(`CREATE DATABASE ${name}`);
    await admin.end();
    const url = new URL(serverUrl);
    url.pathname = `/${name}`;
    return {
      url: url.toString(),
      async close() {
        const client = new pg.Client({ connectionString: serverUrl });
        await client.connect();
        await client.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
        await client.end();
      },
    };
  }
  const directory = path.join(ROOT, '.caregraph', `bench-${label.replaceAll('_', '-')}-${process.pid}`);
  const embedded = await startEmbeddedPostgres({ directory: path.join(directory, 'postgres'), ephemeral: true });
  return {
    url: embedded.url,
    async close() {
      await embedded.stop();
      fs.rmSync(directory, { recursive: true, force: true });
    },
  };
}
