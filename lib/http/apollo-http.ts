/**
 * A small node:http front for an ApolloServer: a few plain routes (health, JWKS, internal
 * routes), and for GraphQL a `createContext` step that may refuse the request — with a
 * registered error code and HTTP status — before the body is even read, a capped JSON body,
 * an optional rewrite (the gateway's field policies), an optional deadline, and optionally
 * security headers and CORS for browsers (browser-policy.ts).
 * The gateway and the Apollo subgraphs share it; it replaces startStandaloneServer, which
 * cannot refuse a request before execution or serve other routes.
 */
import { randomUUID } from 'node:crypto';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { HeaderMap, type ApolloServer, type BaseContext } from '@apollo/server';
import {
  CareGraphError,
  ErrorCode,
  GatewayTimeoutError,
  HTTP_STATUS,
  MethodNotAllowedError,
  PayloadTooLargeError,
} from '../errors.js';
import { BrowserPolicy, JSON_ANSWER_HEADERS, type BrowserPolicyOptions } from './browser-policy.js';
import { readJson } from './body.js';
import { closeGracefully } from './shutdown.js';

const DEFAULT_MAX_BODY_BYTES = 1_000_000;
const DEFAULT_SHUTDOWN_GRACE_MS = 10_000;

/**
 * A route outside GraphQL. GET routes get no body; POST routes get the parsed JSON body
 * (size-capped). The answer's body is sent as JSON, unless it is bytes (a `Uint8Array`: a
 * file, a page) or a stream of them (a `Readable`: an archive passed on from another service),
 * which are sent as they are under the route's own `content-type` header.
 * Throwing a CareGraphError refuses the request with its code and status.
 */
export type PlainRoute = (req: http.IncomingMessage, body?: unknown) => Promise<RouteAnswer>;

export interface RouteAnswer {
  status: number;
  body: unknown;
  headers?: Record<string, string>;
}

/** What the HTTP layer knows of a GraphQL request before its context exists. */
export interface RequestScope {
  /** A fresh id for this request, named in 500 and 504 answers; the gateway adopts it as its request id. */
  requestId: string;
  /** Aborts when the request's deadline passes: work still running for it should stop. */
  signal: AbortSignal;
}

