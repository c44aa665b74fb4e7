/**
 * The development issuer: one key pair per data folder, created once (also when two processes
 * race for it), the private half readable by its owner only and never published; its tokens
 * verify against its published JWKS exactly as the gateway verifies them.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { createLocalJWKSet, decodeProtectedHeader, jwtVerify } from 'jose';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { loadConfig, type Config } from '../config.js';
import { DEFAULT_ROLE_SCOPES } from '../policy/spec.js';
import { DevIssuer } from './dev-issuer.js';

let dataDir: string;
let config: Config;

beforeEach(() => {
  dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'caregraph-dev-issuer-'));
  config = loadConfig({ CAREGRAPH_DATA_DIR: dataDir, NODE_ENV: 'test', AUTH_ISSUER: 'test-issuer', AUTH_AUDIENCE: 'test-audience' });
});
afterEach(() => fs.rmSync(dataDir, { recursive: true, force: true }));

const keyFile = () => path.join(dataDir, 'dev-issuer-keys.json');

describe('DevIssuer', () => {
  it('creates its key pair in the data folder on first use, readable by its owner only', async () => {
    await DevIssuer.open(config);
    expect(fs.statSync(keyFile()).mode & 0o777).toBe(0o600);
  });

  it('keeps one key pair per data folder, also when two open it at once', async () => {
    const [first, second] = await Promise.all([DevIssuer.open(config), DevIssuer.open(config)]);
    const third = await DevIssuer.open(config);
    const kids = [first, second, third].map((issuer) => issuer.jwks().keys[0]!.kid);
    expect(new Set(kids).size).toBe(1);
    // A token of one verifies with the keys of another.
    await jwtVerify(await first.mint({ subject: 's', roles: ['analyst'] }), createLocalJWKSet(third.jwks()));
  });

  it('publishes the public key only', async () => {
    const { keys } = (await DevIssuer.open(config)).jwks();
    expect(keys).toHaveLength(1);
    expect(keys[0]).toMatchObject({ kty: 'EC', crv: 'P-256', alg: 'ES256', use: 'sig' });
    expect(keys[0]).not.toHaveProperty('d');
  });

  it('mints ES256 tokens that verify against its JWKS with the configured issuer and audience', async () => {
    const issuer = await DevIssuer.open(config);
    const token = await issuer.mint({ subject: 'clinician-1', roles: ['clinician'], tenantId: '00000000-0000-4000-8000-000000000001', ttlSeconds: 120 });
    expect(decodeProtectedHeader(token)).toMatchObject({ alg: 'ES256', typ: 'JWT', kid: issuer.jwks().keys[0]!.kid });
    const { payload } = await jwtVerify(token, createLocalJWKSet(issuer.jwks()), { issuer: 'test-issuer', audience: 'test-audience' });
    expect(payload).toMatchObject({ sub: 'clinician-1', roles: ['clinician'], tenant_id: '00000000-0000-4000-8000-000000000001' });
    expect(payload.scope).toBe(DEFAULT_ROLE_SCOPES.clinician.join(' '));
    expect(payload.exp! - payload.iat!).toBe(120);
    expect(payload.jti).toEqual(expect.any(String));
    expect(payload).not.toHaveProperty('partner_id');
  });

  it('gives the union of the roles’ default scopes, or exactly the scopes asked for', async () => {
    const issuer = await DevIssuer.open(config);
    const scopesOf = async (token: string) => ((await jwtVerify(token, createLocalJWKSet(issuer.jwks()))).payload.scope as string).split(' ').sort();
    const union = [...new Set([...DEFAULT_ROLE_SCOPES.biller, ...DEFAULT_ROLE_SCOPES.clinician])].sort();
    expect(await scopesOf(await issuer.mint({ subject: 's', roles: ['biller', 'clinician'] }))).toEqual(union);
    expect(await scopesOf(await issuer.mint({ subject: 's', roles: ['partner_admin'], partnerId: 'p', scopes: ['tenant:read'] }))).toEqual(['tenant:read']);
  });

  it('does not verify tokens of another data folder’s issuer', async () => {
    const otherDir = fs.mkdtempSync(path.join(os.tmpdir(), 'caregraph-dev-issuer-other-'));
    try {
      const other = await DevIssuer.open(loadConfig({ CAREGRAPH_DATA_DIR: otherDir, NODE_ENV: 'test' }));
      const ours = await DevIssuer.open(config);
      const token = await other.mint({ subject: 's', roles: ['analyst'] });
      await expect(jwtVerify(token, createLocalJWKSet(ours.jwks()))).rejects.toThrow();
    } finally {
      fs.rmSync(otherDir, { recursive: true, force: true });
    }
  });
});
