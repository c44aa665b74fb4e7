/**
 * Database entry points shared by every service: where the server is, the roles, the
 * migrations and the tenant-bound pool.
 */
import path from 'node:path';
import type { Config } from '../config.js';
import { startEmbeddedPostgres } from './embedded.js';
import { ensureRoles } from './roles.js';

export { Database, type Tx } from './database.js';
export { migrate, type MigrationSet } from './migrate.js';
export { appUrl, ensureRoles, APP_ROLE, OWNER_ROLE } from './roles.js';
export { startEmbeddedPostgres } from './embedded.js';

export interface DatabaseServer {
  /** Admin connection string: roles, migrations, seeding. */
  adminUrl: string;
  /** Whether this process started the server (and must stop it). */
  embedded: boolean;
  stop(): Promise<void>;
}

/**
 * Connects to DATABASE_URL when set, otherwise starts the embedded PostgreSQL under the data
 * folder; then makes sure the roles exist.
 */
export async function openDatabaseServer(config: Config, onLog?: (line: string) => void): Promise<DatabaseServer> {
  let server: DatabaseServer;
  if (config.database.url) {
    server = { adminUrl: config.database.url, embedded: false, stop: async () => undefined };
  } else {
    const embedded = await startEmbeddedPostgres({ directory: path.join(config.dataDir, 'postgres'), onLog });
    server = { adminUrl: embedded.url, embedded: true, stop: embedded.stop };
  }
  try {
    await ensureRoles(server.adminUrl, config.database.appPassword);
  } catch (error) {
    await server.stop();
    throw error;
  }
  return server;
}
