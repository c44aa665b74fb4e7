/**
 * The development persona route: only with the development issuer and never in production,
 * only for callers on this machine, a 15-minute token of the persona's roles bound to tenant A
 * or the demo partner, and a message for an unknown persona or missing demo credentials.
 */
import fs from 'node:fs';
import type http from 'node:http';
import os from 'node:os';
import path from 'node:path';
import { createLocalJWKSet, jwtVerify } from 'jose';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DevIssuer } from '../../lib/auth/dev-issuer.js';
import { loadConfig, type Config } from '../../lib/config.js';
import { CareGraphError } from '../../lib/errors.js';
import { offersPersonaTokens, PERSONA_TOKEN_TTL_SECONDS, personaTokenRoute, readDemoFleetIds } from './persona-token.js';

const TENANT_A = '11111111-1111-4111-8111-111111111111';
const PARTNER = '22222222-2222-4222-8222-222222222222';
let dataDir: string;
let config: Config;
let issuer: DevIssuer;

beforeAll(async () => {
  dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'caregraph-persona-'));
  config = loadConfig({ CAREGRAPH_DATA_DIR: dataDir });
  issuer = await DevIssuer.open(config);
});
afterAll(() => fs.rmSync(dataDir, { recursive: true, force: true }));

const request = (remoteAddress = '127.0.0.1', method = 'POST') => ({ method, socket: { remoteAddress } }) as unknown as http.IncomingMessage;
const writeCredentials = () =>
  fs.writeFileSync(path.join(dataDir, 'demo-credentials.json'), JSON.stringify({ tenants: { a: TENANT_A, b: PARTNER }, principals: { partnerAdmin: { partnerId: PARTNER } } }));

/** The error the route refuses with: its code and message. */
async function refusal(promise: Promise<unknown>): Promise<{ code: string; message: string }> {
  const error = await promise.then(
    () => undefined,
    (failure: unknown) => failure,
  );
  expect(error).toBeInstanceOf(CareGraphError);
  return { code: (error as CareGraphError).code, message: (error as CareGraphError).message };
}

describe('where the route exists', () => {
  it('with the development issuer, outside production', () => {
    expect(offersPersonaTokens(config)).toBe(true);
    expect(offersPersonaTokens({ ...config, env: 'test' })).toBe(true);
    expect(offersPersonaTokens({ ...config, auth: { mode: 'jwks', jwksUrl: 'https://idp.example/jwks', issuer: 'i', audience: 'a' } })).toBe(false);
  });

  it('never in production: it is not offered, and making it fails with a clear error', () => {
    const production = { ...config, env: 'production' as const };
    expect(offersPersonaTokens(production)).toBe(false);
    expect(() => personaTokenRoute(production, issuer)).toThrow('/dev/persona-token is for development only: it never exists when NODE_ENV=production');
  });

  it('never without the development issuer', () => {
    const jwks = { ...config, auth: { mode: 'jwks' as const, jwksUrl: 'https://idp.example/jwks', issuer: 'i', audience: 'a' } };
    expect(() => personaTokenRoute(jwks, issuer)).toThrow(/needs the development issuer/);
  });
});

describe('personaTokenRoute', () => {
  it('mints a 15-minute token of the persona’s roles that the issuer’s keys verify', async () => {
    const answer = await personaTokenRoute(config, issuer)(request(), { persona: 'analyst' });
    expect(answer).toMatchObject({ status: 200, body: { persona: 'analyst', label: 'Analyst', expiresAt: expect.any(String) }, headers: { 'cache-control': 'no-store' } });
    const { token } = answer.body as { token: string };
    const { payload } = await jwtVerify(token, createLocalJWKSet(issuer.jwks()), { issuer: config.auth.issuer, audience: config.auth.audience });
    expect(payload).toMatchObject({ sub: 'demo-analyst', roles: ['analyst'] });
    expect(payload.exp! - payload.iat!).toBe(PERSONA_TOKEN_TTL_SECONDS);
    expect(payload.tenant_id).toBeUndefined();
  });

  it('binds tenant personas to tenant A and the partner persona to the demo partner', async () => {
    writeCredentials();
    const route = personaTokenRoute(config, issuer);
    expect((await route(request(), { persona: 'biller' })).body).toMatchObject({ tenantId: TENANT_A });
    expect((await route(request(), { persona: 'partner' })).body).toMatchObject({ partnerId: PARTNER });
  });

  it('refuses an unknown persona with BAD_USER_INPUT naming the known ones', async () => {
    const route = personaTokenRoute(config, issuer);
    expect(await refusal(route(request(), { persona: 'nurse' }))).toEqual({
      code: 'BAD_USER_INPUT',
      message: 'Unknown persona "nurse": one of platform-admin, tenant-admin, clinician, biller, analyst, partner',
    });
    expect((await refusal(route(request(), undefined))).message).toMatch(/^Unknown persona null/);
  });

  it('refuses callers from another machine, and GET', async () => {
    const route = personaTokenRoute(config, issuer);
    expect((await refusal(route(request('10.0.0.8'), { persona: 'analyst' }))).code).toBe('UNAUTHENTICATED');
    expect((await route(request('::ffff:127.0.0.1'), { persona: 'analyst' })).status).toBe(200);
    expect((await route(request('::1'), { persona: 'analyst' })).status).toBe(200);
    expect((await refusal(route(request('127.0.0.1', 'GET')))).code).toBe('METHOD_NOT_ALLOWED');
  });

  it('says where demo credentials come from when a tenant persona needs them and there are none', async () => {
    fs.rmSync(path.join(dataDir, 'demo-credentials.json'), { force: true });
    expect(await refusal(personaTokenRoute(config, issuer)(request(), { persona: 'clinician' }))).toEqual({
      code: 'NOT_FOUND',
      message: 'No demo credentials for the Clinician (tenant A): `npm start` writes them into the data folder',
    });
  });
});

describe('readDemoFleetIds', () => {
  it('reads tenant A and the partner, and nothing from a file without them', () => {
    writeCredentials();
    expect(readDemoFleetIds(dataDir)).toEqual({ tenantA: TENANT_A, partnerId: PARTNER });
    fs.writeFileSync(path.join(dataDir, 'demo-credentials.json'), '{"tenants":{"a":"not-a-uuid"}}');
    expect(readDemoFleetIds(dataDir)).toBeNull();
    expect(readDemoFleetIds(path.join(dataDir, 'missing'))).toBeNull();
  });
});
