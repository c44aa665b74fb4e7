/**
 * The observability subgraph: tenant telemetry, served by Fastify + Mercurius with a schema
 * built by @apollo/subgraph's buildSubgraphSchema (Mercurius' own federation support is
 * Federation 1 only).
 */
import { buildSubgraphSchema } from '@apollo/subgraph';
import Fastify from 'fastify';
import type { GraphQLFormattedError } from 'graphql';
import mercurius from 'mercurius';
import type { Database } from '../../lib/db/index.js';
import { maskError } from '../../lib/errors.js';
import { errorBody } from '../../lib/http/apollo-http.js';
import { CareGraphError, HTTP_STATUS } from '../../lib/errors.js';
import { createLogger } from '../../lib/logger.js';
import { enforcePolicies } from '../../lib/policy/enforce.js';
import { enterRequestContext } from '../../lib/request-context.js';
import { folderOf, loadTypeDefs } from '../../lib/schema-file.js';
import { openSubgraphDatabase, type RunningService, type StartOptions } from '../../lib/subgraph.js';
import { createContextVerifier, type TenantContext } from '../../lib/tenant-context.js';
import { createObservabilityLoaders, healthResolvers } from './health.js';

export const name = 'observability';
export const typeDefs = loadTypeDefs(import.meta.url);
export const resolvers = { ...healthResolvers };
const dbSchema = 'observability';
export const migrationSet = { schema: dbSchema, directory: folderOf(import.meta.url, 'migrations') };

declare module 'fastify' {
  interface FastifyRequest {
    tenantContext?: TenantContext;
  }
  interface FastifyContextConfig {
    /** Answered without a tenant context (health checks); every other route requires one. */
    public?: boolean;
  }
}

export async function start(options: StartOptions): Promise<RunningService> {
  const { config } = options;
  const logger = createLogger(name, config.logLevel);
  const db: Database = await openSubgraphDatabase(
    { name, dbSchema, migrationsDir: migrationSet.directory },
    options,
  );
  const verifier = createContextVerifier(config);
  const app = Fastify({ logger: false, bodyLimit: 1_000_000 });

  // Refuse before Mercurius parses or executes anything: a subgraph answers only the gateway.
  // Decided by the route the router matched, never by the raw URL (the router decodes
  // `/%67raphql` to /graphql): only routes marked public skip the check, and requests that
  // match no route are checked too, so a new route is closed until it is declared public.
  app.addHook('onRequest', async (request, reply) => {
    if (request.routeOptions.config.public === true) return;
    try {
      request.tenantContext = verifier.verify(request.headers, name, 'graphql');
      enterRequestContext(request.tenantContext);
    } catch (error) {
      if (!(error instanceof CareGraphError)) throw error;
      return reply.code(HTTP_STATUS[error.code]).send(errorBody(error.code, error.message));
    }
  });

  await app.register(mercurius, {
    // @apollo/subgraph's resolver map type differs from Mercurius'; the schema is plain graphql-js.
    schema: enforcePolicies(buildSubgraphSchema({ typeDefs, resolvers: resolvers as never }), typeDefs),
    path: '/graphql',
    graphiql: false,
    context: (request) => {
      const tenant = request.tenantContext!;
      return { tenant, db, loaders: createObservabilityLoaders(db, tenant) };
    },
    errorFormatter: (execution, context) => {
      const formatted = mercurius.defaultErrorFormatter(execution, context);
      const requestId = (context as { tenant?: TenantContext }).tenant?.requestId;
      const errors = (formatted.response.errors ?? []) as GraphQLFormattedError[];
      for (const error of errors) {
        if (!error.extensions?.code) logger.error({ err: { message: error.message } }, 'unexpected resolver error');
      }
      return {
        statusCode: formatted.statusCode,
        response: { ...formatted.response, errors: errors.map((error) => maskError(error, requestId)) },
      };
    },
  });
  app.get('/healthz', { config: { public: true } }, async () => ({ status: 'ok', service: name }));

  const port = options.port ?? config.ports[name];
  await app.listen({ host: config.host, port });
  const address = app.server.address();
  const actualPort = typeof address === 'object' && address ? address.port : port;
  const url = `http://${config.host}:${actualPort}/graphql`;
  logger.info({ url }, 'subgraph ready');
  return {
    name,
    url,
    port: actualPort,
    db,
    async close() {
      await app.close();
      await db.close();
    },
  };
}
