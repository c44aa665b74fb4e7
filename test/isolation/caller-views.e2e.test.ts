/**
 * What each caller may see and send: introspection answers from the caller's own view of the
 * graph, a partner key is held to the partner contract, and trusted documents (by id, or the
 * APQ hash) run through the same field-policy walk as queries sent whole, with safelist-only
 * keys held to them. Every refusal executes nothing and names no other tenant.
 */
import fs from 'node:fs';
import path from 'node:path';
import { getIntrospectionQuery, parse } from 'graphql';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readCommittedSupergraph } from '../../lib/federation/compose.js';
import { policyMapOf } from '../../lib/policy/spec.js';
import { documentId, OPERATIONS_DIR } from '../../lib/trusted-documents.js';
import { TENANTS_QUERY } from '../../gateway/explorer/app/session.js';
import { createDemoCredentials } from '../../scripts/demo-credentials.js';
import { adminUrl, bearer, graphql, testConfig } from '../support/platform.js';
import { codesOf, expectNoDataOf, isolationWorld, PARTNER, type IsolationWorld } from './fixture.js';

let world: IsolationWorld;
beforeAll(async () => {
  world = await isolationWorld();
});
afterAll(() => world?.close());

interface Answer {
  status: number;
  body: { data?: Record<string, unknown> | null; errors?: { message: string; extensions?: Record<string, unknown> }[] };
  text: string;
}
async function post(body: unknown, headers: Record<string, string>): Promise<Answer> {
  const response = await fetch(world.gateway, { method: 'POST', headers: { 'content-type': 'application/json', ...headers }, body: JSON.stringify(body) });
  const text = await response.text();
  return { status: response.status, body: JSON.parse(text) as Answer['body'], text };
}
const operation = (file: string) => fs.readFileSync(path.join(OPERATIONS_DIR, file), 'utf8');

async function issueKey(scopes: string[], safelistOnly: boolean): Promise<string> {
  return (await issueKeyWithId(scopes, safelistOnly)).secret;
}
async function issueKeyWithId(scopes: string[], safelistOnly: boolean): Promise<{ id: string; secret: string }> {
  const response = await graphql<{ issueApiKey: { apiKey: { id: string; safelistOnly: boolean }; secret: string } }>(
    world.gateway,
    'mutation Issue($input: IssueApiKeyInput!) { issueApiKey(input: $input) { apiKey { id safelistOnly } secret } }',
    { variables: { input: { partnerId: PARTNER.id, name: 'caller-views', scopes, safelistOnly } }, headers: await bearer(['platform_admin']) },
  );
  expect(response.body.errors).toBeUndefined();
  expect(response.body.data!.issueApiKey.apiKey.safelistOnly).toBe(safelistOnly);
  return { id: response.body.data!.issueApiKey.apiKey.id, secret: response.body.data!.issueApiKey.secret };
}

describe('introspection per caller', () => {
  const phiFields = [...policyMapOf(parse(readCommittedSupergraph()))].filter(([, policy]) => policy.phi).map(([key]) => key);
  const fieldsSeen = async (headers: Record<string, string>) => {
    const answer = await post({ query: getIntrospectionQuery() }, headers);
    expect(answer.status, answer.text).toBe(200);
    const types = (answer.body.data as { __schema: { types: { name: string; fields: { name: string }[] | null }[] } }).__schema.types;
    return new Set(types.flatMap((type) => (type.fields ?? []).map((field) => `${type.name}.${field.name}`)));
  };

  it('shows an analyst no PHI field, a clinician its PHI but no billing, and a partner key no mutation', async () => {
    const analyst = await fieldsSeen(await bearer(['analyst']));
    expect(analyst.has('Query.tenants')).toBe(true);
    expect(phiFields.filter((field) => analyst.has(field))).toEqual([]);

    const clinician = await fieldsSeen(await bearer(['clinician'], { tenantId: world.a }));
    expect(clinician.has('Patient.givenName')).toBe(true);
    expect(clinician.has('Tenant.billingInsights')).toBe(false);

    const key = await issueKey(['tenant:read', 'billing:read'], false);
    const partner = await fieldsSeen({ 'x-api-key': key });
    expect([...partner].filter((field) => field.startsWith('Mutation.'))).toEqual([]);
    expect(partner.has('Tenant.billingInsights')).toBe(true);
    expect(partner.has('Query.patients')).toBe(false);
  });

  it('refuses anonymous introspection, and introspection mixed with data', async () => {
    const anonymous = await post({ query: '{ __schema { types { name } } }' }, {});
    expect(anonymous.status).toBe(401);
    expect(codesOf(anonymous.body)).toEqual(['UNAUTHENTICATED']);
    const mixed = await post({ query: '{ __schema { types { name } } plans { code } }' }, await bearer(['platform_admin']));
    expect(codesOf(mixed.body)).toEqual(['INTROSPECTION_DISABLED']);
    expect(mixed.text).not.toContain('Patient');
  });
});

