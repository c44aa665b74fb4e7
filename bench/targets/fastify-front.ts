/**
 * The gateway's HTTP front on Fastify 5 with `@as-integrations/fastify`, behind the same
 * `listenApollo` options, for bench/http-front.ts to measure against the node:http front
 * (lib/http/apollo-http.ts) on the same gateway (docs/adr/0003-gateway-http-front.md).
 *
 * It does the same work per request as the node:http front, in Fastify's own way: the context
 * (authentication) in an `onRequest` hook, before Fastify reads the body; the body capped by
 * `bodyLimit` and parsed by Fastify; the field-policy rewrite in `preHandler`; execution by the
 * integration's handler inside `around`; the rewrite's `finish` in `onSend`; the deadline as
 * a timer from `onRequest`; the same browser policy headers; the same routes and refusals.
 */
import { randomUUID } from 'node:crypto';
import type { AddressInfo } from 'node:net';
import type { BaseContext } from '@apollo/server';
import { fastifyApolloHandler } from '@as-integrations/fastify';
import Fastify, { type FastifyReply, type FastifyRequest } from 'fastify';
import {
  BadUserInputError,
  CareGraphError,
  ErrorCode,
  GatewayTimeoutError,
  HTTP_STATUS,
  MethodNotAllowedError,
  PayloadTooLargeError,
} from '../../lib/errors.js';
import { errorBody, isJsonMediaType, type ApolloHttpOptions, type RouteAnswer, type RunningHttpServer } from '../../lib/http/apollo-http.js';
import { BrowserPolicy, JSON_ANSWER_HEADERS } from '../../lib/http/browser-policy.js';

const DEFAULT_MAX_BODY_BYTES = 1_000_000;

interface RequestState<TContext> {
  requestId: string;
  controller: AbortController;
  context?: TContext;
  finish?: (result: Record<string, unknown>) => Record<string, unknown>;
  timer?: NodeJS.Timeout;
}

