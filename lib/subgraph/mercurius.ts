/**
 * The Mercurius adapter: serves a subgraph's hooks with Fastify + Mercurius. The schema is the
 * one @apollo/subgraph builds (Mercurius' own federation support is Federation 1 only), so
 * both servers execute the same schema with the same policy wrapping.
 */
import { randomUUID } from 'node:crypto';
import Fastify, { type FastifyError, type FastifyReply, type FastifyRequest } from 'fastify';
import type { GraphQLError, GraphQLFormattedError } from 'graphql';
import mercurius from 'mercurius';
import { CareGraphError, ContextInvalidError, ErrorCode } from '../errors.js';
import { errorBody } from '../http/apollo-http.js';
import { enterRequestContext } from '../request-context.js';
import type { ContextUse, TenantContext } from '../tenant-context.js';
import type { SubgraphContext } from './definition.js';
import type { ListeningSubgraph, RouteAnswer, SubgraphHooks } from './hooks.js';

declare module 'fastify' {
  interface FastifyRequest {
    tenantContext?: TenantContext;
  }
  interface FastifyContextConfig {
    /**
     * The context a route requires: none (`public`: health checks), a service's (`internal`);
     * unset, a tenant's, as GraphQL does. Requests that match no route need a tenant's too.
     */
    access?: 'public' | 'internal';
  }
}

const MAX_BODY_BYTES = 1_000_000;

/** Listens on `host:port` (0: a free port) and serves the subgraph's GraphQL, health and internal routes. */
export async function serveMercurius<Loaders>(
  hooks: SubgraphHooks<Loaders>,
  host: string,
  port: number,
  shutdownGraceMs: number,
): Promise<ListeningSubgraph> {
  const app = Fastify({
    logger: false,
    bodyLimit: MAX_BODY_BYTES,
    genReqId: () => randomUUID(),
    // Once closing, every new request (the gateway's /healthz probe included) gets 503 and its
    // connection closed, and idle keep-alive connections are closed; requests in flight finish.
    return503OnClosing: true,
    forceCloseConnections: 'idle',
  });
  const requestIdOf = (request: FastifyRequest) => request.tenantContext?.requestId ?? request.id;
  const send = (reply: FastifyReply, answer: RouteAnswer) => reply.code(answer.status).send(answer.body);

  // Refuse before Mercurius parses or executes anything: a subgraph answers only the gateway.
  // Decided by the route the router matched, never by the raw URL (the router decodes
  // `/%67raphql` to /graphql): only routes marked public skip the check, and requests that
  // match no route are checked too, so a new route is closed until it is declared otherwise.
  app.addHook('onRequest', async (request, reply) => {
    const access = request.routeOptions.config.access;
    if (access === 'public') return;
    const use: ContextUse = access === 'internal' ? 'internal' : 'graphql';
    try {
      request.tenantContext = hooks.verify(request.headers, use);
    } catch (error) {
      return send(reply, hooks.refuse(error));
    }
    enterRequestContext(request.tenantContext);
  });

  app.setNotFoundHandler((request, reply) => {
    send(reply, { status: 404, body: errorBody(ErrorCode.NotFound, `No route ${new URL(request.url, 'http://localhost').pathname}`) });
  });
  // Errors outside execution: refusals keep their code, malformed requests are the client's,
  // anything else is logged with the request id and answered masked.
  app.setErrorHandler((error: FastifyError, request, reply) => {
    if (error instanceof CareGraphError) return send(reply, hooks.refuse(error));
    const graphqlErrors = (error as { errors?: unknown }).errors;
    if (error.code === 'MER_ERR_GQL_VALIDATION' && Array.isArray(graphqlErrors)) {
      const errors = (graphqlErrors as GraphQLError[]).map((graphqlError) => hooks.formatError(clientQueryError(graphqlError), requestIdOf(request)));
      return send(reply, { status: 400, body: { errors } });
    }
    if (typeof error.statusCode === 'number' && error.statusCode >= 400 && error.statusCode < 500) {
      const code = error.statusCode === 413 ? ErrorCode.PayloadTooLarge : ErrorCode.BadUserInput;
      return send(reply, { status: error.statusCode, body: errorBody(code, error.message) });
    }
    return send(reply, hooks.requestFailed(error, requestIdOf(request)));
  });

  await app.register(mercurius, {
    schema: hooks.schema,
    path: '/graphql',
    graphiql: false,
    // Errors outside execution go to the handler above rather than through a GraphQL context.
    errorHandler: false,
    context: (request) => {
      if (!request.tenantContext) throw new ContextInvalidError();
      return hooks.context(request.tenantContext);
    },
    errorFormatter: (execution, context) => {
      const requestId = (context as Partial<SubgraphContext<Loaders>>).tenant?.requestId;
      hooks.reportErrors(execution.errors, requestId);
      const formatted = mercurius.defaultErrorFormatter(execution, context);
      const errors = (formatted.response.errors ?? []) as GraphQLFormattedError[];
      return {
        statusCode: formatted.statusCode,
        response: { ...formatted.response, errors: errors.map((error) => hooks.formatError(error, requestId)) },
      };
    },
  });
  // Awaited after execution (and error formatting) and before Mercurius hands the result to Fastify.
  app.graphql.addHook<Record<string, unknown>, SubgraphContext<Loaders>>('onResolution', async (execution, context) => {
    const replacement = await hooks.endRequest(context);
    if (!replacement) return;
    execution.data = replacement.data;
    // Mercurius sends errors as formatted by then; the replacement is formatted already.
    (execution as { errors?: unknown }).errors = replacement.errors;
  });

  app.get('/healthz', { config: { access: 'public' } }, async (_request, reply) => send(reply, hooks.health()));
  for (const [path, handle] of Object.entries(hooks.internalRoutes)) {
    app.route({
      method: ['GET', 'POST'],
      url: path,
      config: { access: 'internal' },
      handler: async (request, reply) => {
        if (!request.tenantContext) throw new ContextInvalidError();
        return send(reply, await handle(request.tenantContext, request.url, request.body));
      },
    });
  }

  await app.listen({ host, port });
  const address = app.server.address();
  const actualPort = typeof address === 'object' && address ? address.port : port;
  return {
    url: `http://${host}:${actualPort}/graphql`,
    port: actualPort,
    async close() {
      // Fastify waits for every request in flight; past the grace period they are cut off.
      const deadline = setTimeout(() => app.server.closeAllConnections(), shutdownGraceMs);
      try {
        await app.close();
      } finally {
        clearTimeout(deadline);
      }
    },
  };
}

/** A parse or validation error of the client's query, coded as Apollo codes it (it names only the query). */
function clientQueryError(error: GraphQLError): GraphQLFormattedError {
  const code = error.message.startsWith('Syntax Error') ? 'GRAPHQL_PARSE_FAILED' : 'GRAPHQL_VALIDATION_FAILED';
  const formatted = typeof error.toJSON === 'function' ? error.toJSON() : { message: error.message };
  return { ...formatted, extensions: { ...formatted.extensions, code } };
}