describe('the partner contract', () => {
  it('refuses a partner key selecting outside it, before planning, naming what is outside', async () => {
    const key = await issueKey(['tenant:read', 'billing:read', 'telemetry:read'], false);
    const audit = await post({ query: '{ breakGlassEvents { id } }' }, { 'x-api-key': key });
    expect(audit.status).toBe(403);
    expect(codesOf(audit.body)).toEqual(['OUTSIDE_PARTNER_CONTRACT']);
    expect(audit.body.errors![0]!.message).toContain('breakGlassEvents');
    expect(audit.body.data).toBeUndefined();
    const mutation = await post(
      { query: 'mutation { declareBreakGlass(input: { reason: "x", patientIds: [], durationMinutes: 5 }) { id } }' },
      { 'x-api-key': key, 'x-tenant-id': world.a },
    );
    expect(codesOf(mutation.body)).toEqual(['OUTSIDE_PARTNER_CONTRACT']);
    // Inside the contract the same key is answered as before.
    const inside = await post({ query: '{ tenants(first: 5) { totalCount } }' }, { 'x-api-key': key });
    expect(inside.body.errors, inside.text).toBeUndefined();
    expectNoDataOf(world, audit.text + mutation.text);
  });
});

describe('trusted documents', () => {
  const dashboard = operation('tenant-dashboard.graphql');

  it('runs a document by documentId and by the APQ hash exactly as the query sent whole', async () => {
    const headers = await bearer(['tenant_admin'], { tenantId: world.a });
    const variables = { tenantId: world.a };
    const whole = await post({ query: dashboard, variables }, headers);
    expect(whole.body.data).toBeTruthy();
    const byId = await post({ documentId: documentId(dashboard), variables }, headers);
    expect(byId.body).toEqual(whole.body);
    const apq = await post({ variables, extensions: { persistedQuery: { version: 1, sha256Hash: documentId(dashboard).slice('sha256:'.length) } } }, headers);
    expect(apq.body).toEqual(whole.body);
    expect((byId.body.data as { tenant: { id: string } }).tenant.id).toBe(world.a);
  });

  it('judges a trusted document by the field policies like any query: no PHI for a tenant admin', async () => {
    const answer = await post({ documentId: documentId(operation('patient-list.graphql')) }, await bearer(['tenant_admin'], { tenantId: world.a }));
    expect(codesOf(answer.body)).toContain('PHI_ACCESS_DENIED');
    const patients = (answer.body.data as { patients: { givenName: unknown }[] } | null)?.patients ?? [];
    expect(patients.every((patient) => patient.givenName === null)).toBe(true);
  });

  it('answers an unknown id PERSISTED_QUERY_NOT_FOUND and a malformed one BAD_USER_INPUT, executing nothing', async () => {
    const headers = await bearer(['platform_admin']);
    const unknown = await post({ documentId: `sha256:${'0'.repeat(64)}` }, headers);
    expect([unknown.status, codesOf(unknown.body)]).toEqual([400, ['PERSISTED_QUERY_NOT_FOUND']]);
    const malformed = await post({ documentId: 'md5:abc' }, headers);
    expect([malformed.status, codesOf(malformed.body)]).toEqual([400, ['BAD_USER_INPUT']]);
    const mismatch = await post({ documentId: documentId(dashboard), query: '{ plans { code } }' }, headers);
    expect(codesOf(mismatch.body)).toEqual(['BAD_USER_INPUT']);
  });

  it('holds a safelist-only key to trusted documents, through rotation too', async () => {
    const { id, secret: key } = await issueKeyWithId(['tenant:read', 'billing:read', 'telemetry:read'], true);
    const freeForm = await post({ query: '{ tenants(first: 1) { totalCount } }' }, { 'x-api-key': key });
    expect([freeForm.status, codesOf(freeForm.body)]).toEqual([403, ['OPERATION_NOT_TRUSTED']]);
    expect(freeForm.body.data).toBeUndefined();
    const partnerTenants = operation('partner-tenants.graphql');
    const trusted = await post({ documentId: documentId(partnerTenants) }, { 'x-api-key': key });
    expect(trusted.body.errors).toBeUndefined();
    const ids = (trusted.body.data as { tenants: { edges: { node: { id: string } }[] } }).tenants.edges.map((edge) => edge.node.id);
    expect(ids).toContain(world.a);
    expect(ids).not.toContain(world.b);
    // The exact text of a trusted document is that document.
    expect((await post({ query: partnerTenants }, { 'x-api-key': key })).body.errors).toBeUndefined();
    expectNoDataOf(world, freeForm.text + trusted.text);

    const rotated = await graphql<{ rotateApiKey: { apiKey: { safelistOnly: boolean }; secret: string } }>(
      world.gateway,
      'mutation Rotate($id: ID!) { rotateApiKey(id: $id) { apiKey { safelistOnly } secret } }',
      { variables: { id }, headers: await bearer(['platform_admin']) },
    );
    expect(rotated.body.data!.rotateApiKey.apiKey.safelistOnly).toBe(true);
    const afterRotation = await post({ query: '{ tenants(first: 1) { totalCount } }' }, { 'x-api-key': rotated.body.data!.rotateApiKey.secret });
    expect(codesOf(afterRotation.body)).toEqual(['OPERATION_NOT_TRUSTED']);
    // A batch cannot carry a free-form document past the safelist (or anything else).
    const batch = await post([{ documentId: documentId(partnerTenants) }, { query: '{ plans { code } }' }], {
      'x-api-key': rotated.body.data!.rotateApiKey.secret,
    });
    expect([batch.status, codesOf(batch.body)]).toEqual([400, ['BATCH_NOT_ALLOWED']]);
    expect(batch.body.data).toBeUndefined();
  });

  it("gives npm start's demo a safelist-only partner key beside the free-form one", async () => {
    const { principals } = await createDemoCredentials(testConfig(), adminUrl(), world.gateway);
    const query = '{ tenants(first: 1) { totalCount } }';
    expect((await post({ query }, { 'x-api-key': principals.partner.apiKey })).body.errors).toBeUndefined();
    const refused = await post({ query }, { 'x-api-key': principals.partnerSafelistOnly.apiKey });
    expect(codesOf(refused.body)).toEqual(['OPERATION_NOT_TRUSTED']);
    const trusted = await post({ documentId: documentId(operation('partner-tenants.graphql')) }, { 'x-api-key': principals.partnerSafelistOnly.apiKey });
    expect(trusted.body.errors).toBeUndefined();
    // The explorer's sign-in query is a trusted document: a safelist-only key can sign in there.
    const signIn = await post({ query: TENANTS_QUERY }, { 'x-api-key': principals.partnerSafelistOnly.apiKey });
    expect(signIn.body.errors).toBeUndefined();
  });
});
