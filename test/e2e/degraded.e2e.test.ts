/**
 * A subgraph down or slow does not take the others with it: the gateway answers what it can,
 * the missing fields are null with SUBGRAPH_UNAVAILABLE and the request id (no internal
 * address, subgraph name or stack), a hanging subgraph costs its own timeout and not the
 * request's deadline, and /readyz stays ready while only a subgraph outside tenancy and erp is
 * down (gateway/health.ts). Which subgraph is down is shown on /readyz/subgraphs, to platform
 * staff only.
 */
import { randomUUID } from 'node:crypto';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import * as gateway from '../../gateway/index.js';
import type { InProcessPlatform } from '../../scripts/platform.js';
import { bearer, graphql, startTestPlatform, testConfig, type GraphQLResponse } from '../support/platform.js';

let platform: InProcessPlatform;
beforeAll(async () => {
  platform = await startTestPlatform();
});
afterAll(async () => {
  await platform?.close();
});

type Fleet = { tenants: { edges: { node: Record<string, unknown> }[] } };
const FLEET = '{ tenants(first: 2) { edges { node { name subscription { status } clinicalSummary { patientCount } health { requestCount } } } } }';
const LEAKS = /127\.0\.0\.1|ECONNREFUSED|clinical-ops|observability|within \d+ ms|at \w+ \(/;

/**
 * Checks that the errors of a response are exactly one SUBGRAPH_UNAVAILABLE at `field` of the
 * first tenant, counting the tenants that lack it, with the gateway's request id and nothing
 * that names the subgraph, its address or the cause.
 */
function expectUnavailable(response: GraphQLResponse<Fleet>, field: string): void {
  const requestId = response.body.errors?.[0]?.extensions?.requestId;
  // The request id is the gateway's own (the client's x-request-id is only a correlation id).
  expect(requestId).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/);
  const occurrences = response.body.data!.tenants.edges.length;
  expect(response.body.errors).toEqual([
    { message: expect.any(String) as unknown, path: ['tenants', 'edges', 0, 'node', field], extensions: { code: 'SUBGRAPH_UNAVAILABLE', requestId, occurrences } },
  ]);
  expect(response.text).not.toMatch(LEAKS);
}

interface SubgraphStatus {
  status: string;
  subgraphs: Record<string, { required: boolean; health: string; breaker: string; consecutiveFailures: number; lastFailureAt: string | null }>;
}

describe('a subgraph that accepts the call and never answers', () => {
  it('costs its own timeout, not the request deadline, and does not hold up the gateway meanwhile', async () => {
    const silent = http.createServer(() => {});
    await new Promise<void>((resolve) => silent.listen(0, '127.0.0.1', resolve));
    const subgraphs = Object.fromEntries(Object.entries(platform.subgraphs).map(([name, service]) => [name, service.url]));
    const slow = await gateway.start({
      // The deadline stays at its default (10 s): the subgraph's 300 ms must be what ends the wait.
      config: testConfig({ SUBGRAPH_TIMEOUTS: 'observability=300' }),
      port: 0,
      subgraphUrls: { ...subgraphs, observability: `http://127.0.0.1:${(silent.address() as AddressInfo).port}/graphql` },
    });
    try {
      const headers = await bearer(['platform_admin']);
      await graphql(slow.url, '{ tenants(first: 1) { edges { node { name } } } }', { headers }); // warm: plan cache, token cache
      const started = performance.now();
      const pending = graphql<Fleet>(slow.url, FLEET, { headers });
      // While the call hangs, the gateway answers other requests at once: nothing waits on it.
      const aliveStarted = performance.now();
      const alive = await fetch(new URL('/healthz', slow.url));
      const aliveMs = performance.now() - aliveStarted;
      const response = await pending;
      const elapsed = performance.now() - started;

      expect(alive.status).toBe(200);
      expect(aliveMs).toBeLessThan(250);
      expect(response.status).toBe(200);
      expect(elapsed).toBeGreaterThanOrEqual(290);
      expect(elapsed).toBeLessThan(3_000);
      for (const { node } of response.body.data!.tenants.edges) {
        expect(node.name).toEqual(expect.any(String));
        expect(node.subscription).toEqual({ status: expect.any(String) as unknown });
        expect(node.clinicalSummary).toEqual({ patientCount: expect.any(Number) as unknown });
        expect(node.health).toBeNull();
      }
      expectUnavailable(response, 'health');
    } finally {
      await slow.close();
      silent.closeAllConnections();
      await new Promise((resolve) => silent.close(resolve));
    }
  });
});