export interface ApolloHttpOptions<TContext extends BaseContext> {
  server: ApolloServer<TContext>;
  /**
   * Builds the GraphQL context. It runs before the body is read, so an unauthenticated request
   * costs no body parsing; throw a CareGraphError to refuse the request unexecuted.
   */
  createContext: (req: http.IncomingMessage, scope: RequestScope) => Promise<TContext>;
  /**
   * Routes outside GraphQL, by exact path: GET, and POST with a JSON body (service-to-service
   * writes). A path ending in `/*` takes every path below it that no exact route takes (static
   * files; the route reads the rest from `req.url`).
   */
  routes?: Record<string, PlainRoute>;
  /**
   * Where a browser that opens the GraphQL path (a GET accepting `text/html`) is redirected
   * (302), e.g. to an explorer page. Other GETs are unaffected.
   */
  browserRedirect?: string;
  /**
   * Headers every GraphQL answer carries once the request has its context, whatever the
   * answer (executed, refused by the rewrite, or an error): e.g. the gateway's rate-limit state.
   */
  responseHeaders?: (context: TContext) => Record<string, string> | undefined;
  /** Wraps the GraphQL execution, e.g. to run it inside the request's AsyncLocalStorage. */
  around?: <T>(context: TContext, fn: () => Promise<T>) => Promise<T>;
  graphqlPath?: string;
  /**
   * Rewrites a POST body before GraphQL sees it (the gateway's field policies). It may refuse
   * the request, or return `finish` to post-process the JSON result. When set, GET requests to
   * GraphQL are refused, since they would bypass it.
   */
  rewrite?: (body: unknown, context: TContext) => Rewrite;
  /** Largest request body accepted, in bytes (default 1 MB); a larger one gets 413 PAYLOAD_TOO_LARGE and is not read. */
  maxBodyBytes?: number;
  /** A GraphQL request not answered within this many milliseconds gets 504 GATEWAY_TIMEOUT and its scope's signal aborts. */
  timeoutMs?: number;
  /**
   * Security headers on every answer and CORS on the GraphQL path (browser-policy.ts), for a
   * front that browsers reach: the gateway. Off when absent.
   */
  browser?: BrowserPolicyOptions;
  /**
   * Called once with every unexpected error (a failing route, context factory, rewrite,
   * execution wrapper or `finish`, and a failure that comes after the deadline answered);
   * the client gets a masked 500 naming the request id. Required: an error nobody logs is
   * an outage nobody sees.
   */
  onError: (error: unknown, request: { requestId: string; context?: TContext }) => void;
  /**
   * Routes that answer 503 `{ "status": "stopping" }` once `close()` has begun (the readiness a
   * load balancer or the gateway probes), so that nothing new is sent here while the requests in
   * flight finish.
   */
  readinessPaths?: readonly string[];
  /** How long `close()` lets the requests in flight finish before cutting them off (default 10 s). */
  shutdownGraceMs?: number;
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

interface RequestState<TContext> {
  requestId: string;
  context?: TContext;
  /** Headers every answer to the request carries (browser policy), kept to be set again on a masked 500. */
  baseHeaders?: Record<string, string>;
}

/** Starts the ApolloServer and listens on `host:port` (port 0 picks a free one). */
export async function listenApollo<TContext extends BaseContext>(
  options: ApolloHttpOptions<TContext>,
  host: string,
  port: number,
): Promise<RunningHttpServer> {
  const graphqlPath = options.graphqlPath ?? '/graphql';
  const maxBodyBytes = options.maxBodyBytes ?? DEFAULT_MAX_BODY_BYTES;
  const browser = options.browser ? new BrowserPolicy(options.browser) : undefined;
  const graphqlMethods = options.rewrite ? 'POST' : 'GET, POST';
  await options.server.start();

  const reportError = (error: unknown, state: RequestState<TContext>) => {
    try {
      options.onError(error, { requestId: state.requestId, context: state.context });
    } catch {
      // A failing logger must not turn one failed request into an unhandled rejection that
      // ends the process; the client still gets its masked answer below.
    }
  };
  let closing = false;
  const server = http.createServer((req, res) => {
    const state: RequestState<TContext> = { requestId: randomUUID() };
    // Stopping: this answer is the connection's last; the client reconnects elsewhere.
    if (closing) res.shouldKeepAlive = false;
    handle(req, res, state).catch((error: unknown) => {
      reportError(error, state);
      if (res.headersSent) return void res.destroy();
      // Headers set for the answer that failed (content-length among them) must not describe this one.
      for (const name of res.getHeaderNames()) res.removeHeader(name);
      setHeaders(res, state.baseHeaders);
      sendJson(
        res,
        500,
        errorBody(ErrorCode.InternalServerError, `Internal server error (request ${state.requestId})`, { requestId: state.requestId }),
        bodyUnread(req) ? { connection: 'close' } : {},
      );
    });
  });
  server.keepAliveTimeout = 65_000;

  async function handle(req: http.IncomingMessage, res: http.ServerResponse, state: RequestState<TContext>): Promise<void> {
    const url = new URL(req.url ?? '/', 'http://localhost');
    if (browser) {
      // Set first, so that every answer has them, and an answer that is not JSON can drop the JSON ones (sendAnswer).
      state.baseHeaders = { ...JSON_ANSWER_HEADERS, ...browser.securityHeaders(req), ...(url.pathname === graphqlPath ? browser.corsHeaders(req) : {}) };
      setHeaders(res, state.baseHeaders);
    }
    if (closing && options.readinessPaths?.includes(url.pathname)) return sendJson(res, 503, { status: 'stopping' });
    const route = options.routes ? routeFor(options.routes, url.pathname) : undefined;
    if (route && req.method !== 'GET' && req.method !== 'POST') {
      return refuse(res, new MethodNotAllowedError(`${url.pathname} takes GET and POST`), bodyUnread(req), { allow: 'GET, POST' });
    }
    if (route) {
      let routeBody: unknown;
      if (req.method === 'POST') {
        try {
          routeBody = await readJson(req, maxBodyBytes);
        } catch (error) {
          if (!(error instanceof CareGraphError)) throw error;
          return refuse(res, error, error instanceof PayloadTooLargeError);
        }
      }
      let result: RouteAnswer;
      try {
        result = await route(req, routeBody);
      } catch (error) {
        if (!(error instanceof CareGraphError)) throw error;
        return refuse(res, error, false);
      }
      await sendAnswer(res, result);
      return;
    }
    if (url.pathname !== graphqlPath) {
      sendJson(res, 404, errorBody(ErrorCode.NotFound, `No route ${url.pathname}`));
      return;
    }
    if (browser && req.method === 'OPTIONS') {
      // Before createContext: a browser's preflight carries no credentials.
      const { status, headers } = browser.preflight(req, graphqlMethods);
      res.writeHead(status, headers);
      res.end();
      return;
    }
    if (options.browserRedirect && req.method === 'GET' && /\btext\/html\b/.test(req.headers.accept ?? '')) {
      // A person who opens the API's URL in a browser gets the explorer, not a 405.
      res.writeHead(302, { location: options.browserRedirect, 'content-length': '0' });
      res.end();
      return;
    }
    if (options.rewrite && req.method !== 'POST') {
      // GET would bypass the rewrite (the gateway's field policies), so GraphQL is POST only.
      return refuse(res, new MethodNotAllowedError('Send GraphQL requests with POST'), bodyUnread(req), { allow: 'POST' });
    }
    const controller = new AbortController();
    const serving = serveGraphQL(req, res, url, state, controller.signal);
    if (!options.timeoutMs) return serving;
    const expired = await deadline(serving, options.timeoutMs, (late) => reportError(late, state));
    if (!expired) return;
    const timeout = new GatewayTimeoutError(undefined, { requestId: state.requestId });
    controller.abort(timeout);
    if (res.headersSent) res.destroy();
    else refuse(res, timeout, true);
  }

  /** Serves one GraphQL request; writes nothing once `signal` has aborted (the deadline answered). */
  async function serveGraphQL(req: http.IncomingMessage, res: http.ServerResponse, url: URL, state: RequestState<TContext>, signal: AbortSignal): Promise<void> {
    let context: TContext;
    let body: unknown;
    let bodyRead = req.method !== 'POST';
    try {
      context = await options.createContext(req, { requestId: state.requestId, signal });
      state.context = context;
      if (!bodyRead) body = await readJson(req, maxBodyBytes);
      bodyRead = true;
    } catch (error) {
      if (!(error instanceof CareGraphError)) throw error;
      if (!signal.aborted) refuse(res, error, !bodyRead);
      return;
    }
    if (signal.aborted) return;
    const contextHeaders = options.responseHeaders?.(context);
    if (contextHeaders) for (const [key, value] of Object.entries(contextHeaders)) res.setHeader(key, value);
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
    if (signal.aborted) return;
    for (const [key, value] of response.headers) res.setHeader(key, key === 'vary' ? mergedVary(res, value) : value);
    res.statusCode = response.status ?? 200;
    if (response.body.kind === 'complete') {
      if (finish && isJsonMediaType(response.headers.get('content-type'))) {
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
      closing = true;
      await closeGracefully(server, options.shutdownGraceMs ?? DEFAULT_SHUTDOWN_GRACE_MS);
      await options.server.stop();
    },
  };
}

/**
 * Resolves true when `ms` pass before `work` settles, false when it finishes first; rejects
 * with its error when it fails first. A failure after the deadline goes to `late`.
 */
function deadline(work: Promise<void>, ms: number, late: (error: unknown) => void): Promise<boolean> {
  return new Promise((resolve, reject) => {
    let expired = false;
    const timer = setTimeout(() => {
      expired = true;
      resolve(true);
    }, ms);
    work.then(
      () => {
        clearTimeout(timer);
        resolve(false);
      },
      (error: unknown) => {
        clearTimeout(timer);
        if (expired) late(error);
        else reject(error instanceof Error ? error : new Error(String(error)));
      },
    );
  });
}

/** The JSON shape of an error that ends a request before GraphQL runs. */
export function errorBody(
  code: ErrorCode,
  message: string,
  extensions: Record<string, unknown> = {},
): { errors: { message: string; extensions: { code: ErrorCode } & Record<string, unknown> }[] } {
  return { errors: [{ message, extensions: { ...extensions, code } }] };
}

/**
 * The route for `pathname`: its exact route, else the route of the longest `/*` prefix that
 * holds it (`/assets/*` takes `/assets/a.js`, not `/assets` nor `/assetsx`).
 */
export function routeFor(routes: Record<string, PlainRoute>, pathname: string): PlainRoute | undefined {
  const exact = routes[pathname];
  if (exact) return exact;
  for (let end = pathname.lastIndexOf('/'); end > 0; end = pathname.lastIndexOf('/', end - 1)) {
    const prefixed = routes[`${pathname.slice(0, end)}/*`];
    if (prefixed) return prefixed;
  }
  return undefined;
}

/** Sends a route's answer: bytes and streams as they are, anything else as JSON. */
async function sendAnswer(res: http.ServerResponse, answer: RouteAnswer): Promise<void> {
  if (answer.body instanceof Readable) {
    for (const name of Object.keys(JSON_ANSWER_HEADERS)) res.removeHeader(name);
    res.writeHead(answer.status, answer.headers);
    try {
      await pipeline(answer.body, res);
    } catch {
      // The source or the client went away mid-answer: the client sees a cut connection, not a
      // whole answer, and nothing else is owed to anyone.
      res.destroy();
    }
    return;
  }
  if (!(answer.body instanceof Uint8Array)) return sendJson(res, answer.status, answer.body, answer.headers);
  // Bytes are a page or an asset, not JSON: what they need is the route's to say.
  for (const name of Object.keys(JSON_ANSWER_HEADERS)) res.removeHeader(name);
  res.writeHead(answer.status, { 'content-length': String(answer.body.byteLength), ...answer.headers });
  res.end(answer.body);
}

/**
 * Whether a GraphQL answer is a JSON result: `application/json`, or
 * `application/graphql-response+json` for a client that asked for it (GraphQL over HTTP).
 */
export function isJsonMediaType(contentType: string | undefined): boolean {
  const type = contentType?.split(';')[0]?.trim().toLowerCase();
  return type === 'application/json' || type === 'application/graphql-response+json';
}

function setHeaders(res: http.ServerResponse, headers: Record<string, string> | undefined): void {
  if (headers) for (const [key, value] of Object.entries(headers)) res.setHeader(key, value);
}

/** A `vary` the answer sets, added to the one already set (`origin`) rather than replacing it. */
function mergedVary(res: http.ServerResponse, value: string): string {
  const existing = res.getHeader('vary');
  return existing === undefined ? value : `${String(existing)}, ${value}`;
}

export function sendJson(res: http.ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}): void {
  const payload = JSON.stringify(body);
  res.writeHead(status, { 'content-type': 'application/json; charset=utf-8', ...headers });
  res.end(payload);
}

/**
 * Answers a registered error. `close` when the request body was left unread: the connection
 * is closed rather than kept alive, which would mean reading (and discarding) all of it.
 */
function refuse(res: http.ServerResponse, error: CareGraphError, close: boolean, headers: Record<string, string> = {}): void {
  sendJson(
    res,
    HTTP_STATUS[error.code],
    { errors: [{ message: error.message, extensions: error.extensions }] },
    { ...error.headers, ...headers, ...(close ? { connection: 'close' } : {}) },
  );
}

/**
 * Whether the request may still have body bytes coming that nothing read. An answer to such a
 * request closes the connection rather than drain the rest for a keep-alive.
 */
function bodyUnread(req: http.IncomingMessage): boolean {
  return req.method !== 'GET' && req.method !== 'HEAD' && !req.readableEnded;
}
