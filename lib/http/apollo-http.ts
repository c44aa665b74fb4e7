/**
 * A small node:http front for an ApolloServer: JSON body parsing with a size limit, a few
 * plain routes (health, JWKS, metrics), and a `createContext` step that may refuse the
 * request — with a registered error code and HTTP status — before GraphQL runs at all.
 * The gateway and the Apollo subgraphs share it; it replaces startStandaloneServer, which
 * cannot refuse a request before execution or serve other routes.
 */
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { HeaderMap, type ApolloServer, type BaseContext } from '@apollo/server';
import { CareGraphError, ErrorCode, HTTP_STATUS } from '../errors.js';

const MAX_BODY_BYTES = 1_000_000;

/** A route outside GraphQL. GET routes get no body; POST routes get the parsed JSON body (size-capped). */
export type PlainRoute = (
  req: http.IncomingMessage,
  body?: unknown,
) => Promise<{ status: number; body: unknown; headers?: Record<string, string> }>;

export interface ApolloHttpOptions<TContext extends BaseContext> {
  server: ApolloServer<TContext>;
  /** Builds the GraphQL context; throw a CareGraphError to refuse the request unexecuted. */
  createContext: (req: http.IncomingMessage) => Promise<TContext>;
  /** Routes outside GraphQL, by exact path: GET, and POST with a JSON body (service-to-service writes). */
  routes?: Record<string, PlainRoute>;
  /** Wraps the GraphQL execution, e.g. to run it inside the request's AsyncLocalStorage. */
  around?: <T>(context: TContext, fn: () => Promise<T>) => Promise<T>;
  graphqlPath?: string;
  /**
   * Rewrites a POST body before GraphQL sees it (the gateway's field policies). It may refuse
   * the request, or return `finish` to post-process the JSON result. When set, GET requests to
   * GraphQL are refused, since they would bypass it.
   */
  rewrite?: (body: unknown, context: TContext) => Rewrite;
}

export type Rewrite =
  | { body: unknown; finish?: (result: Record<string, unknown>) => Record<string, unknown> }
  | { refuse: { status: number; body: unknown } };

export interface RunningHttpServer {
  server: http.Server;
  port: number;
  url: string;
  close(): Promise<void>;
}

/** Starts the ApolloServer and listens on `host:port` (port 0 picks a free one). */
export async function listenApollo<TContext extends BaseContext>(
  options: ApolloHttpOptions<TContext>,
  host: string,
  port: number,
): Promise<RunningHttpServer> {
  const graphqlPath = options.graphqlPath ?? '/graphql';
  await options.server.start();
  const server = http.createServer((req, res) => {
    handle(req, res).catch((error: unknown) => {
      sendJson(res, 500, errorBody(ErrorCode.InternalServerError, 'Internal server error'));
      void error;
    });
  });
  server.keepAliveTimeout = 65_000;

  async function handle(req: http.IncomingMessage, res: http.ServerResponse): Promise<void> {
    const url = new URL(req.url ?? '/', 'http://localhost');
    const route = options.routes?.[url.pathname];
    if (route && (req.method === 'GET' || req.method === 'POST')) {
      let routeBody: unknown;
      if (req.method === 'POST') {
        try {
          routeBody = await readJson(req);
        } catch (error) {
          sendJson(res, 400, errorBody(ErrorCode.BadUserInput, (error as Error).message));
          return;
        }
      }
      const result = await route(req, routeBody);
      sendJson(res, result.status, result.body, result.headers);
      return;
    }
    if (url.pathname !== graphqlPath) {
      sendJson(res, 404, errorBody(ErrorCode.NotFound, `No route ${url.pathname}`));
      return;
    }
    if (options.rewrite && req.method !== 'POST') {
      sendJson(res, 405, errorBody(ErrorCode.BadUserInput, 'Send GraphQL requests with POST'), { allow: 'POST' });
      return;
    }
    let body: unknown;
    try {
      body = req.method === 'POST' ? await readJson(req) : undefined;
    } catch (error) {
      sendJson(res, 400, errorBody(ErrorCode.BadUserInput, (error as Error).message));
      return;
    }
    let context: TContext;
    try {
      context = await options.createContext(req);
    } catch (error) {
      if (error instanceof CareGraphError) {
        sendJson(res, HTTP_STATUS[error.code], { errors: [{ message: error.message, extensions: error.extensions }] });
        return;
      }
      throw error;
    }
    let finish: ((result: Record<string, unknown>) => Record<string, unknown>) | undefined;
    if (options.rewrite) {
      const rewritten = options.rewrite(body, context);
      if ('refuse' in rewritten) {
        sendJson(res, rewritten.refuse.status, rewritten.refuse.body);
        return;
      }
      body = rewritten.body;
      finish = rewritten.finish;
    }
    const headers = new HeaderMap();
    for (const [key, value] of Object.entries(req.headers)) {
      if (value !== undefined) headers.set(key, Array.isArray(value) ? value.join(', ') : value);
    }
    const execute = () =>
      options.server.executeHTTPGraphQLRequest({
        httpGraphQLRequest: { method: (req.method ?? 'GET').toUpperCase(), headers, search: url.search, body },
        context: async () => context,
      });
    const response = await (options.around ? options.around(context, execute) : execute());
    for (const [key, value] of response.headers) res.setHeader(key, value);
    res.statusCode = response.status ?? 200;
    if (response.body.kind === 'complete') {
      if (finish && response.headers.get('content-type')?.startsWith('application/json')) {
        const result = finish(JSON.parse(response.body.string) as Record<string, unknown>);
        const payload = JSON.stringify(result);
        res.setHeader('content-length', Buffer.byteLength(payload));
        res.end(payload);
        return;
      }
      res.end(response.body.string);
      return;
    }
    for await (const chunk of response.body.asyncIterator) res.write(chunk);
    res.end();
  }

  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => resolve());
  });
  const actualPort = (server.address() as AddressInfo).port;
  return {
    server,
    port: actualPort,
    url: `http://${host}:${actualPort}${graphqlPath}`,
    async close() {
      await new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeIdleConnections();
      });
      await options.server.stop();
    },
  };
}

/** The JSON shape of an error that ends a request before GraphQL runs. */
export function errorBody(code: ErrorCode, message: string): { errors: { message: string; extensions: { code: ErrorCode } }[] } {
  return { errors: [{ message, extensions: { code } }] };
}

export function sendJson(res: http.ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}): void {
  const payload = JSON.stringify(body);
  res.writeHead(status, { 'content-type': 'application/json; charset=utf-8', ...headers });
  res.end(payload);
}

async function readJson(req: http.IncomingMessage): Promise<unknown> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req) {
    size += (chunk as Buffer).length;
    if (size > MAX_BODY_BYTES) throw new Error(`Request body exceeds ${MAX_BODY_BYTES} bytes`);
    chunks.push(chunk as Buffer);
  }
  if (size === 0) return undefined;
  try {
    return JSON.parse(Buffer.concat(chunks).toString('utf8'));
  } catch {
    throw new Error('Request body is not valid JSON');
  }
}
