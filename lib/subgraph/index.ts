/**
 * The subgraph bootstrap, one for both servers: open the pool as the application role, build
 * the shared request hooks (hooks.ts), and serve them with the adapter of the subgraph's kind
 * in the registry — @apollo/server (apollo.ts) or Fastify + Mercurius (mercurius.ts), loaded
 * only by the process that serves with it. Migrations run before, as the owner role, in
 * `npm start` or `npm run migrate`. Each subgraph folder exports `{ name, typeDefs, resolvers,
 * definition, start }`.
 */
import { applicationUrl, type Database } from '../db/index.js';
import { servicePool } from '../db/tenant-databases.js';
import { createLogger } from '../logger.js';
import { SERVICES, type SubgraphKind } from '../services.js';
import { createContextVerifier } from '../tenant-context.js';
import type { RunningService, StartOptions, SubgraphDefinition } from './definition.js';
import { createSubgraphHooks, type ListeningSubgraph, type SubgraphHooks } from './hooks.js';

export { defineSubgraph } from './definition.js';
export type { InternalRoute, RunningService, StartOptions, SubgraphContext, SubgraphDefinition } from './definition.js';
export { safeErrorFields } from './hooks.js';

/**
 * Opens the subgraph's application-role pool and checks that the database accepts its
 * credentials and binding key.
 */
export async function openSubgraphDatabase(
  definition: Pick<SubgraphDefinition<unknown>, 'dbSchema' | 'name'>,
  options: StartOptions,
): Promise<Database> {
  const { config } = options;
  // A schema that follows placement (the registry says) gets a pool that routes each tenant.
  const db = servicePool(definition.name, options.databaseUrl ?? applicationUrl(config, definition.name), config, definition.dbSchema);
  try {
    await db.verify();
  } catch (error) {
    await db.close();
    throw error;
  }
  return db;
}

/**
 * Starts a subgraph on the server its registry entry names; `kind` overrides it (tests run one
 * definition on both servers).
 */
export async function startSubgraph<Loaders>(
  definition: SubgraphDefinition<Loaders>,
  options: StartOptions,
  kind: SubgraphKind = SERVICES[definition.name].kind,
): Promise<RunningService> {
  const { config } = options;
  const logger = options.logger ?? createLogger(definition.name, config.logLevel);
  const serve = await adapterOf(kind);
  const db = await openSubgraphDatabase(definition, options);
  let server: ListeningSubgraph;
  try {
    const hooks = createSubgraphHooks(definition, db, createContextVerifier(config), logger);
    server = await serve(hooks, config.host, options.port ?? config.ports[definition.name], config.shutdownGraceMs);
  } catch (error) {
    await db.close();
    throw error;
  }
  logger.info({ url: server.url }, 'subgraph ready');
  return {
    name: definition.name,
    url: server.url,
    port: server.port,
    db,
    // Readiness (/healthz) flips and new requests are refused first; the requests in flight
    // finish (within SHUTDOWN_GRACE_MS); the pool closes last, once nothing uses it.
    async close() {
      await server.close();
      await db.close();
    },
  };
}

/** Serves the hooks on `host:port`; `close()` then answers /healthz 503 and lets requests in flight finish within `shutdownGraceMs`. */
type Adapter = <Loaders>(hooks: SubgraphHooks<Loaders>, host: string, port: number, shutdownGraceMs: number) => Promise<ListeningSubgraph>;

async function adapterOf(kind: SubgraphKind): Promise<Adapter> {
  return kind === 'mercurius-subgraph' ? (await import('./mercurius.js')).serveMercurius : (await import('./apollo.js')).serveApollo;
}
