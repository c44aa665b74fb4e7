/**
 * Isolation: what an API key may carry. A key's scopes are a subset of its issuer's own and of
 * its partner's allowance, a partner holds a bounded number of live keys, and every refusal
 * writes nothing. The security review's attack: a partner admin (no clinical:read) issuing a
 * key with clinical:read to read patient ids and schedules through it.
 */
import { randomBytes, randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DEMO_PARTNERS } from '../../lib/demo/fleet.js';
import { MAX_LIVE_KEYS_PER_PARTNER } from '../../subgraphs/tenancy/api-keys.js';
import { adminClient, bearer, graphql, type GraphQLResponse } from '../support/platform.js';
import { codesOf, isolationWorld, PARTNER, type IsolationWorld } from './fixture.js';

let world: IsolationWorld;
beforeAll(async () => {
  world = await isolationWorld();
});
afterAll(() => world?.close());

/** MediBridge: no clinical:read in its allowance. CarePath: clinical:read allowed. */
const CAREPATH = DEMO_PARTNERS[1]!;

const ISSUE = 'mutation Issue($input: IssueApiKeyInput!) { issueApiKey(input: $input) { apiKey { id scopes } secret } }';
const ROTATE = 'mutation Rotate($id: ID!) { rotateApiKey(id: $id) { apiKey { id } secret } }';
const REVOKE = 'mutation Revoke($id: ID!) { revokeApiKey(id: $id) { revokedAt } }';
type Issued = { issueApiKey: { apiKey: { id: string; scopes: string[] }; secret: string } };

const issue = (headers: Record<string, string>, partnerId: string, scopes: string[], name = `scopes-${randomUUID()}`) =>
  graphql<Issued>(world.gateway, ISSUE, { variables: { input: { partnerId, name, scopes, expiresInDays: 7 } }, headers });

const platformAdmin = () => bearer(['platform_admin']);
const partnerAdminOf = (partnerId: string) => bearer(['partner_admin'], { partnerId });

async function keysNamed(name: string): Promise<number> {
  const admin = await adminClient();
  try {
    return (await admin.query<{ n: number }>('SELECT count(*)::int AS n FROM tenancy.api_keys WHERE name = $1', [name])).rows[0]!.n;
  } finally {
    await admin.end();
  }
}

/** Asserts a refused issuance: the code, no key in the answer, and no row written. */
async function expectRefusedIssue(response: GraphQLResponse<Issued>, name: string, code: string) {
  expect(codesOf(response.body)).toEqual([code]);
  expect(response.body.data ?? null).toBeNull();
  expect(response.text).not.toContain('cgk_');
  expect(await keysNamed(name)).toBe(0);
}

async function revoke(id: string) {
  const response = await graphql(world.gateway, REVOKE, { variables: { id }, headers: await platformAdmin() });
  expect(response.body.errors).toBeUndefined();
}

/** A partner of this suite's own, so the cap and allowance changes touch no other test. */
async function freshPartner(allowedScopes: string[]): Promise<string> {
  const id = randomUUID();
  const admin = await adminClient();
  try {
    await admin.query('INSERT INTO tenancy.partners (id, slug, name, brand_name, allowed_scopes) VALUES ($1, $2, $3, $3, $4)', [
      id,
      `suite-${randomBytes(6).toString('hex')}`,
      'Key Scope Suite Partner',
      allowedScopes,
    ]);
  } finally {
    await admin.end();
  }
  return id;
}

