import { createHmac, createPublicKey, generateKeyPairSync } from 'node:crypto';
import fs from 'node:fs';
import type { IncomingHttpHeaders } from 'node:http';
import os from 'node:os';
import path from 'node:path';
import { jwtVerify } from 'jose';
import { afterAll, describe, expect, it } from 'vitest';
import { loadConfig, type ConfigError } from './config.js';
import {
  CONTEXT_HEADER,
  ContextSigner,
  ContextVerifier,
  createContextSigner,
  createContextVerifier,
  generatedKeysFolder,
  REQUEST_ID_HEADER,
  type TenantContext,
} from './tenant-context.js';

const pair = generateKeyPairSync('ed25519');
const signer = new ContextSigner(pair.privateKey, 30);
const verifier = new ContextVerifier(pair.publicKey);

const user: TenantContext = {
  requestId: 'req-1',
  access: 'tenant',
  tenantId: '6f1c2a9e-5b7d-4c3a-9e8f-1a2b3c4d5e6f',
  principal: { id: 'user:dr-a', kind: 'user' },
  roles: ['clinician'],
  scopes: ['clinical:read'],
  entitlements: [],
};
const service: TenantContext = { ...user, access: 'platform', tenantId: null, principal: { id: 'gateway', kind: 'service' } };

const headersOf = (token: string, requestId: string | string[] = 'req-1'): IncomingHttpHeaders => ({
  [CONTEXT_HEADER]: token,
  [REQUEST_ID_HEADER]: requestId,
});
const segment = (value: object) => Buffer.from(JSON.stringify(value)).toString('base64url');
const claimsOf = (token: string) => JSON.parse(Buffer.from(token.split('.')[1]!, 'base64url').toString()) as Record<string, unknown>;

/** Expects `fn` to throw CONTEXT_INVALID with `message`. */
function expectRefused(fn: () => unknown, message: string | RegExp = 'Tenant context invalid'): void {
  expect(fn).toThrow(expect.objectContaining({ code: 'CONTEXT_INVALID', message: expect.stringMatching(message) as unknown }) as Error);
}

