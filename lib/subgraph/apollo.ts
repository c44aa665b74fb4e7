/**
 * The Apollo adapter: serves a subgraph's hooks with @apollo/server behind the shared
 * node:http front (lib/http/apollo-http.ts), which verifies the context before the body is read.
 */
import { ApolloServer, type ApolloServerPlugin } from '@apollo/server';
import { ApolloServerPluginInlineTraceDisabled, ApolloServerPluginLandingPageDisabled } from '@apollo/server/plugin/disabled';
import { listenApollo, type PlainRoute } from '../http/apollo-http.js';
import { currentRequestContext, runWithRequestContext } from '../request-context.js';
import type { SubgraphContext } from './definition.js';
import type { ListeningSubgraph, SubgraphHooks } from './hooks.js';

/** Listens on `host:port` (0: a free port) and serves the subgraph's GraphQL, health and internal routes. */
export async function serveApollo<Loaders>(
  hooks: SubgraphHooks<Loaders>,
  host: string,
  port: number,
  shutdownGraceMs: number,
): Promise<ListeningSubgraph> {
  const server = new ApolloServer<SubgraphContext<Loaders>>({
    schema: hooks.schema,
    // Inline traces would expose resolver timings to any caller and cost time on every request.
    plugins: [ApolloServerPluginLandingPageDisabled(), ApolloServerPluginInlineTraceDisabled(), requestHooks(hooks)],
    // Automatic persisted queries would let a hash stand in for a query text; every query is sent whole.
    persistedQueries: false,
    formatError: (formatted) => hooks.formatError(formatted, currentRequestContext()?.requestId),
    includeStacktraceInErrorResponses: false,
  });
  const routes: Record<string, PlainRoute> = { '/healthz': async () => hooks.health() };
  for (const [path, handle] of Object.entries(hooks.internalRoutes)) {
    routes[path] = async (req, body) => {
      let caller;
      try {
        caller = hooks.verify(req.headers, 'internal');
      } catch (error) {
        return hooks.refuse(error);
      }
      return handle(caller, req.url ?? '/', body);
    };
  }
  return listenApollo(
    {
      server,
      // A service context is refused here: it opens every tenant and belongs on internal routes.
      createContext: async (req) => hooks.context(hooks.verify(req.headers, 'graphql')),
      around: (context, fn) => runWithRequestContext(context.tenant, fn),
      // listenApollo answers the masked 500 itself; the hook logs the error with the request id.
      onError: (error, { requestId, context }) => void hooks.requestFailed(error, context?.tenant.requestId ?? requestId),
      routes,
      // The gateway's readiness probes each subgraph's /healthz: a stopping subgraph says so.
      readinessPaths: ['/healthz'],
      shutdownGraceMs,
    },
    host,
    port,
  );
}

/** Unexpected-error logging and the request-end hook, as Apollo plugin hooks. */
function requestHooks<Loaders>(hooks: SubgraphHooks<Loaders>): ApolloServerPlugin<SubgraphContext<Loaders>> {
  return {
    async requestDidStart() {
      return {
        async didEncounterErrors({ errors, contextValue }) {
          hooks.reportErrors(errors, contextValue.tenant.requestId);
        },
        async willSendResponse({ contextValue, response }) {
          const replacement = await hooks.endRequest(contextValue);
          if (replacement) response.body = { kind: 'single', singleResult: replacement };
        },
      };
    },
  };
}
