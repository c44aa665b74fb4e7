/**
 * Rate limits end to end, with 6-second windows so that a plan's per-minute limit is reached in
 * a few dozen requests: the standard plan's 300 per key and per user and 600 per tenant become
 * 30 and 60. Every answer carries the draft's `RateLimit` fields; a spent limit is a 429
 * RATE_LIMITED with `Retry-After`, and serves again once that has passed; many keys of one
 * tenant share the tenant's limit; platform staff spend none of it; and a gateway whose
 * counter store is unreachable fails open, then counts alone, saying so on /readyz.
 */
import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type * as GatewayModule from '../../gateway/index.js';
import { importModule, SERVICES, type RunningService } from '../../lib/services.js';
import type { SubgraphName } from '../../lib/config.js';
import type { InProcessPlatform } from '../../scripts/platform.js';
import { PARTNER } from '../isolation/fixture.js';
import { adminClient, bearer, startTestPlatform, testConfig } from '../support/platform.js';

const WINDOW_SECONDS = 6;
const RATE_LIMITED_ENV = { RATE_LIMITS: 'on', RATE_LIMIT_WINDOW_SECONDS: String(WINDOW_SECONDS) };
/** The standard plan's limits scaled to the window (erp migrations 001 and 003). */
const KEY_LIMIT = 30;
const TENANT_LIMIT = 60;

let platform: InProcessPlatform;
/** Two standard-plan tenants attributed to the demo partner, one per test that spends a tenant's budget. */
let tenants: string[];
const issuedKeys: string[] = [];

beforeAll(async () => {
  const admin = await adminClient();
  try {
    const { rows } = await admin.query<{ id: string }>(
      `SELECT t.id FROM tenancy.tenants t JOIN erp.subscriptions s ON s.tenant_id = t.id
        WHERE t.partner_id = $1 AND t.status = 'active' AND s.plan_code = 'standard' AND s.status = 'active'
        ORDER BY t.slug DESC LIMIT 3`,
      [PARTNER.id],
    );
    tenants = rows.map((row) => row.id);
  } finally {
    await admin.end();
  }
  expect(tenants).toHaveLength(3);
  platform = await startTestPlatform(RATE_LIMITED_ENV);
});
afterAll(async () => {
  for (const id of issuedKeys) await post(platform.gateway.url, 'mutation Revoke($id: ID!) { revokeApiKey(id: $id) { revokedAt } }', await bearer(['platform_admin']), { id });
  await platform?.close();
});

interface Answer {
  status: number;
  headers: Headers;
  body: { data?: Record<string, unknown> | null; errors?: { message: string; extensions?: Record<string, unknown> }[] };
}

async function post(url: string, query: string, headers: Record<string, string>, variables?: Record<string, unknown>): Promise<Answer> {
  const response = await fetch(url, { method: 'POST', headers: { 'content-type': 'application/json', ...headers }, body: JSON.stringify({ query, variables }) });
  return { status: response.status, headers: response.headers, body: JSON.parse(await response.text()) as Answer['body'] };
}

/** A fresh API key of the demo partner: a bucket no other test has touched. */
async function freshKey(): Promise<string> {
  const answer = await post(
    platform.gateway.url,
    'mutation Issue($input: IssueApiKeyInput!) { issueApiKey(input: $input) { apiKey { id } secret } }',
    await bearer(['platform_admin'], { subject: `rate-limits-admin-${randomUUID()}` }),
    { input: { partnerId: PARTNER.id, name: `rate-limits-${randomUUID()}`, scopes: ['tenant:read'], expiresInDays: 1 } },
  );
  expect(answer.body.errors).toBeUndefined();
  const issued = (answer.body.data as { issueApiKey: { apiKey: { id: string }; secret: string } }).issueApiKey;
  issuedKeys.push(issued.apiKey.id);
  return issued.secret;
}

/** Waits until a window has just begun, so that a burst is counted in one window (and none before it). */
async function atWindowStart(): Promise<void> {
  const into = Date.now() % (WINDOW_SECONDS * 1000);
  if (into > 300) await new Promise((resolve) => setTimeout(resolve, WINDOW_SECONDS * 1000 - into + 50));
}

const burst = (count: number, headers: Record<string, string>, url = platform.gateway.url) =>
  Promise.all(Array.from({ length: count }, () => post(url, '{ __typename }', headers)));

const codeOf = (answer: Answer) => answer.body.errors?.[0]?.extensions?.code;

