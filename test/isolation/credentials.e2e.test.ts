/**
 * Isolation: credentials. Forged, expired, revoked or misused tokens and keys get
 * UNAUTHENTICATED or TENANT_FORBIDDEN, execute nothing, and return no byte of tenant B.
 */
import { randomBytes } from 'node:crypto';
import { createLocalJWKSet, generateKeyPair, jwtVerify, SignJWT, type JSONWebKeySet } from 'jose';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { apiKeyChecksum } from '../../lib/auth/api-keys.js';
import { adminClient, bearer, graphql, testConfig, tokenFor } from '../support/platform.js';
import { codesOf, expectNoDataOf, isolationWorld, issueKey, signWithDevKey, type IsolationWorld } from './fixture.js';

let world: IsolationWorld;
beforeAll(async () => {
  world = await isolationWorld();
});
afterAll(() => world?.close());

const PROFILE = 'query Profile($id: ID!) { tenant(id: $id) { id slug name subscription { status } } }';
const now = () => Math.floor(Date.now() / 1000);
const userClaims = (extra: Record<string, unknown> = {}) => ({
  sub: 'intruder',
  iss: 'caregraph-dev-issuer',
  aud: 'caregraph',
  roles: ['platform_admin'],
  scope: 'tenant:read billing:read',
  iat: now() - 10,
  exp: now() + 600,
  ...extra,
});

async function expectRefused(headers: Record<string, string>, status: number, code: string, query = PROFILE) {
  const response = await graphql(world.gateway, query, { variables: { id: world.b }, headers: { ...headers, 'x-tenant-id': world.b } });
  expect(response.status).toBe(status);
  expect(codesOf(response.body)).toEqual([code]);
  expect(response.body.data ?? null).toBeNull();
  expectNoDataOf(world, response.text);
  return response;
}

describe('JWT', () => {
  it('user of A reading B by id gets null, not B', async () => {
    const response = await graphql(world.gateway, PROFILE, { variables: { id: world.b }, headers: await bearer(['clinician'], { tenantId: world.a }) });
    expect(response.status).toBe(200);
    expect(response.body.data).toEqual({ tenant: null });
    expectNoDataOf(world, response.text);
  });

  it('user of A setting x-tenant-id to B is refused with TENANT_FORBIDDEN', async () => {
    await expectRefused(await bearer(['tenant_admin'], { tenantId: world.a }), 403, 'TENANT_FORBIDDEN');
  });

  it('an expired token is refused', async () => {
    const token = await signWithDevKey(userClaims({ iat: now() - 3600, exp: now() - 60 }));
    const response = await expectRefused({ authorization: `Bearer ${token}` }, 401, 'UNAUTHENTICATED');
    expect(response.body.errors?.[0]?.message).toBe('Token expired');
  });

  it('a token not yet valid is refused', async () => {
    await expectRefused({ authorization: `Bearer ${await signWithDevKey(userClaims({ nbf: now() + 600 }))}` }, 401, 'UNAUTHENTICATED');
  });

  it('an alg "none" token is refused', async () => {
    const encode = (value: object) => Buffer.from(JSON.stringify(value)).toString('base64url');
    const token = `${encode({ alg: 'none', typ: 'JWT' })}.${encode(userClaims())}.`;
    await expectRefused({ authorization: `Bearer ${token}` }, 401, 'UNAUTHENTICATED');
  });

  it('a token signed with another key (same kid) is refused', async () => {
    const { privateKey } = await generateKeyPair('ES256');
    const kid = ((await (await fetch(new URL('/.well-known/jwks.json', world.gateway))).json()) as JSONWebKeySet).keys[0]!.kid;
    const token = await new SignJWT(userClaims()).setProtectedHeader({ alg: 'ES256', kid }).sign(privateKey);
    await expectRefused({ authorization: `Bearer ${token}` }, 401, 'UNAUTHENTICATED');
  });

  it('an HS256 token keyed with the published public key (algorithm confusion) is refused', async () => {
    const jwks = (await (await fetch(new URL('/.well-known/jwks.json', world.gateway))).json()) as JSONWebKeySet;
    const secret = new TextEncoder().encode(JSON.stringify(jwks.keys[0]));
    const token = await new SignJWT(userClaims()).setProtectedHeader({ alg: 'HS256', kid: jwks.keys[0]!.kid }).sign(secret);
    await expectRefused({ authorization: `Bearer ${token}` }, 401, 'UNAUTHENTICATED');
  });

  it('a token for another issuer or audience is refused', async () => {
    await expectRefused({ authorization: `Bearer ${await signWithDevKey(userClaims({ iss: 'https://evil.example' }))}` }, 401, 'UNAUTHENTICATED');
    await expectRefused({ authorization: `Bearer ${await signWithDevKey(userClaims({ aud: 'someone-else' }))}` }, 401, 'UNAUTHENTICATED');
  });

  it('publishes one public key that verifies the development issuer’s tokens, and nothing signed by another key', async () => {
    const response = await fetch(new URL('/.well-known/jwks.json', world.gateway));
    expect(response.status).toBe(200);
    const jwks = (await response.json()) as JSONWebKeySet;
    expect(jwks.keys).toHaveLength(1);
    // Public material only: no private exponent.
    expect(jwks.keys[0]).not.toHaveProperty('d');
    const published = createLocalJWKSet(jwks);
    const { auth } = testConfig();

    const issued = await tokenFor(['clinician'], { tenantId: world.a, subject: 'jwks-check' });
    const { payload, protectedHeader } = await jwtVerify(issued, published, { issuer: auth.issuer, audience: auth.audience });
    expect(payload).toMatchObject({ sub: 'jwks-check', tenant_id: world.a });
    expect(protectedHeader.kid).toBe(jwks.keys[0]!.kid);

    const { privateKey } = await generateKeyPair('ES256');
    const forged = await new SignJWT(userClaims()).setProtectedHeader({ alg: 'ES256', kid: jwks.keys[0]!.kid }).sign(privateKey);
    await expect(jwtVerify(forged, published)).rejects.toMatchObject({ code: 'ERR_JWS_SIGNATURE_VERIFICATION_FAILED' });
    const otherKid = await new SignJWT(userClaims()).setProtectedHeader({ alg: 'ES256', kid: 'another-key' }).sign(privateKey);
    await expect(jwtVerify(otherKid, published)).rejects.toMatchObject({ code: 'ERR_JWKS_NO_MATCHING_KEY' });
  });
});

