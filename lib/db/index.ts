/**
 * Database entry points shared by every service: where the server is, the roles, the
 * migrations and the tenant-bound pool.
 */
import path from 'node:path';
import type { Config } from '../config.js';
import { startEmbeddedPostgres } from './embedded.js';
import { ensureRoles, roleSettings } from './roles.js';

export { Database, type Tx } from './database.js';
export { migrate, type MigrationSet } from './migrate.js';
export { appUrl, applicationUrl, ensureRoles, roleSettings, APP_ROLE, OWNER_ROLE, type RoleSettings } from './roles.js';
export { resolveBindingKey } from './binding.js';
export { startEmbeddedPostgres, superuserPasswordFile } from './embedded.js';

export interface DatabaseServer {
  /** Admin connection string: roles, migrations, seeding. Never handed to a service. */
  adminUrl: string;
  /** Whether this process started the server (and must stop it). */
  embedded: boolean;
  stop(): Promise<void>;
}

/**
 * Connects to DATABASE_URL when set, otherwise starts the embedded PostgreSQL under the data
 * folder; then makes sure the roles, their limits and the binding key are in place.
 */
export async function openDatabaseServer(config: Config, onLog?: (line: string) => void): Promise<DatabaseServer> {
  // Resolved first: a missing production password fails before a server is started.
  const settings = roleSettings(config);
  let server: DatabaseServer;
  if (config.database.url) {
    server = { adminUrl: config.database.url, embedded: false, stop: async () => undefined };
  } else {
    const embedded = await startEmbeddedPostgres({ directory: path.join(config.dataDir, 'postgres'), onLog });
    server = { adminUrl: embedded.url, embedded: true, stop: () => embedded.stop() };
  }
  try {
    await ensureRoles(server.adminUrl, settings);
  } catch (error) {
    await server.stop();
    throw error;
  }
  return server;
}