describe('rate limits', () => {
  it('sends RateLimit-Policy and RateLimit on every answer, counting down', async () => {
    const headers = { ...(await bearer(['tenant_admin'], { tenantId: tenants[0], subject: `rate-limits-user-${randomUUID()}` })) };
    await atWindowStart();
    const first = await post(platform.gateway.url, '{ __typename }', headers);
    const second = await post(platform.gateway.url, '{ __typename }', headers);
    expect(first.status).toBe(200);
    expect(first.headers.get('ratelimit-policy')).toBe(`"user";q=${KEY_LIMIT};w=${WINDOW_SECONDS}, "tenant";q=${TENANT_LIMIT};w=${WINDOW_SECONDS}`);
    const remaining = (answer: Answer) => Number(/"user";r=(\d+)/.exec(answer.headers.get('ratelimit') ?? '')?.[1]);
    expect(remaining(first)).toBe(KEY_LIMIT - 1);
    expect(remaining(second)).toBe(KEY_LIMIT - 2);
    expect(first.headers.get('ratelimit')).toMatch(/^"user";r=\d+;t=\d+, "tenant";r=\d+;t=\d+$/);
  });

  it('refuses a key past its plan’s limit with 429 RATE_LIMITED and Retry-After, and serves it again once that has passed', async () => {
    const headers = { 'x-api-key': await freshKey(), 'x-tenant-id': tenants[1]! };
    await atWindowStart();
    const answers = await burst(KEY_LIMIT + 10, headers);
    const served = answers.filter((answer) => answer.status === 200);
    const refused = answers.filter((answer) => answer.status === 429);
    expect(served).toHaveLength(KEY_LIMIT);
    expect(refused).toHaveLength(10);
    for (const answer of served) expect(answer.body).toEqual({ data: { __typename: 'Query' } });
    const refusal = refused[0]!;
    expect(codeOf(refusal)).toBe('RATE_LIMITED');
    expect(refusal.body.data ?? null).toBeNull();
    expect(refusal.body.errors![0]!.message).toMatch(new RegExp(`^Rate limit reached for this API key: ${KEY_LIMIT} requests per ${WINDOW_SECONDS} s; retry after \\d+ s$`));
    expect(refusal.body.errors![0]!.extensions).toMatchObject({ policy: 'key', limit: KEY_LIMIT, windowSeconds: WINDOW_SECONDS });
    const retryAfter = Number(refusal.headers.get('retry-after'));
    expect(retryAfter).toBeGreaterThanOrEqual(1);
    expect(retryAfter).toBeLessThanOrEqual(2 * WINDOW_SECONDS);
    expect(refusal.headers.get('ratelimit')).toMatch(/^"key";r=0;t=\d+/);
    expect(JSON.stringify(refusal.body)).not.toMatch(/stack|at [A-Za-z]+ \(/);

    await new Promise((resolve) => setTimeout(resolve, retryAfter * 1000 + 100));
    const again = await post(platform.gateway.url, '{ __typename }', headers);
    expect(again.status).toBe(200);
  });

  it('holds many keys of one tenant to the tenant’s limit, its users too, but not platform staff', async () => {
    const tenantId = tenants[2]!;
    const keys = [await freshKey(), await freshKey(), await freshKey()];
    await atWindowStart();
    const first = await burst(KEY_LIMIT, { 'x-api-key': keys[0]!, 'x-tenant-id': tenantId });
    const second = await burst(KEY_LIMIT, { 'x-api-key': keys[1]!, 'x-tenant-id': tenantId });
    expect([...first, ...second].every((answer) => answer.status === 200)).toBe(true);

    const third = await post(platform.gateway.url, '{ __typename }', { 'x-api-key': keys[2]!, 'x-tenant-id': tenantId });
    expect(third.status).toBe(429);
    expect(third.body.errors![0]!.extensions).toMatchObject({ code: 'RATE_LIMITED', policy: 'tenant', limit: TENANT_LIMIT });
    const user = await post(platform.gateway.url, '{ __typename }', await bearer(['clinician'], { tenantId, subject: `rate-limits-user-${randomUUID()}` }));
    expect(user.status).toBe(429);
    expect(user.body.errors![0]!.message).toMatch(/^Rate limit reached for this tenant/);

    const staff = await post(platform.gateway.url, '{ __typename }', { ...(await bearer(['support'], { subject: `rate-limits-support-${randomUUID()}` })), 'x-tenant-id': tenantId });
    expect(staff.status).toBe(200);
    expect(staff.headers.get('ratelimit-policy')).toMatch(/^"user";q=\d+;w=6$/);
  });
});

describe('a gateway whose counter store is unreachable', () => {
  const unreachable = 'postgres://caregraph_gateway:unreachable-password@127.0.0.1:1/postgres';
  const gateways: RunningService[] = [];
  afterAll(async () => {
    await Promise.all(gateways.map((gateway) => gateway.close()));
  });

  async function gatewayWith(failOpenSeconds: number): Promise<RunningService> {
    const module = await importModule<typeof GatewayModule>(SERVICES.gateway.module);
    const gateway = await module.start({
      config: testConfig({ ...RATE_LIMITED_ENV, RATE_LIMIT_FAIL_OPEN_SECONDS: String(failOpenSeconds) }),
      port: 0,
      databaseUrl: unreachable,
      subgraphUrls: Object.fromEntries(Object.entries(platform.subgraphs).map(([name, service]) => [name as SubgraphName, service.url])),
    });
    gateways.push(gateway);
    return gateway;
  }

  const readiness = async (gateway: RunningService) => (await fetch(new URL('/readyz', gateway.url))).json() as Promise<Record<string, unknown>>;

  it('fails open: requests pass uncounted, and /readyz says so while staying ready', async () => {
    const gateway = await gatewayWith(30);
    expect(await readiness(gateway)).toEqual({ status: 'ready', rateLimits: 'shared' });
    const headers = { 'x-api-key': await freshKey(), 'x-tenant-id': tenants[0]! };
    const answers = await burst(KEY_LIMIT + 5, headers, gateway.url);
    expect(answers.map((answer) => answer.status)).toEqual(answers.map(() => 200));
    expect(answers[0]!.headers.get('ratelimit')).toBeNull();
    expect(await readiness(gateway)).toEqual({ status: 'ready', rateLimits: 'failing open' });
  });

  it('past the fail-open time, counts in its own memory and enforces the limits alone', async () => {
    const gateway = await gatewayWith(0);
    const headers = { 'x-api-key': await freshKey(), 'x-tenant-id': tenants[0]! };
    await post(gateway.url, '{ __typename }', headers);
    expect(await readiness(gateway)).toEqual({ status: 'ready', rateLimits: 'local' });
    await atWindowStart();
    const answers = await burst(KEY_LIMIT + 5, headers, gateway.url);
    expect(answers.filter((answer) => answer.status === 429).length).toBeGreaterThanOrEqual(5);
    expect(answers.filter((answer) => answer.status === 200).length).toBeLessThanOrEqual(KEY_LIMIT);
  });
});