describe('anonymous', () => {
  it('introspection is refused with UNAUTHENTICATED', async () => {
    const response = await graphql(world.gateway, '{ __schema { types { name } } }');
    expect(response.status).toBe(401);
    expect(codesOf(response.body)).toEqual(['UNAUTHENTICATED']);
    expect(response.text).not.toContain('Tenant');
  });

  it('any query is refused with UNAUTHENTICATED', async () => {
    await expectRefused({}, 401, 'UNAUTHENTICATED');
  });
});

describe('partner API keys', () => {
  it('act on attributed tenants only: an unattributed tenant is TENANT_FORBIDDEN', async () => {
    const key = await issueKey(world, ['tenant:read', 'billing:read']);
    const own = await graphql<{ tenant: { id: string } }>(world.gateway, PROFILE, {
      variables: { id: world.a },
      headers: { 'x-api-key': key.secret, 'x-tenant-id': world.a },
    });
    expect(own.body.errors).toBeUndefined();
    expect(own.body.data!.tenant.id).toBe(world.a);
    await expectRefused({ 'x-api-key': key.secret }, 403, 'TENANT_FORBIDDEN');
  });

  it('are stored only as a hash, and record their last use', async () => {
    const key = await issueKey(world, ['tenant:read']);
    await graphql(world.gateway, PROFILE, { variables: { id: world.a }, headers: { 'x-api-key': key.secret, 'x-tenant-id': world.a } });
    const admin = await adminClient();
    const { rows } = await admin.query<{ last_used_at: Date | null }>('SELECT * FROM tenancy.api_keys WHERE id = $1', [key.id]);
    await admin.end();
    // The random part sits between the prefix and the checksum (it may itself contain '_').
    expect(JSON.stringify(rows[0])).not.toContain(key.secret.slice('cgk_12345678_'.length, -'_abcdef'.length));
    expect(rows[0]!.last_used_at).not.toBeNull();
  });

  it('a revoked key stops working within 5 seconds', async () => {
    const key = await issueKey(world, ['tenant:read']);
    const headers = { 'x-api-key': key.secret, 'x-tenant-id': world.a };
    expect((await graphql(world.gateway, PROFILE, { variables: { id: world.a }, headers })).status).toBe(200);
    const revoke = await graphql(world.gateway, 'mutation R($id: ID!) { revokeApiKey(id: $id) { revokedAt } }', {
      variables: { id: key.id },
      headers: await bearer(['platform_admin']),
    });
    expect(revoke.body.errors).toBeUndefined();
    const revokedAt = Date.now();
    let status = 200;
    while (status === 200 && Date.now() - revokedAt < 5_000) {
      status = (await graphql(world.gateway, PROFILE, { variables: { id: world.a }, headers })).status;
      if (status === 200) await new Promise((resolve) => setTimeout(resolve, 200));
    }
    expect(status).toBe(401);
    await expectRefused({ 'x-api-key': key.secret }, 401, 'UNAUTHENTICATED');
  });

  it('a rotated key is replaced: the old one stops, the new one works', async () => {
    const key = await issueKey(world, ['tenant:read']);
    const rotated = await graphql<{ rotateApiKey: { secret: string } }>(world.gateway, 'mutation R($id: ID!) { rotateApiKey(id: $id) { secret apiKey { scopes } } }', {
      variables: { id: key.id },
      headers: await bearer(['platform_admin']),
    });
    expect(rotated.body.errors).toBeUndefined();
    const fresh = rotated.body.data!.rotateApiKey.secret;
    expect(fresh).not.toBe(key.secret);
    const ok = await graphql(world.gateway, PROFILE, { variables: { id: world.a }, headers: { 'x-api-key': fresh, 'x-tenant-id': world.a } });
    expect(ok.status).toBe(200);
    await expectRefused({ 'x-api-key': key.secret }, 401, 'UNAUTHENTICATED');
  });

  it('an expired key is refused', async () => {
    const key = await issueKey(world, ['tenant:read'], 1);
    const admin = await adminClient();
    await admin.query("UPDATE tenancy.api_keys SET expires_at = now() - interval '1 second' WHERE id = $1", [key.id]);
    await admin.end();
    const response = await expectRefused({ 'x-api-key': key.secret }, 401, 'UNAUTHENTICATED');
    expect(response.body.errors?.[0]?.message).toBe('API key expired');
  });

  it('a made-up key is refused', async () => {
    await expectRefused({ 'x-api-key': 'cgk_00000000_' + 'A'.repeat(43) }, 401, 'UNAUTHENTICATED');
    await expectRefused({ 'x-api-key': 'not a key' }, 401, 'UNAUTHENTICATED');
  });

  it('a key whose checksum does not match is refused without a single statement in tenancy; the real key works', async () => {
    const key = await issueKey(world, ['tenant:read', 'billing:read']);
    const body = key.secret.slice(0, -'_abcdef'.length);
    const checksum = key.secret.slice(-6);
    const mistyped = `${body}_${checksum === 'AAAAAA' ? 'AAAAAB' : 'AAAAAA'}`;
    const randomBody = `cgk_${randomBytes(4).toString('hex')}_${randomBytes(32).toString('base64url')}`;
    const random = `${randomBody}_${apiKeyChecksum(randomBody) === 'AAAAAA' ? 'AAAAAB' : 'AAAAAA'}`;
    const tenancy = world.platform.subgraphs.tenancy.db!;
    const before = tenancy.statementCount;
    for (const wrong of [mistyped, random]) {
      const response = await expectRefused({ 'x-api-key': wrong }, 401, 'UNAUTHENTICATED');
      expect(response.body.errors?.[0]?.message).toBe('Invalid API key');
    }
    expect(tenancy.statementCount - before).toBe(0);
    const ok = await graphql(world.gateway, PROFILE, { variables: { id: world.a }, headers: { 'x-api-key': key.secret, 'x-tenant-id': world.a } });
    expect(ok.status).toBe(200);
    expect(ok.body.errors).toBeUndefined();
  });

  it('a well-formed unknown key costs one lookup, then is answered from the bounded cache', async () => {
    const body = `cgk_${randomBytes(4).toString('hex')}_${randomBytes(32).toString('base64url')}`;
    const unknown = `${body}_${apiKeyChecksum(body)}`;
    const tenancy = world.platform.subgraphs.tenancy.db!;
    const before = tenancy.statementCount;
    await expectRefused({ 'x-api-key': unknown }, 401, 'UNAUTHENTICATED');
    const afterFirst = tenancy.statementCount;
    expect(afterFirst).toBeGreaterThan(before);
    await expectRefused({ 'x-api-key': unknown }, 401, 'UNAUTHENTICATED');
    expect(tenancy.statementCount).toBe(afterFirst);
  });

  it('analysts cannot issue keys (read-only), nor can a partner admin for another partner', async () => {
    const analyst = await graphql(world.gateway, 'mutation { issueApiKey(input: { partnerId: "00000000-0000-4000-8000-000000000000", name: "x", scopes: ["tenant:read"] }) { secret } }', {
      headers: await bearer(['analyst']),
    });
    expect(analyst.status).toBe(403);
    expect(codesOf(analyst.body)).toEqual(['INSUFFICIENT_SCOPE']);
    const otherPartner = await graphql(world.gateway, 'mutation { issueApiKey(input: { partnerId: "00000000-0000-4000-8000-000000000000", name: "x", scopes: ["tenant:read"] }) { secret } }', {
      headers: await bearer(['partner_admin'], { partnerId: '11111111-1111-4111-8111-111111111111' }),
    });
    expect(codesOf(otherPartner.body)).toEqual(['INSUFFICIENT_SCOPE']);
    expect(otherPartner.text).not.toContain('cgk_');
  });
});
