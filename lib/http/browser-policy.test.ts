/**
 * The browser policy alone (which headers for which request), then through the node:http front
 * on a one-field ApolloServer: every answer carries the security headers whatever produced it,
 * JSON answers also the CSP that lets them do nothing, byte answers keep their own, and the
 * GraphQL path answers preflights before authentication and names only allowed origins.
 */
import type http from 'node:http';
import { ApolloServer } from '@apollo/server';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { UnauthenticatedError } from '../errors.js';
import { listenApollo, type RunningHttpServer } from './apollo-http.js';
import { BrowserPolicy, JSON_ANSWER_HEADERS } from './browser-policy.js';

const APP = 'https://app.example.test';
const LOCAL = 'http://localhost:5173';
const ELSEWHERE = 'https://evil.example.test';
const ALLOWED_HEADERS = ['content-type', 'authorization', 'x-tenant-id'];
const EXPOSED_HEADERS = ['ratelimit', 'retry-after'];
const PAGE_CSP = "default-src 'self'; frame-ancestors 'none'";

const policy = new BrowserPolicy({ allowedOrigins: [APP, LOCAL], allowedHeaders: ALLOWED_HEADERS, exposedHeaders: EXPOSED_HEADERS });

/** A request as the policy sees it: headers and whether its socket is TLS. */
const request = (headers: http.IncomingHttpHeaders = {}, encrypted = false) => ({ headers, socket: { encrypted } }) as unknown as http.IncomingMessage;

describe('BrowserPolicy', () => {
  it('sends nosniff and no-referrer always, HSTS only over HTTPS (a TLS socket, or a proxy that says so)', () => {
    expect(policy.securityHeaders(request())).toEqual({ 'x-content-type-options': 'nosniff', 'referrer-policy': 'no-referrer' });
    expect(policy.securityHeaders(request({}, true))['strict-transport-security']).toBe('max-age=31536000');
    expect(policy.securityHeaders(request({ 'x-forwarded-proto': 'https' }))['strict-transport-security']).toBe('max-age=31536000');
    expect(policy.securityHeaders(request({ 'x-forwarded-proto': 'https, http' }))['strict-transport-security']).toBe('max-age=31536000');
    expect(policy.securityHeaders(request({ 'x-forwarded-proto': 'http' }))['strict-transport-security']).toBeUndefined();
  });

  it('names an allowed origin, exactly as sent, and says the answer varies by origin', () => {
    expect(policy.corsHeaders(request({ origin: LOCAL }))).toEqual({
      vary: 'origin',
      'access-control-allow-origin': LOCAL,
      'access-control-expose-headers': 'ratelimit, retry-after',
    });
    for (const origin of [ELSEWHERE, 'https://app.example.test:443', 'https://APP.example.test', 'null', `${APP}.evil.test`]) {
      expect(policy.corsHeaders(request({ origin }))).toEqual({ vary: 'origin' });
    }
    expect(policy.corsHeaders(request())).toEqual({ vary: 'origin' });
  });

  it('gives no CORS header at all when no origin is allowed', () => {
    const closed = new BrowserPolicy({ allowedOrigins: [], allowedHeaders: ALLOWED_HEADERS });
    expect(closed.corsHeaders(request({ origin: APP }))).toEqual({});
    expect(closed.preflight(request({ origin: APP, 'access-control-request-method': 'POST' }), 'POST').headers).toEqual({ allow: 'POST, OPTIONS', 'content-length': '0' });
  });

  it('answers an allowed preflight with the methods, the request headers and a bounded max-age', () => {
    const answer = policy.preflight(request({ origin: APP, 'access-control-request-method': 'POST', 'access-control-request-headers': 'authorization' }), 'POST');
    expect(answer).toEqual({
      status: 204,
      headers: {
        allow: 'POST, OPTIONS',
        'content-length': '0',
        vary: 'origin',
        'access-control-allow-origin': APP,
        'access-control-expose-headers': 'ratelimit, retry-after',
        'access-control-allow-methods': 'POST',
        'access-control-allow-headers': 'content-type, authorization, x-tenant-id',
        'access-control-max-age': '600',
      },
    });
    // A plain OPTIONS from the same origin is no preflight: it learns the methods, nothing more.
    expect(policy.preflight(request({ origin: APP }), 'POST').headers['access-control-allow-methods']).toBeUndefined();
  });
});

