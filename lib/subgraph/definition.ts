/**
 * What a subgraph declares, whichever server runs it: its schema and resolvers, the loaders
 * each request gets, its internal routes and its request hooks. Apollo and Mercurius
 * subgraphs are declared alike; the registry (lib/services.ts) says which server runs each.
 */
import type { GraphQLResolverMap } from '@apollo/subgraph/dist/schema-helper/resolverMap.js';
import type { DocumentNode } from 'graphql';
import type { Config } from '../config.js';
import type { Database } from '../db/index.js';
import type { Logger } from '../logger.js';
import type { PhiRead } from '../policy/enforce.js';
import { resolvePath, SERVICES, type SubgraphName } from '../services.js';
import type { TenantContext } from '../tenant-context.js';

export type { RunningService } from '../services.js';

/** The GraphQL context of a subgraph request. */
export interface SubgraphContext<Loaders> {
  tenant: TenantContext;
  db: Database;
  /** DataLoaders created per request; a request acts for one tenant, so caches never span tenants. */
  loaders: Loaders;
}

export interface SubgraphDefinition<Loaders> {
  name: SubgraphName;
  /** The Postgres schema this subgraph owns. */
  dbSchema: string;
  typeDefs: DocumentNode;
  /** Resolvers receive a SubgraphContext<Loaders>; typed loosely because Apollo's map is context-invariant. */
  resolvers: GraphQLResolverMap<unknown>;
  /** Folder of this subgraph's ordered migrations. */
  migrationsDir: string;
  createLoaders(db: Database, tenant: TenantContext): Loaders;
  /** Routes under /internal/ for other services (the gateway), callable only with a service context. */
  internalRoutes?: Record<string, InternalRoute>;
  /** Called for every PHI field read (after the policy allowed it), e.g. to audit it. */
  onPhiRead?: (context: SubgraphContext<Loaders>, read: PhiRead) => void;
  /**
   * Awaited after execution and before the response is sent, e.g. to write the audit. When it
   * fails, the answer is replaced by a masked error: what it writes must accompany the answer.
   */
  requestDidEnd?: (context: SubgraphContext<Loaders>) => Promise<void>;
}

/**
 * A service-to-service call: query parameters (and, for POST, the JSON body) in, JSON out.
 * Reads are GET, writes (e.g. recording a security event) POST.
 */
export type InternalRoute = (params: URLSearchParams, db: Database, caller: TenantContext, body?: unknown) => Promise<unknown>;

export interface StartOptions {
  config: Config;
  /**
   * The application role's connection string; defaults to DATABASE_APP_URL (or one derived
   * from DATABASE_URL and DATABASE_APP_PASSWORD). Migrations are not the subgraph's job:
   * `npm start` and `npm run migrate` run them as the owner role.
   */
  databaseUrl?: string;
  /** Port to listen on; defaults to the configured one (0 picks a free port). */
  port?: number;
  /** Where the subgraph logs; defaults to a logger of its own at the configured level. */
  logger?: Logger;
}

/**
 * A subgraph's definition, with what the registry already says about it (its database schema
 * and migrations folder) filled in from there rather than written twice.
 */
export function defineSubgraph<Loaders>(
  name: SubgraphName,
  parts: Omit<SubgraphDefinition<Loaders>, 'name' | 'dbSchema' | 'migrationsDir'>,
): SubgraphDefinition<Loaders> {
  const { database } = SERVICES[name];
  return { name, dbSchema: database.schema, migrationsDir: resolvePath(database.migrations), ...parts };
}
