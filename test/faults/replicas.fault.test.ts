/**
 * Two gateway replicas over the same subgraphs and the same database, as a deployment runs them
 * behind a load balancer. What a replica keeps to itself must not give a caller more than one
 * replica would:
 * - a key's rate limit is one limit: a burst split between the replicas is served up to it once
 *   in all (not once per replica), and both replicas refuse the rest with 429 RATE_LIMITED;
 * - a revoked key is refused by both within ACCESS_CACHE_SECONDS (each caches key lookups);
 * - a governed entitlement override, granted and then withdrawn, reaches both within it (each
 *   caches tenant entitlements).
 * Rate limits on, with 6-second windows (the standard plan's 300 per key and minute is 30).
 * Loopback only; a few hundred requests in about 20 s.
 */
import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type * as GatewayModule from '../../gateway/index.js';
import type { SubgraphName } from '../../lib/config.js';
import { gatewayUrl } from '../../lib/db/index.js';
import { importModule, SERVICES, type RunningService } from '../../lib/services.js';
import type { InProcessPlatform } from '../../scripts/platform.js';
import { PARTNER } from '../isolation/fixture.js';
import { adminClient, adminUrl, bearer, startTestPlatform, testConfig } from '../support/platform.js';

const WINDOW_SECONDS = 6;
const RATE_LIMITED_ENV = { RATE_LIMITS: 'on', RATE_LIMIT_WINDOW_SECONDS: String(WINDOW_SECONDS) };
/** The standard plan's key limit scaled to the window (erp migrations 001 and 003). */
const KEY_LIMIT = 30;
/** Requests of the burst, half to each replica: more than the limit, fewer than one limit per replica. */
const BURST = 40;
const POLL_MS = 100;
const FEATURE = 'advanced_analytics';
const TYPENAME = '{ __typename }';
const FEATURE_FLAGS = 'query Flags($id: ID!) { tenant(id: $id) { featureFlags } }';

let platform: InProcessPlatform;
let second: RunningService | undefined;
/** Both replicas' GraphQL URLs: the platform's gateway first. */
let replicas: [string, string];
/** How long a replica may answer from its cache (ACCESS_CACHE_SECONDS), and the bound on a change reaching both. */
let cacheMs: number;
let propagationLimitMs: number;
/** A standard-plan tenant attributed to the demo partner, for the shared key limit. */
let limitTenant: string;
/** A standard-plan tenant of another partner (or none) without overrides, for the entitlement change. */
let featureTenant: string;
const liveKeys = new Set<string>();

interface Answer {
  status: number;
  headers: Headers;
  body: { data?: Record<string, unknown> | null; errors?: { message: string; extensions?: Record<string, unknown> }[] };
}

async function post(url: string, query: string, headers: Record<string, string>, variables?: Record<string, unknown>): Promise<Answer> {
  const response = await fetch(url, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...headers },
    body: JSON.stringify({ query, variables }),
    signal: AbortSignal.timeout(15_000),
  });
  return { status: response.status, headers: response.headers, body: JSON.parse(await response.text()) as Answer['body'] };
}

const codesOf = (answer: Answer) => (answer.body.errors ?? []).map((error) => error.extensions?.code);
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
const staff = () => bearer(['platform_admin'], { subject: `replicas-admin-${randomUUID()}` });

/** A fresh API key of the demo partner, issued through the first replica: buckets no request has touched. */
async function freshKey(): Promise<{ id: string; secret: string }> {
  const answer = await post(
    replicas[0],
    'mutation Issue($input: IssueApiKeyInput!) { issueApiKey(input: $input) { apiKey { id } secret } }',
    await staff(),
    { input: { partnerId: PARTNER.id, name: `replicas-${randomUUID()}`, scopes: ['tenant:read'], expiresInDays: 1 } },
  );
  expect(answer.body.errors).toBeUndefined();
  const issued = (answer.body.data as { issueApiKey: { apiKey: { id: string }; secret: string } }).issueApiKey;
  liveKeys.add(issued.apiKey.id);
  return { id: issued.apiKey.id, secret: issued.secret };
}

async function revoke(url: string, id: string): Promise<Answer> {
  const answer = await post(url, 'mutation Revoke($id: ID!) { revokeApiKey(id: $id) { revokedAt } }', await staff(), { id });
  if (!answer.body.errors) liveKeys.delete(id);
  return answer;
}

/** Waits until a window has just begun, so that a burst is counted in one window (and none before it). */
async function atWindowStart(): Promise<void> {
  const into = Date.now() % (WINDOW_SECONDS * 1000);
  if (into > 300) await sleep(WINDOW_SECONDS * 1000 - into + 50);
}

/**
 * Asks each replica every POLL_MS until `reached` holds there, for at most the cache time and
 * 3 s; resolves to the milliseconds from `since` to each replica's first answer where it held
 * (Infinity where it never did).
 */