/** `listenApollo` on Fastify: same options, same answer. */
export async function listenApolloOnFastify<TContext extends BaseContext>(
  options: ApolloHttpOptions<TContext>,
  host: string,
  port: number,
): Promise<RunningHttpServer> {
  const graphqlPath = options.graphqlPath ?? '/graphql';
  const browser = options.browser ? new BrowserPolicy(options.browser) : undefined;
  const graphqlMethods = options.rewrite ? 'POST' : 'GET, POST';
  await options.server.start();
  const app = Fastify({ bodyLimit: options.maxBodyBytes ?? DEFAULT_MAX_BODY_BYTES, keepAliveTimeout: 65_000, logger: false });
  const states = new WeakMap<FastifyRequest, RequestState<TContext>>();
  const stateOf = (req: FastifyRequest) => states.get(req)!;

  const refuse = (reply: FastifyReply, error: CareGraphError, close: boolean, headers: Record<string, string> = {}) =>
    reply
      .code(HTTP_STATUS[error.code])
      .headers({ 'content-type': 'application/json; charset=utf-8', ...error.headers, ...headers, ...(close ? { connection: 'close' } : {}) })
      .send({ errors: [{ message: error.message, extensions: error.extensions }] });

  app.addHook('onRequest', async (req, reply) => {
    states.set(req, { requestId: randomUUID(), controller: new AbortController() });
    if (!browser) return;
    const path = req.url.split('?')[0];
    reply.headers({ ...JSON_ANSWER_HEADERS, ...browser.securityHeaders(req.raw), ...(path === graphqlPath ? browser.corsHeaders(req.raw) : {}) });
  });
  app.addHook('onResponse', async (req) => clearTimeout(states.get(req)?.timer));

  app.setErrorHandler((error: Error & { code?: string; statusCode?: number }, req, reply) => {
    const state = stateOf(req);
    if (error instanceof CareGraphError) return refuse(reply, error, !req.raw.readableEnded);
    if (error.code === 'FST_ERR_CTP_BODY_TOO_LARGE') {
      const limit = options.maxBodyBytes ?? DEFAULT_MAX_BODY_BYTES;
      return refuse(reply, new PayloadTooLargeError(`Request body exceeds ${limit} bytes`, { limit }), true);
    }
    if (error.statusCode === 400) return refuse(reply, new BadUserInputError('Request body is not valid JSON'), false);
    try {
      options.onError(error, { requestId: state.requestId, context: state.context });
    } catch {
      // As in the node:http front: a failing logger must not fail the answer.
    }
    return reply
      .code(500)
      .send(errorBody(ErrorCode.InternalServerError, `Internal server error (request ${state.requestId})`, { requestId: state.requestId }));
  });
  app.setNotFoundHandler((req, reply) => reply.code(404).send(errorBody(ErrorCode.NotFound, `No route ${req.url.split('?')[0]}`)));

  for (const [pattern, route] of Object.entries(options.routes ?? {})) {
    app.route({
      method: ['GET', 'POST', 'PUT', 'PATCH', 'DELETE'],
      url: pattern,
      handler: async (req, reply) => {
        if (req.method !== 'GET' && req.method !== 'POST') {
          return refuse(reply, new MethodNotAllowedError(`${req.url} takes GET and POST`), false, { allow: 'GET, POST' });
        }
        const answer: RouteAnswer = await route(req.raw, req.method === 'POST' ? req.body : undefined);
        if (!(answer.body instanceof Uint8Array)) return reply.code(answer.status).headers(answer.headers ?? {}).send(answer.body);
        for (const name of Object.keys(JSON_ANSWER_HEADERS)) reply.removeHeader(name);
        return reply.code(answer.status).headers(answer.headers ?? {}).send(Buffer.from(answer.body));
      },
    });
  }

  const execute = fastifyApolloHandler<TContext>(options.server, { context: async (req) => stateOf(req).context! });
  app.route({
    method: ['GET', 'POST', 'OPTIONS'],
    url: graphqlPath,
    // Before Fastify reads the body: a refused caller costs no parsing.
    onRequest: async (req, reply) => {
      if (browser && req.method === 'OPTIONS') {
        const { status, headers } = browser.preflight(req.raw, graphqlMethods);
        return reply.code(status).headers(headers).send();
      }
      if (options.browserRedirect && req.method === 'GET' && /\btext\/html\b/.test(req.headers.accept ?? '')) {
        return reply.redirect(options.browserRedirect, 302);
      }
      if (options.rewrite && req.method !== 'POST') {
        return refuse(reply, new MethodNotAllowedError('Send GraphQL requests with POST'), !req.raw.readableEnded, { allow: 'POST' });
      }
      const state = stateOf(req);
      if (options.timeoutMs) {
        state.timer = setTimeout(() => {
          const timeout = new GatewayTimeoutError(undefined, { requestId: state.requestId });
          state.controller.abort(timeout);
          if (!reply.sent) void refuse(reply, timeout, !req.raw.readableEnded);
        }, options.timeoutMs);
      }
      state.context = await options.createContext(req.raw, { requestId: state.requestId, signal: state.controller.signal });
      const contextHeaders = options.responseHeaders?.(state.context);
      if (contextHeaders) reply.headers(contextHeaders);
    },
    preHandler: async (req, reply) => {
      if (!options.rewrite) return;
      const state = stateOf(req);
      const rewritten = options.rewrite(req.body, state.context!);
      if ('refuse' in rewritten) return reply.code(rewritten.refuse.status).send(rewritten.refuse.body);
      req.body = rewritten.body;
      state.finish = rewritten.finish;
    },
    handler: async function (req, reply) {
      const state = stateOf(req);
      // The integration types its handler for its own route generics; the request is the same object.
      const run = async () => execute.call(this, req as Parameters<typeof execute>[0], reply as Parameters<typeof execute>[1]);
      const answer = await (options.around ? options.around(state.context!, run) : run());
      // The deadline answered meanwhile: this result has nowhere to go.
      return state.controller.signal.aborted ? reply : answer;
    },
    onSend: async (req, reply, payload) => {
      const { finish } = stateOf(req);
      if (!finish || typeof payload !== 'string' || !isJsonMediaType(String(reply.getHeader('content-type')))) return payload;
      return JSON.stringify(finish(JSON.parse(payload) as Record<string, unknown>));
    },
  });

  await app.listen({ host, port });
  const actualPort = (app.server.address() as AddressInfo).port;
  return {
    server: app.server,
    port: actualPort,
    url: `http://${host}:${actualPort}${graphqlPath}`,
    async close() {
      await app.close();
      await options.server.stop();
    },
  };
}