describe('ContextSigner / ContextVerifier', () => {
  it('round-trips a context addressed to one subgraph', async () => {
    const token = await signer.sign(user, 'erp');
    expect(verifier.verify(headersOf(token), 'erp', 'graphql')).toEqual(user);
    const [header] = token.split('.');
    expect(JSON.parse(Buffer.from(header!, 'base64url').toString())).toEqual({ alg: 'EdDSA', typ: 'JWT', kid: verifier.kid });
    expect(claimsOf(token)).toMatchObject({ iss: 'caregraph-gateway', aud: 'erp' });
  });

  it('makes standard JWS: a JOSE library verifies it with the public key', async () => {
    const { payload } = await jwtVerify(await signer.sign(user, 'erp'), pair.publicKey, { algorithms: ['EdDSA'], audience: 'erp' });
    expect(payload.ctx).toEqual(user);
  });

  it('refuses a tampered payload', async () => {
    const token = await signer.sign(user, 'erp');
    const [header, , signature] = token.split('.');
    const claims = claimsOf(token);
    const forged = `${header}.${segment({ ...claims, ctx: { ...user, roles: ['platform_admin'] } })}.${signature}`;
    expectRefused(() => verifier.verify(headersOf(forged), 'erp', 'graphql'));
  });

  it('refuses a context signed with another key, even under this key id', async () => {
    const byOther = await new ContextSigner(generateKeyPairSync('ed25519').privateKey, 30).sign(user, 'erp');
    expectRefused(() => verifier.verify(headersOf(byOther), 'erp', 'graphql'));
    const [, body, signature] = byOther.split('.');
    const [header] = (await signer.sign(user, 'erp')).split('.');
    expectRefused(() => verifier.verify(headersOf(`${header}.${body}.${signature}`), 'erp', 'graphql'));
  });

  it('refuses a context addressed to another subgraph', async () => {
    const forTenancy = await signer.sign(user, 'tenancy');
    expectRefused(() => verifier.verify(headersOf(forTenancy), 'erp', 'graphql'));
  });

  it('refuses an expired context', async () => {
    const expired = await new ContextSigner(pair.privateKey, -1).sign(user, 'erp');
    expectRefused(() => verifier.verify(headersOf(expired), 'erp', 'graphql'), 'Tenant context expired');
  });

  it('refuses HS256 and unsigned tokens, and the public key used as an HMAC secret', async () => {
    const genuine = await signer.sign(user, 'erp');
    const body = segment(claimsOf(genuine));
    const publicPem = pair.publicKey.export({ type: 'spki', format: 'pem' }).toString();
    const hmac = (header: string) => createHmac('sha256', publicPem).update(`${header}.${body}`).digest('base64url');
    const hs256 = segment({ alg: 'HS256', typ: 'JWT', kid: verifier.kid });
    const none = segment({ alg: 'none', typ: 'JWT', kid: verifier.kid });
    const eddsa = segment({ alg: 'EdDSA', typ: 'JWT', kid: verifier.kid });
    for (const token of [
      `${hs256}.${body}.${hmac(hs256)}`,
      `${none}.${body}.`,
      `${none}.${body}.${genuine.split('.')[2]}`,
      // An EdDSA header over an HMAC made with the public key: not an Ed25519 signature.
      `${eddsa}.${body}.${hmac(eddsa)}`,
    ]) {
      expectRefused(() => verifier.verify(headersOf(token), 'erp', 'graphql'));
    }
  });

  it('refuses a header with crit, and garbage', async () => {
    const token = await signer.sign(user, 'erp');
    const [, body, signature] = token.split('.');
    const crit = segment({ alg: 'EdDSA', kid: verifier.kid, crit: ['exp'] });
    expectRefused(() => verifier.verify(headersOf(`${crit}.${body}.${signature}`), 'erp', 'graphql'));
    expectRefused(() => verifier.verify(headersOf('a.b'), 'erp', 'graphql'));
    expectRefused(() => verifier.verify(headersOf('!!!.???.***'), 'erp', 'graphql'));
    expectRefused(() => verifier.verify({ [REQUEST_ID_HEADER]: 'req-1' }, 'erp', 'graphql'), /^Missing tenant context/);
  });

  it('binds a context to its request id', async () => {
    const token = await signer.sign(user, 'erp');
    expectRefused(() => verifier.verify({ [CONTEXT_HEADER]: token }, 'erp', 'graphql'), 'Tenant context belongs to another request');
    for (const requestId of ['req-2', '', ['req-1', 'req-1']]) {
      expectRefused(() => verifier.verify(headersOf(token, requestId), 'erp', 'graphql'), 'Tenant context belongs to another request');
    }
  });

  it('accepts a service context on internal routes only, and a caller context on GraphQL only', async () => {
    const asService = await signer.sign(service, 'erp');
    const asUser = await signer.sign(user, 'erp');
    expect(verifier.verify(headersOf(asService), 'erp', 'internal')).toEqual(service);
    expectRefused(() => verifier.verify(headersOf(asService), 'erp', 'graphql'), 'Service contexts are accepted on internal routes only');
    expectRefused(() => verifier.verify(headersOf(asUser), 'erp', 'internal'), 'Internal routes answer services only');
  });

  it('refuses to be built with the wrong half of a key pair', () => {
    expect(() => new ContextSigner(pair.publicKey, 30)).toThrow(/private key/);
    expect(() => new ContextVerifier(pair.privateKey)).toThrow(/public key/);
  });
});