function untilBoth(reached: (url: string) => Promise<boolean>, since: number): Promise<number[]> {
  return Promise.all(
    replicas.map(async (url) => {
      while (performance.now() - since < cacheMs + 3_000) {
        if (await reached(url)) return performance.now() - since;
        await sleep(POLL_MS);
      }
      return Infinity;
    }),
  );
}

beforeAll(async () => {
  const config = testConfig(RATE_LIMITED_ENV);
  cacheMs = config.accessCacheSeconds * 1000;
  propagationLimitMs = cacheMs + 2_000;
  const admin = await adminClient();
  try {
    // No other fault test acts on either tenant, and the tier runs one file at a time on its own database.
    const { rows: limited } = await admin.query<{ id: string }>(
      `SELECT t.id FROM tenancy.tenants t JOIN erp.subscriptions s ON s.tenant_id = t.id
        WHERE t.partner_id = $1 AND t.status = 'active' AND s.plan_code = 'standard' AND s.status = 'active'
        ORDER BY t.slug LIMIT 1`,
      [PARTNER.id],
    );
    const { rows: plain } = await admin.query<{ id: string }>(
      `SELECT t.id FROM tenancy.tenants t JOIN erp.subscriptions s ON s.tenant_id = t.id
        WHERE t.partner_id IS DISTINCT FROM $1 AND t.status = 'active' AND s.plan_code = 'standard' AND s.status = 'active'
          AND NOT EXISTS (SELECT 1 FROM tenancy.tenant_feature_overrides o WHERE o.tenant_id = t.id)
        ORDER BY t.slug LIMIT 1`,
      [PARTNER.id],
    );
    expect(limited).toHaveLength(1);
    expect(plain).toHaveLength(1);
    limitTenant = limited[0]!.id;
    featureTenant = plain[0]!.id;
  } finally {
    await admin.end();
  }
  platform = await startTestPlatform(RATE_LIMITED_ENV);
  const gateway = await importModule<typeof GatewayModule>(SERVICES.gateway.module);
  second = await gateway.start({
    config,
    port: 0,
    databaseUrl: gatewayUrl(adminUrl(), config.database.gatewayPassword!),
    subgraphUrls: Object.fromEntries(Object.entries(platform.subgraphs).map(([name, service]) => [name as SubgraphName, service.url])),
  });
  replicas = [platform.gateway.url, second.url];
}, 120_000);

afterAll(async () => {
  if (platform) for (const id of [...liveKeys]) await revoke(platform.gateway.url, id);
  await second?.close();
  await platform?.close();
});

