/**
 * What every subgraph shares: its definition shape, the per-request context, and the start-up
 * path (pool as the application role, verify the forwarded tenant context before any
 * execution; migrations run before, as the owner role, in `npm start` or `npm run migrate`).
 * Each subgraph folder exports `{ name, typeDefs, resolvers, start }`.
 */
import { ApolloServer, type ApolloServerPlugin, type BaseContext } from '@apollo/server';
import { ApolloServerPluginInlineTraceDisabled, ApolloServerPluginLandingPageDisabled } from '@apollo/server/plugin/disabled';
import { buildSubgraphSchema } from '@apollo/subgraph';
import type { GraphQLResolverMap } from '@apollo/subgraph/dist/schema-helper/resolverMap.js';
import type { DocumentNode } from 'graphql';
import type { Config, SubgraphName } from './config.js';
import { applicationUrl, Database, resolveBindingKey } from './db/index.js';
import { CareGraphError, ErrorCode, HTTP_STATUS, maskError } from './errors.js';
import { errorBody, listenApollo, type PlainRoute } from './http/apollo-http.js';
import { enforcePolicies, type PhiRead } from './policy/enforce.js';
import { createLogger, type Logger } from './logger.js';
import { currentRequestContext, runWithRequestContext } from './request-context.js';
import { createContextVerifier, type ContextVerifier, type TenantContext } from './tenant-context.js';

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
  /** Awaited after execution and before the response is sent, e.g. to write the audit. */
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
}

export interface RunningService {
  name: string;
  url: string;
  port: number;
  /** The subgraph's application-role pool (its statement counter is read by tests and benchmarks). */
  db?: Database;
  close(): Promise<void>;
}

/**
 * Opens the subgraph's application-role pool and checks that the database accepts its
 * credentials and binding key. (`migrationsDir` is for `npm run migrate`, not used here.)
 */
export async function openSubgraphDatabase(
  definition: Pick<SubgraphDefinition<unknown>, 'dbSchema' | 'migrationsDir' | 'name'>,
  options: StartOptions,
): Promise<Database> {
  const { config } = options;
  const db = new Database({
    url: options.databaseUrl ?? applicationUrl(config, definition.name),
    schema: definition.dbSchema,
    poolSize: config.database.poolSize,
    bindingKey: resolveBindingKey(config),
  });
  try {
    await db.verify();
  } catch (error) {
    await db.close();
    throw error;
  }
  return db;
}

/** Starts an Apollo subgraph (tenancy, erp, clinical-ops). */
export async function startApolloSubgraph<Loaders>(
  definition: SubgraphDefinition<Loaders>,
  options: StartOptions,
): Promise<RunningService> {
  const { config } = options;
  const logger = createLogger(definition.name, config.logLevel);
  const db = await openSubgraphDatabase(definition, options);
  const verifier = createContextVerifier(config);
  const server = new ApolloServer<SubgraphContext<Loaders>>({
    schema: enforcePolicies<SubgraphContext<Loaders>>(
      buildSubgraphSchema({ typeDefs: definition.typeDefs, resolvers: definition.resolvers }),
      definition.typeDefs,
      { onPhiRead: definition.onPhiRead },
    ),
    // Inline traces would expose resolver timings to any caller and cost time on every request.
    plugins: [
      ApolloServerPluginLandingPageDisabled(),
      ApolloServerPluginInlineTraceDisabled(),
      logUnexpectedErrors(logger),
      ...(definition.requestDidEnd ? [requestDidEndPlugin(definition.requestDidEnd)] : []),
    ],
    // Automatic persisted queries would let a hash stand in for a query text; every query is sent whole.
    persistedQueries: false,
    formatError: (formatted) => maskError(formatted, currentRequestContext()?.requestId),
    includeStacktraceInErrorResponses: false,
  });
  const http = await listenApollo(
    {
      server,
      async createContext(req) {
        // A service context is refused here: it opens every tenant and belongs on internal routes.
        const tenant = verifier.verify(req.headers, definition.name, 'graphql');
        return { tenant, db, loaders: definition.createLoaders(db, tenant) };
      },
      around: (context, fn) => runWithRequestContext(context.tenant, fn),
      onError: (error, { requestId, context }) =>
        logger.error({ err: safeErrorFields(error), requestId: context?.tenant.requestId ?? requestId }, 'request failed'),
      routes: {
        '/healthz': async () => ({ status: 200, body: { status: 'ok', service: definition.name } }),
        ...internalRoutes(definition.name, definition.internalRoutes ?? {}, verifier, db),
      },
    },
    config.host,
    options.port ?? config.ports[definition.name],
  );
  logger.info({ url: http.url }, 'subgraph ready');
  return {
    name: definition.name,
    url: http.url,
    port: http.port,
    db,
    async close() {
      await http.close();
      await db.close();
    },
  };
}

