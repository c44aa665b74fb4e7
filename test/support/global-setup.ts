/**
 * Prepares the one database every test run uses, migrated to latest and seeded with the
 * 40-tenant demo fleet:
 * - DATABASE_URL set: a fresh database `caregraph_test_*` on that server, dropped afterwards;
 * - otherwise: a throw-away embedded PostgreSQL under .caregraph/, removed afterwards.
 */
import fs from 'node:fs';
import path from 'node:path';
import pg from 'pg';
import type { TestProject } from 'vitest/node';
import { loadConfig } from '../../lib/config.js';
import { ensureRoles, roleSettings, startEmbeddedPostgres } from '../../lib/db/index.js';
import { ROOT } from '../../lib/federation/compose.js';
import { migrateAll, seedDemo } from '../../scripts/platform.js';
import { testEnvironment } from './env.js';

declare module 'vitest' {
  export interface ProvidedContext {
    adminUrl: string;
    dataDir: string;
  }
}

export default async function setup(project: TestProject): Promise<() => Promise<void>> {
  const runId = `${process.pid}_${Date.now().toString(36)}`;
  const dataDir = path.join(ROOT, '.caregraph', `test-${runId}`);
  fs.mkdirSync(dataDir, { recursive: true });
  let adminUrl: string;
  let teardown: () => Promise<void>;

  const serverUrl = process.env.DATABASE_URL;
  if (serverUrl) {
    const database = `caregraph_test_${runId}`.toLowerCase();
    const admin = new pg.Client({ connectionString: serverUrl });
    await admin.connect();
    await admin.query(`CREATE DATABASE ${database}`);
    await admin.end();
    const url = new URL(serverUrl);
    url.pathname = `/${database}`;
    adminUrl = url.toString();
    teardown = async () => {
      const client = new pg.Client({ connectionString: serverUrl });
      await client.connect();
      await client.query(`DROP DATABASE IF EXISTS ${database} WITH (FORCE)`);
      await client.end();
    };
  } else {
    const embedded = await startEmbeddedPostgres({ directory: path.join(dataDir, 'postgres'), ephemeral: true });
    adminUrl = embedded.url;
    teardown = () => embedded.stop();
  }

  // The binding key is generated into the run's data folder, where the workers' configuration finds it.
  await ensureRoles(adminUrl, roleSettings(loadConfig(testEnvironment(dataDir))));
  await migrateAll(adminUrl);
  await seedDemo(adminUrl, { tenants: 40 });
  project.provide('adminUrl', adminUrl);
  project.provide('dataDir', dataDir);
  return async () => {
    await teardown();
    fs.rmSync(dataDir, { recursive: true, force: true });
  };
}