describe('through the node:http front', () => {
  let front: RunningHttpServer;
  let contextsMade = 0;

  beforeAll(async () => {
    const server = new ApolloServer<{ caller: string }>({ typeDefs: /* GraphQL */ 'type Query { hello: String }', resolvers: { Query: { hello: () => 'world' } } });
    front = await listenApollo(
      {
        server,
        async createContext(req) {
          contextsMade++;
          if (req.headers.authorization !== 'let-me-in') throw new UnauthenticatedError();
          return { caller: 'someone' };
        },
        rewrite: (body) => ({ body }),
        responseHeaders: () => ({ ratelimit: '"default";r=99;t=60' }),
        routes: {
          '/healthz': async () => ({ status: 200, body: { status: 'ok' } }),
          '/page': async () => ({ status: 200, body: Buffer.from('<!doctype html>'), headers: { 'content-type': 'text/html; charset=utf-8', 'content-security-policy': PAGE_CSP } }),
          '/worker.js': async () => ({ status: 200, body: Buffer.from('self.onmessage = () => {};'), headers: { 'content-type': 'text/javascript; charset=utf-8' } }),
          '/broken': async () => {
            throw new Error('route failed');
          },
        },
        onError: () => undefined,
        browser: { allowedOrigins: [APP], allowedHeaders: ALLOWED_HEADERS, exposedHeaders: EXPOSED_HEADERS },
      },
      '127.0.0.1',
      0,
    );
  });
  afterAll(() => front?.close());

  const call = (path: string, init: RequestInit = {}) => fetch(new URL(path, front.url), init);
  const graphql = (headers: Record<string, string>) =>
    call('/graphql', { method: 'POST', headers: { 'content-type': 'application/json', ...headers }, body: JSON.stringify({ query: '{ hello }' }) });

  function expectSecurityHeaders(response: Response, json: boolean): void {
    expect(response.headers.get('x-content-type-options')).toBe('nosniff');
    expect(response.headers.get('referrer-policy')).toBe('no-referrer');
    expect(response.headers.get('strict-transport-security')).toBeNull();
    for (const [name, value] of Object.entries(JSON_ANSWER_HEADERS)) expect(response.headers.get(name)).toBe(json ? value : null);
  }

  it('answers GraphQL from an allowed origin with its origin, vary, the exposed headers and the security headers', async () => {
    const response = await graphql({ authorization: 'let-me-in', origin: APP });
    expect(response.status).toBe(200);
    expect(await response.json()).toEqual({ data: { hello: 'world' } });
    expect(response.headers.get('access-control-allow-origin')).toBe(APP);
    expect(response.headers.get('access-control-expose-headers')).toBe('ratelimit, retry-after');
    expect(response.headers.get('vary')).toBe('origin');
    expect(response.headers.get('ratelimit')).toBe('"default";r=99;t=60');
    expect(response.headers.get('access-control-allow-credentials')).toBeNull();
    expectSecurityHeaders(response, true);
  });

  it('gives a disallowed origin no CORS header, so its page cannot read the answer', async () => {
    const response = await graphql({ authorization: 'let-me-in', origin: ELSEWHERE });
    expect(response.status).toBe(200);
    expect([...response.headers.keys()].filter((name) => name.startsWith('access-control-'))).toEqual([]);
    expect(response.headers.get('vary')).toBe('origin');
    expectSecurityHeaders(response, true);
  });

  it('lets an allowed page read a refusal too (401 before the body is read)', async () => {
    const response = await graphql({ origin: APP });
    expect(response.status).toBe(401);
    expect(response.headers.get('access-control-allow-origin')).toBe(APP);
    expectSecurityHeaders(response, true);
  });

  it('answers a preflight 204 before any authentication, with what an allowed origin may send', async () => {
    const before = contextsMade;
    const allowed = await call('/graphql', { method: 'OPTIONS', headers: { origin: APP, 'access-control-request-method': 'POST', 'access-control-request-headers': 'authorization, content-type' } });
    expect(allowed.status).toBe(204);
    expect(await allowed.text()).toBe('');
    expect(Object.fromEntries([...allowed.headers].filter(([name]) => name.startsWith('access-control-') || name === 'vary' || name === 'allow'))).toEqual({
      allow: 'POST, OPTIONS',
      vary: 'origin',
      'access-control-allow-origin': APP,
      'access-control-expose-headers': 'ratelimit, retry-after',
      'access-control-allow-methods': 'POST',
      'access-control-allow-headers': 'content-type, authorization, x-tenant-id',
      'access-control-max-age': '600',
    });
    const refused = await call('/graphql', { method: 'OPTIONS', headers: { origin: ELSEWHERE, 'access-control-request-method': 'POST' } });
    expect(refused.status).toBe(204);
    expect([...refused.headers.keys()].filter((name) => name.startsWith('access-control-'))).toEqual([]);
    expect(contextsMade).toBe(before);
  });

  it('keeps CORS to the GraphQL path: other routes name no origin', async () => {
    const response = await call('/healthz', { headers: { origin: APP } });
    expect(response.status).toBe(200);
    expect(response.headers.get('access-control-allow-origin')).toBeNull();
    expectSecurityHeaders(response, true);
  });

  it('sends the security headers on a 404 and on a masked 500 too', async () => {
    expectSecurityHeaders(await call('/nowhere'), true);
    const broken = await call('/broken');
    expect(broken.status).toBe(500);
    expectSecurityHeaders(broken, true);
  });

  it('leaves byte answers their own headers: a page its CSP, a worker script none that would stop it', async () => {
    const page = await call('/page');
    expect(page.headers.get('content-security-policy')).toBe(PAGE_CSP);
    expect(page.headers.get('x-content-type-options')).toBe('nosniff');
    const worker = await call('/worker.js');
    expect(worker.status).toBe(200);
    expectSecurityHeaders(worker, false);
  });

  it('sends HSTS when a TLS-terminating proxy says the client came over HTTPS', async () => {
    const response = await call('/healthz', { headers: { 'x-forwarded-proto': 'https' } });
    expect(response.headers.get('strict-transport-security')).toBe('max-age=31536000');
  });
});