describe('signing keys from the configuration', () => {
  const folders: string[] = [];
  const freshDataDir = () => {
    const folder = fs.mkdtempSync(path.join(os.tmpdir(), 'caregraph-keys-'));
    folders.push(folder);
    return folder;
  };
  afterAll(() => {
    for (const folder of folders) fs.rmSync(folder, { recursive: true, force: true });
  });

  it('generates one pair into the data folder, the private key readable by its owner only', async () => {
    const config = loadConfig({ CAREGRAPH_DATA_DIR: freshDataDir() });
    const gatewaySigner = createContextSigner(config);
    const subgraphVerifier = createContextVerifier(config);
    expect(subgraphVerifier.kid).toBe(gatewaySigner.kid);
    // Started again (another service, a restart): the same pair.
    expect(createContextSigner(config).kid).toBe(gatewaySigner.kid);
    const folder = generatedKeysFolder(config.dataDir);
    expect(fs.readdirSync(folder).sort()).toEqual(['signing-key.pem', 'verify-key.pem']);
    expect(fs.statSync(path.join(folder, 'signing-key.pem')).mode & 0o777).toBe(0o600);
    expect(fs.readdirSync(config.dataDir)).toEqual(['context-keys']);
    const token = await gatewaySigner.sign(user, 'erp');
    expect(subgraphVerifier.verify(headersOf(token), 'erp', 'graphql')).toEqual(user);
  });

  it('every service started from one data folder uses the one generated pair', () => {
    const dataDir = freshDataDir();
    const kids = Array.from({ length: 5 }, () => createContextVerifier(loadConfig({ CAREGRAPH_DATA_DIR: dataDir })).kid);
    expect(new Set(kids).size).toBe(1);
    expect(fs.readdirSync(dataDir)).toEqual(['context-keys']);
  });

  it('takes the keys from CONTEXT_SIGNING_KEY (PEM or JWK) and CONTEXT_VERIFY_KEY', () => {
    const given = generateKeyPairSync('ed25519');
    const dataDir = freshDataDir();
    const privateJwk = JSON.stringify(given.privateKey.export({ format: 'jwk' }));
    const publicPem = given.publicKey.export({ type: 'spki', format: 'pem' }).toString();
    const gateway = createContextSigner(loadConfig({ CAREGRAPH_DATA_DIR: dataDir, CONTEXT_SIGNING_KEY: privateJwk, CONTEXT_VERIFY_KEY: publicPem }));
    const subgraph = createContextVerifier(loadConfig({ CAREGRAPH_DATA_DIR: dataDir, CONTEXT_VERIFY_KEY: publicPem.replace(/\n/g, '\\n') }));
    expect(subgraph.kid).toBe(gateway.kid);
    // Nothing was generated: the configured keys are the only ones.
    expect(fs.readdirSync(dataDir)).toEqual([]);
    // One environment for every service (npm start): the verifier derives the public half.
    expect(createContextVerifier(loadConfig({ CAREGRAPH_DATA_DIR: dataDir, CONTEXT_SIGNING_KEY: privateJwk })).kid).toBe(gateway.kid);
  });

  it('refuses mismatched, malformed or misplaced keys at start, naming the variable', () => {
    const given = generateKeyPairSync('ed25519');
    const other = generateKeyPairSync('ed25519');
    const privatePem = given.privateKey.export({ type: 'pkcs8', format: 'pem' }).toString();
    expect(() =>
      createContextSigner(
        loadConfig({
          CAREGRAPH_DATA_DIR: freshDataDir(),
          CONTEXT_SIGNING_KEY: privatePem,
          CONTEXT_VERIFY_KEY: createPublicKey(other.privateKey).export({ type: 'spki', format: 'pem' }).toString(),
        }),
      ),
    ).toThrow('CONTEXT_SIGNING_KEY and CONTEXT_VERIFY_KEY are not one key pair');
    const rsa = generateKeyPairSync('rsa', { modulusLength: 2048 }).privateKey.export({ type: 'pkcs8', format: 'pem' }).toString();
    const refused = (env: Record<string, string>) => {
      try {
        loadConfig(env);
      } catch (error) {
        return (error as ConfigError).issues;
      }
      return [];
    };
    expect(refused({ CONTEXT_SIGNING_KEY: rsa })).toEqual([{ variable: 'CONTEXT_SIGNING_KEY', message: expect.stringContaining('Ed25519') as unknown }]);
    expect(refused({ CONTEXT_SIGNING_KEY: '{not json' })).toEqual([{ variable: 'CONTEXT_SIGNING_KEY', message: expect.stringContaining('Ed25519') as unknown }]);
    expect(refused({ CONTEXT_VERIFY_KEY: privatePem })).toEqual([{ variable: 'CONTEXT_VERIFY_KEY', message: expect.stringContaining('private key') as unknown }]);
    expect(refused({ CONTEXT_SIGNING_SECRET: 'x'.repeat(48) })).toEqual([{ variable: 'CONTEXT_SIGNING_SECRET', message: expect.stringContaining('no longer used') as unknown }]);
  });
});