describe('scopes a key may carry', () => {
  it('the review’s attack: a partner admin cannot issue a key with clinical:read, which it lacks', async () => {
    for (const partner of [PARTNER, CAREPATH]) {
      const name = `attack-${randomUUID()}`;
      const response = await issue(await partnerAdminOf(partner.id), partner.id, ['tenant:read', 'clinical:read'], name);
      await expectRefusedIssue(response, name, 'INSUFFICIENT_SCOPE');
      expect(response.body.errors![0]!.message).toContain('clinical:read');
      expect(response.body.errors![0]!.message).not.toContain('tenant:read');
    }
  });

  it('a partner admin issues keys within its own scopes and its partner’s allowance', async () => {
    const response = await issue(await partnerAdminOf(PARTNER.id), PARTNER.id, ['tenant:read', 'telemetry:read']);
    expect(response.body.errors).toBeUndefined();
    expect(response.body.data!.issueApiKey.apiKey.scopes).toEqual(['tenant:read', 'telemetry:read']);
    await revoke(response.body.data!.issueApiKey.apiKey.id);
  });

  it('a platform admin issues only within the partner’s allowance', async () => {
    const name = `beyond-${randomUUID()}`;
    const refused = await issue(await platformAdmin(), PARTNER.id, ['tenant:read', 'clinical:read'], name);
    await expectRefusedIssue(refused, name, 'BAD_USER_INPUT');
    expect(refused.body.errors![0]!.message).toContain('clinical:read');

    const allowed = await issue(await platformAdmin(), CAREPATH.id, ['tenant:read', 'clinical:read']);
    expect(allowed.body.errors).toBeUndefined();
    expect(allowed.body.data!.issueApiKey.apiKey.scopes).toEqual(['tenant:read', 'clinical:read']);
    await revoke(allowed.body.data!.issueApiKey.apiKey.id);
  });

  it('a partner admin reads its partner’s allowance', async () => {
    const response = await graphql<{ partners: { id: string; allowedScopes: string[] }[] }>(world.gateway, '{ partners { id allowedScopes } }', {
      headers: await partnerAdminOf(PARTNER.id),
    });
    expect(response.body.errors).toBeUndefined();
    expect(response.body.data!.partners).toEqual([{ id: PARTNER.id, allowedScopes: PARTNER.allowedScopes }]);
  });

  it('rotation is held to the same rules: a partner admin cannot rotate a key carrying a scope it lacks', async () => {
    const issued = await issue(await platformAdmin(), CAREPATH.id, ['tenant:read', 'clinical:read']);
    const keyId = issued.body.data!.issueApiKey.apiKey.id;
    const rotated = await graphql(world.gateway, ROTATE, { variables: { id: keyId }, headers: await partnerAdminOf(CAREPATH.id) });
    expect(codesOf(rotated.body)).toEqual(['INSUFFICIENT_SCOPE']);
    expect(rotated.text).not.toContain('cgk_');
    const admin = await adminClient();
    const { rows } = await admin.query('SELECT revoked_at FROM tenancy.api_keys WHERE id = $1 OR rotated_from = $1', [keyId]);
    await admin.end();
    expect(rows).toEqual([{ revoked_at: null }]);
    await revoke(keyId);
  });

  it('a key loses a scope as soon as its partner’s allowance does (within the cache time)', async () => {
    const partnerId = await freshPartner(['tenant:read', 'billing:read']);
    const issued = await issue(await platformAdmin(), partnerId, ['tenant:read', 'billing:read']);
    const headers = { 'x-api-key': issued.body.data!.issueApiKey.secret };
    expect((await graphql(world.gateway, '{ partners { id } }', { headers })).body.errors).toBeUndefined();
    const admin = await adminClient();
    await admin.query("UPDATE tenancy.partners SET allowed_scopes = '{billing:read}' WHERE id = $1", [partnerId]);
    await admin.end();
    const changedAt = Date.now();
    let codes: unknown[] = [];
    while (codes.length === 0 && Date.now() - changedAt < 6_000) {
      codes = codesOf((await graphql(world.gateway, '{ partners { id } }', { headers })).body);
      if (codes.length === 0) await new Promise((resolve) => setTimeout(resolve, 200));
    }
    expect(codes).toEqual(['INSUFFICIENT_SCOPE']);
  });
});

describe('live keys per partner', () => {
  it(`at most ${MAX_LIVE_KEYS_PER_PARTNER}, even when issued concurrently; rotation still works at the cap`, async () => {
    const partnerId = await freshPartner(['tenant:read']);
    const headers = await platformAdmin();
    const extra = 5;
    const responses = await Promise.all(
      Array.from({ length: MAX_LIVE_KEYS_PER_PARTNER + extra }, (_, i) => issue(headers, partnerId, ['tenant:read'], `cap-${partnerId}-${i}`)),
    );
    const issued = responses.filter((r) => !r.body.errors).map((r) => r.body.data!.issueApiKey.apiKey.id);
    const refused = responses.filter((r) => r.body.errors);
    expect(issued).toHaveLength(MAX_LIVE_KEYS_PER_PARTNER);
    expect(refused).toHaveLength(extra);
    for (const response of refused) {
      expect(response.body.errors).toEqual([expect.objectContaining({ extensions: { code: 'RATE_LIMITED', limit: MAX_LIVE_KEYS_PER_PARTNER } })]);
      expect(response.text).not.toContain('cgk_');
    }
    const liveKeys = async () => {
      const admin = await adminClient();
      try {
        const { rows } = await admin.query<{ n: number }>(
          'SELECT count(*)::int AS n FROM tenancy.api_keys WHERE partner_id = $1 AND revoked_at IS NULL AND expires_at > now()',
          [partnerId],
        );
        return rows[0]!.n;
      } finally {
        await admin.end();
      }
    };
    expect(await liveKeys()).toBe(MAX_LIVE_KEYS_PER_PARTNER);

    // Rotation revokes one and issues one: never blocked by the cap.
    const rotated = await graphql<{ rotateApiKey: { secret: string } }>(world.gateway, ROTATE, { variables: { id: issued[0] }, headers });
    expect(rotated.body.errors).toBeUndefined();
    expect((await graphql(world.gateway, '{ partners { id } }', { headers: { 'x-api-key': rotated.body.data!.rotateApiKey.secret } })).status).toBe(200);
    expect(await liveKeys()).toBe(MAX_LIVE_KEYS_PER_PARTNER);

    // An expired key no longer counts; neither does a revoked one.
    const admin = await adminClient();
    await admin.query("UPDATE tenancy.api_keys SET expires_at = now() - interval '1 second' WHERE id = $1", [issued[1]]);
    await admin.end();
    expect((await issue(headers, partnerId, ['tenant:read'])).body.errors).toBeUndefined();
    expect(codesOf((await issue(headers, partnerId, ['tenant:read'])).body)).toEqual(['RATE_LIMITED']);
    await revoke(issued[2]!);
    expect((await issue(headers, partnerId, ['tenant:read'])).body.errors).toBeUndefined();
  });
});
