/**
 * Database entry points shared by every service: where the server is, the roles, the
 * migrations and the tenant-bound pool.
 */
import path from 'node:path';
import type { Config } from '../config.js';
import { embeddedServerUrl, freePort, startEmbeddedPostgres } from './embedded.js';
import { ensureRoles, gatewayDatabaseUrl, GATEWAY_ROLE, roleSettings } from './roles.js';

export { clientTx, Database, type Tx } from './database.js';
export { migrate, type MigrationSet } from './migrate.js';
export { appUrl, applicationUrl, ensureRoles, gatewayDatabaseUrl, gatewayUrl, roleSettings, APP_ROLE, GATEWAY_ROLE, OWNER_ROLE, type RoleSettings } from './roles.js';
export { resolveBindingKey } from './binding.js';
export { freePort, startEmbeddedPostgres, superuserPasswordFile } from './embedded.js';

export interface DatabaseServer {
  /** Admin connection string: roles, migrations, seeding. Never handed to a service. */
  adminUrl: string;
  /** Whether this process started the server (and must stop it). */
  embedded: boolean;
  stop(): Promise<void>;
  /** The embedded server: calls `listener` once when its process ends. Absent for DATABASE_URL. */
  onExit?(listener: (reason: string) => void): void;
}

/**
 * Where the database server will be, before it is up: the port the embedded server is to
 * listen on (none with DATABASE_URL), and the gateway role's connection string on it (none
 * when the gateway role has no password). `npm start` runs the gateway while PostgreSQL starts.
 */
export async function planDatabaseServer(config: Config): Promise<{ embeddedPort?: number; gatewayUrl?: string }> {
  if (config.database.url || config.database.gatewayUrl) return { gatewayUrl: gatewayDatabaseUrl(config) };
  const embeddedPort = await freePort();
  const password = config.database.gatewayPassword;
  return { embeddedPort, gatewayUrl: password ? embeddedServerUrl(embeddedPort, GATEWAY_ROLE, password) : undefined };
}

/**
 * Connects to DATABASE_URL when set, otherwise starts the embedded PostgreSQL under the data
 * folder (on `embeddedPort` when given); then makes sure the roles, their limits and the
 * binding key are in place.
 */
export async function openDatabaseServer(
  config: Config,
  options: { embeddedPort?: number; onLog?: (line: string) => void } = {},
): Promise<DatabaseServer> {
  const { onLog, embeddedPort } = options;
  // Resolved first: a missing production password fails before a server is started.
  const settings = roleSettings(config);
  let server: DatabaseServer;
  if (config.database.url) {
    server = { adminUrl: config.database.url, embedded: false, stop: async () => undefined };
  } else {
    const embedded = await startEmbeddedPostgres({ directory: path.join(config.dataDir, 'postgres'), port: embeddedPort, onLog });
    server = { adminUrl: embedded.url, embedded: true, stop: () => embedded.stop(), onExit: (listener) => embedded.onExit(listener) };
  }
  try {
    await ensureRoles(server.adminUrl, settings);
  } catch (error) {
    await server.stop();
    throw error;
  }
  return server;
}