describe('with clinical-ops stopped', () => {
  it('serves tenancy, erp and observability fields and nulls the clinical ones with SUBGRAPH_UNAVAILABLE', async () => {
    await platform.subgraphs['clinical-ops'].close();
    const response = await graphql<Fleet>(platform.gateway.url, FLEET, {
      headers: { ...(await bearer(['platform_admin'])), 'x-request-id': 'degraded-1' },
    });
    expect(response.status).toBe(200);
    const nodes = response.body.data!.tenants.edges.map((edge) => edge.node);
    expect(nodes).toHaveLength(2);
    for (const node of nodes) {
      expect(node.name).toEqual(expect.any(String));
      expect(node.subscription).toEqual({ status: expect.any(String) as unknown });
      expect(node.health).toEqual({ requestCount: expect.any(Number) as unknown });
      expect(node.clinicalSummary).toBeNull();
    }
    expectUnavailable(response, 'clinicalSummary');
  });

  it('stays ready (the API keeps serving), naming no subgraph; the gateway is alive', async () => {
    const ready = await fetch(new URL('/readyz', platform.gateway.url));
    expect(ready.status).toBe(200);
    const body = await ready.text();
    expect(JSON.parse(body)).toEqual({ status: 'ready', rateLimits: 'off' });
    expect(body).not.toMatch(/clinical|tenancy|erp|observability|127\.0\.0\.1/);
    const alive = await fetch(new URL('/healthz', platform.gateway.url));
    expect(alive.status).toBe(200);
  });

  it('opens the circuit after repeated failures: the clinical fields then fail fast, the rest is still served', async () => {
    const headers = await bearer(['platform_admin']);
    // SUBGRAPH_BREAKER_THRESHOLD is 5 by default; the first test's request counted already.
    for (let i = 0; i < 5; i += 1) await graphql<Fleet>(platform.gateway.url, FLEET, { headers });
    const response = await graphql<Fleet>(platform.gateway.url, FLEET, { headers });
    expect(response.status).toBe(200);
    expect(response.body.data!.tenants.edges[0]!.node).toMatchObject({ name: expect.any(String) as unknown, clinicalSummary: null });
    expectUnavailable(response, 'clinicalSummary');
  });

  it('shows platform staff on /readyz/subgraphs that clinical-ops is down and its circuit open', async () => {
    const url = new URL('/readyz/subgraphs', platform.gateway.url);
    const answer = await fetch(url, { headers: await bearer(['support']) });
    expect(answer.status).toBe(200);
    expect(answer.headers.get('cache-control')).toBe('no-store');
    const text = await answer.text();
    const status = JSON.parse(text) as SubgraphStatus;
    expect(status.status).toBe('ready');
    // Open, or half-open once its 1 s cool-down has passed with no request to try it: not closed.
    expect(status.subgraphs['clinical-ops']).toMatchObject({
      required: false,
      health: 'unreachable',
      breaker: expect.stringMatching(/^(open|half-open)$/) as unknown,
      lastFailureAt: expect.any(String) as unknown,
    });
    expect(status.subgraphs['clinical-ops']!.consecutiveFailures).toBeGreaterThanOrEqual(5);
    expect(status.subgraphs.tenancy).toMatchObject({ required: true, health: 'ok', breaker: 'closed' });
    expect(status.subgraphs.observability).toMatchObject({ required: false, health: 'ok', breaker: 'closed', lastFailureAt: null });
    expect(text).not.toMatch(/127\.0\.0\.1/);
  });

  it('refuses /readyz/subgraphs to anonymous callers (401) and to callers who are not platform staff (403), naming no subgraph', async () => {
    const url = new URL('/readyz/subgraphs', platform.gateway.url);
    const anonymous = await fetch(url);
    expect(anonymous.status).toBe(401);
    const anonymousText = await anonymous.text();
    expect((JSON.parse(anonymousText) as { errors: { extensions: { code: string } }[] }).errors[0]!.extensions.code).toBe('UNAUTHENTICATED');
    const forged = await fetch(url, { headers: { authorization: 'Bearer not.a.token' } });
    expect(forged.status).toBe(401);
    const tenantAdmin = await fetch(url, { headers: await bearer(['tenant_admin'], { tenantId: randomUUID() }) });
    expect(tenantAdmin.status).toBe(403);
    const tenantText = await tenantAdmin.text();
    expect((JSON.parse(tenantText) as { errors: { extensions: { code: string } }[] }).errors[0]!.extensions.code).toBe('TENANT_FORBIDDEN');
    for (const text of [anonymousText, tenantText]) expect(text).not.toMatch(/clinical|observability|127\.0\.0\.1/);
  });
});

describe('with erp stopped as well', () => {
  it('is not ready: tenant resolution needs erp, so the replica leaves the load balancer (naming no subgraph)', async () => {
    await platform.subgraphs.erp.close();
    const ready = await fetch(new URL('/readyz', platform.gateway.url));
    expect(ready.status).toBe(503);
    const body = await ready.text();
    expect(JSON.parse(body)).toEqual({ status: 'not ready', rateLimits: 'off' });
    expect(body).not.toMatch(/clinical|tenancy|erp|observability|127\.0\.0\.1/);
  });
});
