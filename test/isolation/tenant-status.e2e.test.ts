/**
 * Isolation: suspended and offboarded tenants. Their users and their partners' keys are
 * refused before anything executes; platform staff may still act on them, and each such
 * request leaves a security event (with the gateway's request id) before it runs. Restoring
 * the tenant reopens it within ACCESS_CACHE_SECONDS.
 *
 * The suite changes the status of one tenant no other suite uses: the last of partner 1's
 * active tenants by slug (suites that pick tenants take the first ones).
 */
import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { adminClient, appClient, bearer, graphql, testConfig, type GraphQLResponse } from '../support/platform.js';
import { codesOf, isolationWorld, issueKey, PARTNER, type IsolationWorld } from './fixture.js';

let world: IsolationWorld;
let tenant: { id: string; slug: string; name: string };
let partnerKey: string;

beforeAll(async () => {
  world = await isolationWorld();
  const admin = await adminClient();
  try {
    const { rows } = await admin.query<typeof tenant>(
      "SELECT id, slug, name FROM tenancy.tenants WHERE partner_id = $1 AND status = 'active' ORDER BY slug DESC LIMIT 1",
      [PARTNER.id],
    );
    tenant = rows[0]!;
  } finally {
    await admin.end();
  }
  partnerKey = (await issueKey(world, ['tenant:read'])).secret;
});

afterAll(async () => {
  if (tenant) await setStatus('active');
  await world?.close();
});

/** The longest a gateway may answer from its cached tenant facts, plus a margin. */
const CACHE_BOUND_MS = testConfig().accessCacheSeconds * 1000 + 1_000;
const PROFILE = 'query Profile($id: ID!) { tenant(id: $id) { id slug name } }';

async function setStatus(status: string): Promise<void> {
  const admin = await adminClient();
  try {
    await admin.query('UPDATE tenancy.tenants SET status = $2 WHERE id = $1', [tenant.id, status]);
  } finally {
    await admin.end();
  }
}

const asUser = async () => graphql(world.gateway, PROFILE, { variables: { id: tenant.id }, headers: await bearer(['tenant_admin'], { tenantId: tenant.id }) });
const asPartnerKey = () => graphql(world.gateway, PROFILE, { variables: { id: tenant.id }, headers: { 'x-api-key': partnerKey, 'x-tenant-id': tenant.id } });

/** Repeats `request` until `done` holds or the cache bound has passed; returns the last response. */
async function within(request: () => Promise<GraphQLResponse>, done: (response: GraphQLResponse) => boolean): Promise<GraphQLResponse> {
  const started = Date.now();
  for (;;) {
    const response = await request();
    if (done(response) || Date.now() - started > CACHE_BOUND_MS) return response;
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
}

function expectRefusedWithoutData(response: GraphQLResponse, code: string): void {
  expect(response.status).toBe(403);
  expect(codesOf(response.body)).toEqual([code]);
  expect(response.body.data ?? null).toBeNull();
  expect(response.text).not.toContain(tenant.slug);
  expect(response.text).not.toContain(tenant.name);
}

async function securityEvents(correlationId: string) {
  const admin = await adminClient();
  try {
    return (await admin.query<Record<string, unknown> & { request_id: string }>('SELECT * FROM tenancy.security_events WHERE correlation_id = $1', [correlationId])).rows;
  } finally {
    await admin.end();
  }
}

describe.each([
  ['suspended', 'TENANT_SUSPENDED'],
  ['offboarded', 'TENANT_OFFBOARDED'],
])('a %s tenant', (status, code) => {
  beforeAll(() => setStatus(status));

  it(`refuses its users with ${code}, executing nothing`, async () => {
    expectRefusedWithoutData(await within(asUser, (r) => codesOf(r.body)[0] === code), code);
  });

  it(`refuses its partner's keys with ${code}`, async () => {
    expectRefusedWithoutData(await within(asPartnerKey, (r) => codesOf(r.body)[0] === code), code);
  });

  it('lets a platform admin act on it, with a security event recorded under the gateway’s request id', async () => {
    const correlationId = `tenant-status-${randomUUID()}`;
    const response = await graphql<{ tenant: { id: string } }>(world.gateway, PROFILE, {
      variables: { id: tenant.id },
      headers: { ...(await bearer(['platform_admin'])), 'x-tenant-id': tenant.id, 'x-request-id': correlationId },
    });
    expect(response.body.errors).toBeUndefined();
    expect(response.body.data!.tenant.id).toBe(tenant.id);
    const events = await securityEvents(correlationId);
    expect(events).toEqual([
      expect.objectContaining({
        kind: 'inactive_tenant_access',
        tenant_id: tenant.id,
        principal_id: 'user:test-platform_admin',
        roles: ['platform_admin'],
        detail: { status, principalKind: 'user' },
      }),
    ]);
    // The gateway's own id (a client cannot choose the id of an audit record).
    expect(events[0]!.request_id).toMatch(/^[0-9a-f-]{36}$/);
    expect(events[0]!.request_id).not.toBe(correlationId);
  });

  it('leaves platform-level requests (no tenant) alone: answered, nothing recorded', async () => {
    const correlationId = `tenant-status-${randomUUID()}`;
    const response = await graphql<{ tenant: { id: string } }>(world.gateway, PROFILE, {
      variables: { id: tenant.id },
      headers: { ...(await bearer(['platform_admin'])), 'x-request-id': correlationId },
    });
    expect(response.body.data!.tenant.id).toBe(tenant.id);
    expect(await securityEvents(correlationId)).toEqual([]);
  });

  it('leaves partner-level lists of attributed tenants alone', async () => {
    const response = await graphql<{ tenants: { edges: { node: { id: string } }[] } }>(world.gateway, '{ tenants(first: 100) { edges { node { id } } } }', {
      headers: { 'x-api-key': partnerKey },
    });
    expect(response.body.errors).toBeUndefined();
    expect(response.body.data!.tenants.edges.map((edge) => edge.node.id)).toContain(tenant.id);
  });
});

describe('a restored tenant', () => {
  it(`opens again to its users and keys within ACCESS_CACHE_SECONDS`, async () => {
    await setStatus('active');
    const restoredAt = Date.now();
    const user = await within(asUser, (r) => r.status === 200);
    expect(user.status).toBe(200);
    expect(Date.now() - restoredAt).toBeLessThanOrEqual(CACHE_BOUND_MS);
    expect((await asPartnerKey()).status).toBe(200);
  });
});

describe('security events', () => {
  it('are append-only for the application role', async () => {
    const app = await appClient();
    try {
      for (const sql of ["UPDATE tenancy.security_events SET kind = 'edited'", 'DELETE FROM tenancy.security_events', 'TRUNCATE tenancy.security_events']) {
        await expect(app.query(sql)).rejects.toMatchObject({ code: '42501' });
      }
    } finally {
      await app.end();
    }
  });
});
