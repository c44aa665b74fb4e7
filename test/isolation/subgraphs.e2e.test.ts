/**
 * Isolation: the subgraphs themselves. Called directly, without the gateway's signed context
 * — or with one that is tampered, expired, addressed to another subgraph, made for another
 * request, signed with another key, or a service context on the public endpoint — they answer
 * CONTEXT_INVALID and execute nothing; with a valid context for tenant A, references to
 * tenant B's records resolve to null. And SQL as the application role with no tenant sees nothing.
 */
import { generateKeyPairSync } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SUBGRAPH_NAMES, type SubgraphName } from '../../lib/config.js';
import { CONTEXT_HEADER, ContextSigner, REQUEST_ID_HEADER, serviceContext, type TenantContext } from '../../lib/tenant-context.js';
import { appClient, graphql } from '../support/platform.js';
import { codesOf, contextHeaders, expectNoDataOf, gatewaySigner, isolationWorld, type IsolationWorld } from './fixture.js';

let world: IsolationWorld;
let signer: ContextSigner;
beforeAll(async () => {
  world = await isolationWorld();
  signer = gatewaySigner();
});
afterAll(() => world?.close());

const contextOfA = (): TenantContext => ({
  requestId: 'isolation-test',
  access: 'tenant',
  tenantId: world.a,
  principal: { id: 'user:clinician-a', kind: 'user' },
  roles: ['clinician'],
  scopes: ['tenant:read', 'clinical:read', 'billing:read', 'telemetry:read', 'phi:read'],
  entitlements: ['advanced_analytics'],
});

/** What the gateway's ServiceClient sends to internal routes: platform level, no roles. */
const gatewayServiceContext = (): TenantContext => serviceContext('gateway', 'isolation-service');

const ENTITIES = /* GraphQL */ `
  query Entities($representations: [_Any!]!) {
    _entities(representations: $representations) {
      __typename
      ... on Tenant { id }
    }
  }
`;
const subgraphUrl = (name: SubgraphName) => world.platform.subgraphs[name].url;

describe('direct subgraph calls', () => {
  it.each(SUBGRAPH_NAMES)('%s refuses a request without a context', async (name) => {
    const response = await graphql(subgraphUrl(name), '{ _service { sdl } }');
    expect(response.status).toBe(401);
    expect(codesOf(response.body)).toEqual(['CONTEXT_INVALID']);
    expect(response.text).not.toContain('type Query');
  });

  it.each(SUBGRAPH_NAMES)('%s refuses a tampered context (tenant swapped to B, signature kept)', async (name) => {
    const headers = await contextHeaders(signer, contextOfA(), name);
    const [header, payload, signature] = headers[CONTEXT_HEADER]!.split('.') as [string, string, string];
    const claims = JSON.parse(Buffer.from(payload, 'base64url').toString()) as { ctx: { tenantId: string } };
    claims.ctx.tenantId = world.b;
    const forged = `${header}.${Buffer.from(JSON.stringify(claims)).toString('base64url')}.${signature}`;
    const response = await graphql(subgraphUrl(name), ENTITIES, {
      variables: { representations: [{ __typename: 'Tenant', id: world.b }] },
      headers: { ...headers, [CONTEXT_HEADER]: forged },
    });
    expect(response.status).toBe(401);
    expect(codesOf(response.body)).toEqual(['CONTEXT_INVALID']);
    expectNoDataOf(world, response.text.replace(world.b, ''));
  });

  it.each(SUBGRAPH_NAMES)('%s refuses an expired context', async (name) => {
    const expired = await contextHeaders(gatewaySigner(-60), contextOfA(), name);
    const response = await graphql(subgraphUrl(name), '{ _service { sdl } }', { headers: expired });
    expect(response.status).toBe(401);
    expect(response.body.errors?.[0]).toMatchObject({ message: 'Tenant context expired', extensions: { code: 'CONTEXT_INVALID' } });
  });

  it.each(SUBGRAPH_NAMES)('%s refuses a context replayed under another request id, or with none', async (name) => {
    const headers = await contextHeaders(signer, contextOfA(), name);
    for (const requestId of ['another-request', undefined]) {
      const response = await graphql(subgraphUrl(name), ENTITIES, {
        variables: { representations: [{ __typename: 'Tenant', id: world.a }] },
        headers: requestId ? { ...headers, [REQUEST_ID_HEADER]: requestId } : { [CONTEXT_HEADER]: headers[CONTEXT_HEADER]! },
      });
      expect(response.status, String(requestId)).toBe(401);
      expect(response.body.errors?.[0]).toMatchObject({ message: 'Tenant context belongs to another request', extensions: { code: 'CONTEXT_INVALID' } });
      expect(response.body.data).toBeUndefined();
    }
  });

  it.each(SUBGRAPH_NAMES)('%s refuses a service context on its GraphQL endpoint', async (name) => {
    // A service context is platform level: on /graphql it would open every tenant's data.
    const response = await graphql(subgraphUrl(name), ENTITIES, {
      variables: { representations: [{ __typename: 'Tenant', id: world.b }] },
      headers: await contextHeaders(signer, gatewayServiceContext(), name),
    });
    expect(response.status).toBe(401);
    expect(response.body.errors?.[0]).toMatchObject({ message: 'Service contexts are accepted on internal routes only', extensions: { code: 'CONTEXT_INVALID' } });
    expectNoDataOf(world, response.text);
  });

  it('refuses a context addressed to another subgraph', async () => {
    const forErp = await contextHeaders(signer, contextOfA(), 'erp');
    const response = await graphql(subgraphUrl('clinical-ops'), '{ _service { sdl } }', { headers: forErp });
    expect(response.status).toBe(401);
    expect(codesOf(response.body)).toEqual(['CONTEXT_INVALID']);
  });

  it('refuses a context signed with another key', async () => {
    const other = new ContextSigner(generateKeyPairSync('ed25519').privateKey, 30);
    const response = await graphql(subgraphUrl('tenancy'), '{ _service { sdl } }', {
      headers: await contextHeaders(other, contextOfA(), 'tenancy'),
    });
    expect(response.status).toBe(401);
    expect(codesOf(response.body)).toEqual(['CONTEXT_INVALID']);
  });

  it('internal routes answer services only, never a user context', async () => {
    const route = new URL(`/internal/tenant-access?tenantId=${world.b}`, subgraphUrl('tenancy'));
    const asUser = await fetch(route, { headers: await contextHeaders(signer, contextOfA(), 'tenancy') });
    expect(asUser.status).toBe(401);
    expectNoDataOf(world, (await asUser.text()).replace(world.b, ''));
    const anonymous = await fetch(new URL(`/internal/api-key?hash=${'0'.repeat(64)}`, subgraphUrl('tenancy')));
    expect(anonymous.status).toBe(401);
    const service = await contextHeaders(signer, gatewayServiceContext(), 'tenancy');
    const replayed = await fetch(route, { headers: { ...service, [REQUEST_ID_HEADER]: 'another-request' } });
    expect(replayed.status).toBe(401);
    const asService = await fetch(route, { headers: service });
    expect(asService.status).toBe(200);
    expect(await asService.json()).toMatchObject({ tenant: { id: world.b } });
  });
});