/** Wraps internal routes: a signed *service* context addressed to this subgraph is required. */
function internalRoutes(
  audience: string,
  routes: Record<string, InternalRoute>,
  verifier: ContextVerifier,
  db: Database,
): Record<string, PlainRoute> {
  const wrapped: Record<string, PlainRoute> = {};
  for (const [name, route] of Object.entries(routes)) {
    wrapped[`/internal/${name}`] = async (req, body) => {
      try {
        const caller = verifier.verify(req.headers, audience, 'internal');
        const params = new URL(req.url ?? '/', 'http://localhost').searchParams;
        return { status: 200, body: await runWithRequestContext(caller, () => route(params, db, caller, body)) };
      } catch (error) {
        if (error instanceof CareGraphError) return { status: HTTP_STATUS[error.code], body: errorBody(error.code, error.message) };
        throw error;
      }
    };
  }
  return wrapped;
}

function requestDidEndPlugin<TContext extends BaseContext>(hook: (context: TContext) => Promise<void>): ApolloServerPlugin<TContext> {
  return {
    async requestDidStart() {
      return {
        async willSendResponse({ contextValue, response, logger }) {
          try {
            await hook(contextValue);
          } catch (error) {
            // The hook writes what must accompany the answer (the PHI audit): no record, no answer.
            logger.error(`request end hook failed: ${(error as Error).message}`);
            response.body = {
              kind: 'single',
              singleResult: { data: null, errors: [{ message: 'Internal server error', extensions: { code: ErrorCode.InternalServerError } }] },
            };
          }
        },
      };
    },
  };
}

/** Logs errors that will be masked, so the operator can find them by request id. */
function logUnexpectedErrors(logger: Logger) {
  return {
    async requestDidStart() {
      return {
        async didEncounterErrors({ errors }: { errors: readonly { extensions?: Record<string, unknown>; originalError?: unknown; message: string }[] }) {
          for (const error of errors) {
            if (!error.extensions?.code || error.extensions.code === 'INTERNAL_SERVER_ERROR') {
              logger.error({ err: safeErrorFields(error.originalError ?? error) }, 'unexpected resolver error');
            }
          }
        },
      };
    },
  };
}

/**
 * Only name, message, SQLSTATE and stack: driver errors carry a `detail` that can quote row
 * values (PHI), so they are never serialised whole.
 */
export function safeErrorFields(error: unknown): { name?: string; message?: string; code?: string; stack?: string } {
  if (!(error instanceof Error)) return { message: String(error) };
  const code = (error as { code?: unknown }).code;
  return { name: error.name, message: error.message, code: typeof code === 'string' ? code : undefined, stack: error.stack };
}

/** The start function and migration set of an Apollo subgraph, from its definition. */
export function apolloSubgraph<Loaders>(definition: SubgraphDefinition<Loaders>) {
  return {
    start: (options: StartOptions) => startApolloSubgraph(definition, options),
    migrationSet: { schema: definition.dbSchema, directory: definition.migrationsDir },
  };
}
