import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CareGraphError } from '../lib/errors.js';
import { CircuitBreaker } from '../lib/http/circuit-breaker.js';
import type { Principal } from './authenticate.js';
import { readinessRoute, subgraphStatusRoute } from './health.js';

describe('readinessRoute', () => {
  let healthy = true;
  let server: http.Server;
  let up: string;
  // Nothing listens there: connecting is refused at once.
  const down = 'http://127.0.0.1:1/graphql';

  beforeAll(async () => {
    server = http.createServer((_request, response) => response.writeHead(healthy ? 200 : 503).end());
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    up = `http://127.0.0.1:${(server.address() as AddressInfo).port}/graphql`;
  });
  afterAll(() => new Promise<void>((resolve) => server.close(() => resolve())));

  const recorder = () => {
    const lines: { level: string; fields: unknown; message?: string }[] = [];
    const record = (level: string) => (fields: unknown, message?: string) => void lines.push({ level, fields, message });
    return { lines, logger: { warn: record('warn'), info: record('info') } as never };
  };

  it('answers ready or not only, and logs a failure once until it changes', async () => {
    const { lines, logger } = recorder();
    const route = readinessRoute({ tenancy: up, erp: down }, logger);
    const probe = () => route({} as never);

    for (let poll = 0; poll < 5; poll += 1) {
      expect(await probe()).toEqual({ status: 503, body: { status: 'not ready', rateLimits: 'off' } });
    }
    expect(lines).toEqual([{ level: 'warn', fields: { subgraphs: { erp: 'unreachable' } }, message: 'not ready: subgraph health checks failed' }]);

    healthy = false;
    await probe();
    await probe();
    expect(lines.slice(1)).toEqual([
      { level: 'warn', fields: { subgraphs: { tenancy: 'status 503', erp: 'unreachable' } }, message: 'not ready: subgraph health checks failed' },
    ]);
  });

  it('logs the recovery once, and nothing while all is well', async () => {
    const { lines, logger } = recorder();
    healthy = false;
    const route = readinessRoute({ tenancy: up }, logger);
    await route({} as never);
    healthy = true;
    expect(await route({} as never)).toEqual({ status: 200, body: { status: 'ready', rateLimits: 'off' } });
    await route({} as never);
    expect(lines.map((line) => line.level)).toEqual(['warn', 'info']);
  });

  it('stays ready while only subgraphs outside REQUIRED_SUBGRAPHS are down, and does not even probe them', async () => {
    const { lines, logger } = recorder();
    healthy = true;
    const route = readinessRoute({ tenancy: up, erp: up, 'clinical-ops': down, observability: down }, logger);
    expect(await route({} as never)).toEqual({ status: 200, body: { status: 'ready', rateLimits: 'off' } });
    expect(lines).toEqual([]);
  });
});

describe('subgraphStatusRoute', () => {
  const down = 'http://127.0.0.1:1/graphql';
  let server: http.Server;
  let up: string;
  beforeAll(async () => {
    server = http.createServer((_request, response) => response.writeHead(200).end());
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    up = `http://127.0.0.1:${(server.address() as AddressInfo).port}/graphql`;
  });
  afterAll(() => new Promise<void>((resolve) => server.close(() => resolve())));

  const user = (roles: Principal['roles']): Principal => ({ id: 'user:x', kind: 'user', roles, scopes: [], tenantId: null, partnerId: null });
  const breaker = () => new CircuitBreaker({ failureThreshold: 1, coolDownMs: 1_000 });

  function route(principal: Principal) {
    const calls = { tenancy: { breaker: breaker(), timeoutMs: 3000 }, erp: { breaker: breaker(), timeoutMs: 3000 }, 'clinical-ops': { breaker: breaker(), timeoutMs: 3000 }, observability: { breaker: breaker(), timeoutMs: 800 } };
    let authenticated = 0;
    const authenticator = {
      authenticate: async () => {
        authenticated += 1;
        return principal;
      },
    };
    const handler = subgraphStatusRoute({ urls: { tenancy: up, erp: up, 'clinical-ops': up, observability: down }, calls, authenticator });
    return { handler, calls, authenticated: () => authenticated };
  }
  const refusal = (promise: Promise<unknown>) => promise.then(() => undefined, (error: unknown) => (error instanceof CareGraphError ? error.code : error));

  it('refuses a caller without a Bearer token (API keys included, before any lookup) with UNAUTHENTICATED', async () => {
    const { handler, authenticated } = route(user(['platform_admin']));
    expect(await refusal(handler({ headers: {} } as never))).toBe('UNAUTHENTICATED');
    expect(await refusal(handler({ headers: { 'x-api-key': 'cg_live_x' } } as never))).toBe('UNAUTHENTICATED');
    expect(authenticated()).toBe(0);
  });

  it('refuses a signed-in caller who is not platform staff with TENANT_FORBIDDEN', async () => {
    const { handler } = route(user(['tenant_admin', 'clinician']));
    expect(await refusal(handler({ headers: { authorization: 'Bearer t' } } as never))).toBe('TENANT_FORBIDDEN');
  });

  it('shows platform staff each subgraph: health, breaker state, last failure, timeout, whether readiness needs it', async () => {
    const { handler, calls } = route(user(['support']));
    await calls.observability.breaker.run(() => Promise.reject(new Error('down'))).catch(() => undefined);
    const answer = await handler({ headers: { authorization: 'Bearer t' } } as never);
    expect(answer.status).toBe(200);
    expect(answer.headers).toEqual({ 'cache-control': 'no-store' });
    const body = answer.body as { status: string; subgraphs: Record<string, Record<string, unknown>> };
    expect(body.status).toBe('ready');
    expect(body.subgraphs.tenancy).toEqual({ required: true, health: 'ok', breaker: 'closed', consecutiveFailures: 0, lastFailureAt: null, openedAt: null, timeoutMs: 3000 });
    expect(body.subgraphs['clinical-ops']).toMatchObject({ required: false, health: 'ok' });
    expect(body.subgraphs.observability).toEqual({
      required: false,
      health: 'unreachable',
      breaker: 'open',
      consecutiveFailures: 1,
      lastFailureAt: expect.stringMatching(/^\d{4}-\d\d-\d\dT/) as unknown,
      openedAt: expect.stringMatching(/^\d{4}-\d\d-\d\dT/) as unknown,
      timeoutMs: 800,
    });
    expect(JSON.stringify(answer.body)).not.toMatch(/127\.0\.0\.1/);
  });
});