describe('_entities with tenant B ids under tenant A context', () => {
  it('resolve to null in every subgraph', async () => {
    const fields: Record<SubgraphName, string> = {
      tenancy: '... on Tenant { slug name }',
      erp: '... on Tenant { subscription { id status } }',
      'clinical-ops': '... on Tenant { clinicalSummary { patientCount } } ... on Patient { id mrn givenName email }',
      observability: '... on Tenant { health { requestCount } }',
    };
    for (const name of SUBGRAPH_NAMES) {
      const representations: object[] = [{ __typename: 'Tenant', id: world.b }];
      if (name === 'clinical-ops') representations.push({ __typename: 'Patient', id: world.patientOfB });
      const response = await graphql<{ _entities: (Record<string, unknown> | null)[] }>(
        subgraphUrl(name),
        `query E($representations: [_Any!]!) { _entities(representations: $representations) { __typename ${fields[name]} } }`,
        { variables: { representations }, headers: await contextHeaders(signer, contextOfA(), name) },
      );
      expect(response.status, name).toBe(200);
      const entities = response.body.data!._entities;
      for (const entity of entities) {
        if (entity === null) continue;
        // A Tenant stub may resolve, but every tenant-owned field of B is null.
        const { __typename: _type, ...values } = entity;
        for (const [field, value] of Object.entries(values)) expect(value, `${name} ${field}`).toBeNull();
      }
      if (name === 'tenancy' || name === 'clinical-ops') expect(entities.at(-1), name).toBeNull();
      expectNoDataOf(world, response.text);
    }
  });

  it('while the same calls for tenant A resolve', async () => {
    const response = await graphql<{ _entities: Record<string, unknown>[] }>(
      subgraphUrl('clinical-ops'),
      'query E($r: [_Any!]!) { _entities(representations: $r) { ... on Patient { id mrn } } }',
      { variables: { r: [{ __typename: 'Patient', id: world.patientOfA }] }, headers: await contextHeaders(signer, contextOfA(), 'clinical-ops') },
    );
    expect(response.body.data!._entities[0]).toMatchObject({ id: world.patientOfA });
  });
});

describe('SQL as the application role', () => {
  it('with no tenant set sees no rows at all', async () => {
    const app = await appClient();
    try {
      for (const table of ['tenancy.tenants', 'tenancy.api_keys', 'erp.subscriptions', 'clinical_ops.patients', 'clinical_ops.phi_access_log', 'observability.request_telemetry']) {
        const { rows } = await app.query<{ n: number }>(`SELECT count(*)::int AS n FROM ${table}`);
        expect(rows[0]!.n, table).toBe(0);
      }
    } finally {
      await app.end();
    }
  });
});

describe('defence in depth: subgraphs enforce the policies themselves', () => {
  it('an analyst context sent straight to clinical-ops gets PHI_ACCESS_DENIED, not PHI', async () => {
    const analyst: TenantContext = { ...contextOfA(), roles: ['analyst'], scopes: ['tenant:read', 'clinical:read'] };
    const response = await graphql<{ patients: { id: string; email: string | null }[] }>(subgraphUrl('clinical-ops'), '{ patients(first: 2) { id email } }', {
      headers: await contextHeaders(signer, analyst, 'clinical-ops'),
    });
    expect(response.body.data!.patients.map((p) => p.email)).toEqual([null, null]);
    expect(codesOf(response.body)).toEqual(['PHI_ACCESS_DENIED', 'PHI_ACCESS_DENIED']);
    expect(response.text).not.toContain('@example.test');
  });

  it('a context without the scope gets INSUFFICIENT_SCOPE from erp', async () => {
    const noBilling: TenantContext = { ...contextOfA(), scopes: ['tenant:read'] };
    const response = await graphql(subgraphUrl('erp'), 'query E($r: [_Any!]!) { _entities(representations: $r) { ... on Tenant { subscription { status } } } }', {
      variables: { r: [{ __typename: 'Tenant', id: world.a }] },
      headers: await contextHeaders(signer, noBilling, 'erp'),
    });
    expect(codesOf(response.body)).toEqual(['INSUFFICIENT_SCOPE']);
  });
});