describe('two gateway replicas', () => {
  it('share a key’s rate limit: a burst split between them is served up to the limit once, and both refuse the rest', async ({ annotate }) => {
    for (const url of replicas) {
      const ready = (await (await fetch(new URL('/readyz', url))).json()) as Record<string, unknown>;
      expect(ready).toEqual({ status: 'ready', rateLimits: 'shared' });
    }
    const key = await freshKey();
    const headers = { 'x-api-key': key.secret, 'x-tenant-id': limitTenant };
    await atWindowStart();
    // Each replica looks the key and the tenant up before the burst, spending neither the key's
    // bucket on the tenant nor the tenant's: the key at partner level, the tenant as platform staff.
    const admin = { ...(await staff()), 'x-tenant-id': limitTenant };
    const warm = await Promise.all(replicas.flatMap((url) => [post(url, TYPENAME, { 'x-api-key': key.secret }), post(url, TYPENAME, admin)]));
    expect(warm.map((answer) => answer.status)).toEqual([200, 200, 200, 200]);

    const answers = await Promise.all(
      Array.from({ length: BURST }, async (_, i) => ({ replica: i % 2, ...(await post(replicas[i % 2]!, TYPENAME, headers)) })),
    );
    const served = answers.filter((answer) => answer.status === 200);
    const refused = answers.filter((answer) => answer.status === 429);
    expect(served).toHaveLength(KEY_LIMIT);
    expect(refused).toHaveLength(BURST - KEY_LIMIT);
    for (const answer of served) expect(answer.body).toEqual({ data: { __typename: 'Query' } });
    for (const answer of refused) {
      expect(codesOf(answer)).toEqual(['RATE_LIMITED']);
      expect(answer.body.errors![0]!.extensions).toMatchObject({ policy: 'key', limit: KEY_LIMIT, windowSeconds: WINDOW_SECONDS });
      expect(Number(answer.headers.get('retry-after'))).toBeGreaterThanOrEqual(1);
    }
    // One count: the served answers name every remaining number from 29 down to 0 once, whichever replica served them.
    const remaining = served.map((answer) => Number(/"key";r=(\d+)/.exec(answer.headers.get('ratelimit') ?? '')?.[1])).sort((x, y) => x - y);
    expect(remaining).toEqual(Array.from({ length: KEY_LIMIT }, (_, i) => i));
    // Each replica had 20 of the burst, so each served some and neither served a limit of its own.
    const servedBy = [0, 1].map((replica) => served.filter((answer) => answer.replica === replica).length);
    for (const count of servedBy) expect(count).toBeGreaterThan(0);

    // Both refuse the key now, the one that refused nothing of the burst too (it asks the store).
    for (const url of replicas) {
      const again = await post(url, TYPENAME, headers);
      expect(again.status).toBe(429);
      expect(again.body.errors![0]!.extensions).toMatchObject({ code: 'RATE_LIMITED', policy: 'key', limit: KEY_LIMIT });
    }
    await annotate(`served ${servedBy.join(' + ')} of ${BURST / 2} + ${BURST / 2}`);
  });

  it('refuse a revoked key within the cache window, both of them', async ({ annotate }) => {
    const key = await freshKey();
    // At partner level: the key's own bucket there (10,000 a minute), so polling spends no tenant's.
    const headers = { 'x-api-key': key.secret };
    // Each replica looks the key up and caches it as active.
    for (const url of replicas) expect((await post(url, TYPENAME, headers)).status).toBe(200);

    // Revoked through the second replica; neither is told, each finds out when its cached lookup expires.
    const revoked = await revoke(replicas[1], key.id);
    expect(revoked.body.errors).toBeUndefined();
    const since = performance.now();
    const times = await untilBoth(async (url) => (await post(url, TYPENAME, headers)).status === 401, since);

    for (const url of replicas) {
      const answer = await post(url, TYPENAME, headers);
      expect(answer.status).toBe(401);
      expect(codesOf(answer)).toEqual(['UNAUTHENTICATED']);
      expect(answer.body.errors![0]!.message).toBe('API key revoked');
    }
    await annotate(`revoked key refused after ${times.map((ms) => `${ms.toFixed(0)} ms`).join(' and ')} (cache ${cacheMs} ms)`);
    for (const ms of times) expect(ms).toBeLessThanOrEqual(propagationLimitMs);
  });

  it('apply an entitlement granted and then withdrawn within the cache window, both of them', async ({ annotate }) => {
    // Platform staff acting in the tenant: gated by its entitlements, counted in their own bucket only.
    const headers = { ...(await staff()), 'x-tenant-id': featureTenant };
    // What the replica's gate decided. The flags themselves are tenancy's, read live: while a
    // replica still holds the feature from before its withdrawal, it is served without it.
    const flagsOf = async (url: string): Promise<string[] | 'refused'> => {
      const answer = await post(url, FEATURE_FLAGS, headers, { id: featureTenant });
      expect(answer.status).toBe(200);
      if (codesOf(answer).length === 0) return (answer.body.data as { tenant: { featureFlags: string[] } }).tenant.featureFlags;
      expect(codesOf(answer)).toEqual(['ENTITLEMENT_REQUIRED']);
      expect(answer.body.data).toEqual({ tenant: null });
      return 'refused';
    };
    const state = async (url: string) => ((await flagsOf(url)) === 'refused' ? 'refused' : 'entitled');
    const bothAre = async (expected: 'entitled' | 'refused') => {
      for (const url of replicas) {
        const flags = await flagsOf(url);
        if (expected === 'refused') expect(flags).toBe('refused');
        else expect(flags).toContain(FEATURE);
      }
    };

    const admin = await adminClient();
    try {
      // The standard plan has no such feature: both refuse, and have the tenant's entitlements cached.
      await bothAre('refused');
      await admin.query(
        `INSERT INTO tenancy.tenant_feature_overrides (tenant_id, feature, enabled, reason, approved_by)
         VALUES ($1, $2, true, 'replica fault test', 'ops-lead')`,
        [featureTenant, FEATURE],
      );
      let since = performance.now();
      const granted = await untilBoth(async (url) => (await state(url)) === 'entitled', since);
      await bothAre('entitled');

      await admin.query('DELETE FROM tenancy.tenant_feature_overrides WHERE tenant_id = $1 AND feature = $2', [featureTenant, FEATURE]);
      since = performance.now();
      const withdrawn = await untilBoth(async (url) => (await state(url)) === 'refused', since);
      await bothAre('refused');

      const shown = (times: number[]) => times.map((ms) => `${ms.toFixed(0)} ms`).join(' and ');
      await annotate(`granted after ${shown(granted)}, withdrawn after ${shown(withdrawn)} (cache ${cacheMs} ms)`);
      for (const ms of [...granted, ...withdrawn]) expect(ms).toBeLessThanOrEqual(propagationLimitMs);
    } finally {
      await admin.query('DELETE FROM tenancy.tenant_feature_overrides WHERE tenant_id = $1 AND feature = $2', [featureTenant, FEATURE]);
      await admin.end();
    }
  });
});
