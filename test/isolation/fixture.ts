/**
 * The isolation suite's world: the running platform, tenant A (standard plan, attributed to
 * partner 1) and tenant B (not attributed to partner 1, on a premium-or-better plan), tokens
 * for their people, and B's identifying strings so a test can assert that not one of them
 * appears in a response.
 */
import fs from 'node:fs';
import path from 'node:path';
import { SignJWT, importJWK, type JWK } from 'jose';
import { expect, inject } from 'vitest';
import { DEMO_PARTNERS } from '../../lib/demo/fleet.js';
import type { InProcessPlatform } from '../../scripts/platform.js';
import { CONTEXT_HEADER, ContextSigner, REQUEST_ID_HEADER, resolveSigningKey, type TenantContext } from '../../lib/tenant-context.js';
import { adminClient, bearer, graphql, startTestPlatform, testConfig } from '../support/platform.js';

export const PARTNER = DEMO_PARTNERS[0]!;

export interface IsolationWorld {
  platform: InProcessPlatform;
  gateway: string;
  a: string;
  b: string;
  /** Strings that identify tenant B's data: ids, slug, patient ids, MRNs, e-mails. */
  secretsOfB: string[];
  patientOfA: string;
  patientOfB: string;
  close(): Promise<void>;
}

export async function isolationWorld(): Promise<IsolationWorld> {
  const admin = await adminClient();
  try {
    const pick = async (sql: string) => (await admin.query<{ id: string }>(sql, [PARTNER.id])).rows[0]!.id;
    const a = await pick(
      `SELECT t.id FROM tenancy.tenants t JOIN erp.subscriptions s ON s.tenant_id = t.id
        WHERE t.partner_id = $1 AND t.status = 'active' AND t.placement = 'pooled' AND s.plan_code = 'standard' AND s.status = 'active' ORDER BY t.slug LIMIT 1`,
    );
    const b = await pick(
      `SELECT t.id FROM tenancy.tenants t JOIN erp.subscriptions s ON s.tenant_id = t.id
        WHERE t.partner_id IS DISTINCT FROM $1 AND t.status = 'active' AND t.placement = 'pooled' AND s.plan_code <> 'standard' ORDER BY t.slug LIMIT 1`,
    );
    const { rows: [tenantB] } = await admin.query<{ slug: string }>('SELECT slug FROM tenancy.tenants WHERE id = $1', [b]);
    const { rows: patientsB } = await admin.query<{ id: string; mrn: string; email: string }>('SELECT id, mrn, email FROM clinical_ops.patients WHERE tenant_id = $1', [b]);
    const { rows: [subscriptionB] } = await admin.query<{ id: string }>('SELECT id FROM erp.subscriptions WHERE tenant_id = $1', [b]);
    const { rows: [patientA] } = await admin.query<{ id: string }>('SELECT id FROM clinical_ops.patients WHERE tenant_id = $1 ORDER BY mrn LIMIT 1', [a]);
    const platform = await startTestPlatform();
    return {
      platform,
      gateway: platform.gateway.url,
      a,
      b,
      secretsOfB: [b, tenantB!.slug, subscriptionB!.id, ...patientsB.flatMap((p) => [p.id, p.mrn, p.email])],
      patientOfA: patientA!.id,
      patientOfB: patientsB[0]!.id,
      close: () => platform.close(),
    };
  } finally {
    await admin.end();
  }
}

/** Asserts that not one identifying string of tenant B occurs in `text`. */
export function expectNoDataOf(world: IsolationWorld, text: string): void {
  const leaked = world.secretsOfB.filter((secret) => text.includes(secret));
  expect(leaked, 'tenant B data in the response').toEqual([]);
}

/** The codes of a response's errors, in order. */
export const codesOf = (body: { errors?: { extensions?: Record<string, unknown> }[] }) =>
  (body.errors ?? []).map((error) => error.extensions?.code);

/** Signs a JWT with the development issuer's own private key (to forge expired or odd tokens). */
export async function signWithDevKey(claims: Record<string, unknown>, header: Record<string, unknown> = {}): Promise<string> {
  const keys = JSON.parse(fs.readFileSync(path.join(inject('dataDir'), 'dev-issuer-keys.json'), 'utf8')) as { kid: string; privateJwk: JWK };
  return new SignJWT(claims)
    .setProtectedHeader({ alg: 'ES256', kid: keys.kid, ...header })
    .sign(await importJWK(keys.privateJwk, 'ES256'));
}

/**
 * A signer holding the gateway's own private key, read from the test data folder: to forge
 * contexts that subgraphs must refuse (or accept) when called directly.
 */
export function gatewaySigner(ttlSeconds = 30): ContextSigner {
  return new ContextSigner(resolveSigningKey(testConfig()), ttlSeconds);
}

/** The headers the gateway sends a subgraph: `context` signed for `audience`, and the request id it is bound to. */
export async function contextHeaders(signer: ContextSigner, context: TenantContext, audience: string): Promise<Record<string, string>> {
  return { [CONTEXT_HEADER]: await signer.sign(context, audience), [REQUEST_ID_HEADER]: context.requestId };
}

/** Issues a partner API key through the GraphQL mutation, as a platform admin. */
export async function issueKey(world: IsolationWorld, scopes: string[], expiresInDays = 30): Promise<{ id: string; secret: string }> {
  const response = await graphql<{ issueApiKey: { apiKey: { id: string }; secret: string } }>(
    world.gateway,
    `mutation Issue($input: IssueApiKeyInput!) { issueApiKey(input: $input) { apiKey { id prefix scopes } secret } }`,
    { variables: { input: { partnerId: PARTNER.id, name: 'isolation-suite', scopes, expiresInDays } }, headers: await bearer(['platform_admin']) },
  );
  expect(response.body.errors).toBeUndefined();
  return { id: response.body.data!.issueApiKey.apiKey.id, secret: response.body.data!.issueApiKey.secret };
}
