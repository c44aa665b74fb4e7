/**
 * The partner client over the wire (a local server standing in for the gateway): the API key
 * and documents it sends, paging to the last page, acting inside a tenant with x-tenant-id,
 * and rate limits retried on the way.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { loadDocuments } from '../persisted-documents.js';
import { startTestServer, type TestServer } from '../test-server.js';
import { createPartnerClient, type AttributedTenant } from './partner-client.js';

let server: TestServer | undefined;
afterEach(async () => {
  await server?.close();
  server = undefined;
});

const documents = loadDocuments();
const KEY = 'cgk_0123abcd_key';
const tenant = (n: number): AttributedTenant => ({
  id: `00000000-0000-4000-8000-0000000000${String(n).padStart(2, '0')}`,
  slug: `clinic-${n}`,
  name: `Clinic ${n}`,
  segment: 'AMBULATORY',
  tier: 'STANDARD',
  region: 'us-east',
  status: 'ACTIVE',
  createdAt: '2025-01-01T00:00:00.000Z',
  partner: { id: 'p', name: 'MediBridge', brandName: 'MediBridge' },
});
const page = (tenants: AttributedTenant[], endCursor: string | null, hasNextPage: boolean) => ({
  status: 200,
  body: { data: { tenants: { totalCount: 3, pageInfo: { hasNextPage, endCursor }, edges: tenants.map((node) => ({ node })) } } },
});
const noSleep = { sleep: async () => undefined };

describe('listAttributedTenants', () => {
  it('pages through every attributed tenant with the API key and the PartnerTenants document, at partner level', async () => {
    server = await startTestServer([page([tenant(1), tenant(2)], 'c2', true), page([tenant(3)], 'c3', false)]);
    const client = createPartnerClient({ url: server.url, apiKey: KEY, documents, hooks: noSleep });
    const { tenants, totalCount, errors } = await client.listAttributedTenants(2);
    expect(tenants.map((t) => t.slug)).toEqual(['clinic-1', 'clinic-2', 'clinic-3']);
    expect(totalCount).toBe(3);
    expect(errors).toEqual([]);
    expect(server.requests.map((r) => r.body)).toEqual([
      { documentId: documents.get('PartnerTenants')!.id, operationName: 'PartnerTenants', variables: { first: 2, after: null } },
      { documentId: documents.get('PartnerTenants')!.id, operationName: 'PartnerTenants', variables: { first: 2, after: 'c2' } },
    ]);
    for (const request of server.requests) {
      expect(request.headers['x-api-key']).toBe(KEY);
      expect(request.headers['x-tenant-id']).toBeUndefined();
      expect(request.headers.authorization).toBeUndefined();
    }
  });

  it('a 429 in the middle is waited out and the listing goes on', async () => {
    server = await startTestServer([
      page([tenant(1)], 'c1', true),
      { status: 429, headers: { 'retry-after': '0' }, body: { errors: [{ message: 'slow down', extensions: { code: 'RATE_LIMITED' } }] } },
      page([tenant(2)], 'c2', false),
    ]);
    const { tenants } = await createPartnerClient({ url: server.url, apiKey: KEY, documents, hooks: noSleep }).listAttributedTenants(1);
    expect(tenants.map((t) => t.slug)).toEqual(['clinic-1', 'clinic-2']);
    expect(server.requests).toHaveLength(3);
  });

  it('refuses to loop on a page that says "more" without a new cursor', async () => {
    server = await startTestServer([page([tenant(1)], null, true)]);
    await expect(createPartnerClient({ url: server.url, apiKey: KEY, documents }).listAttributedTenants()).rejects.toThrow(/endCursor/);
  });

  it('a refused key is reported with its code, once', async () => {
    server = await startTestServer([{ status: 401, body: { errors: [{ message: 'API key revoked', extensions: { code: 'UNAUTHENTICATED' } }] } }]);
    await expect(createPartnerClient({ url: server.url, apiKey: KEY, documents, hooks: noSleep }).listAttributedTenants()).rejects.toMatchObject({
      status: 401,
      codes: ['UNAUTHENTICATED'],
    });
    expect(server.requests).toHaveLength(1);
  });
});

describe('tenantUsage', () => {
  it('acts inside the tenant (x-tenant-id) and, in query mode, sends the trusted document’s exact text', async () => {
    server = await startTestServer([{ status: 200, body: { data: { tenant: null } } }]);
    const client = createPartnerClient({ url: server.url, apiKey: KEY, documents, send: 'query' });
    await client.tenantUsage(tenant(1).id);
    const [request] = server.requests;
    expect(request!.headers['x-tenant-id']).toBe(tenant(1).id);
    expect(request!.body).toEqual({
      query: documents.get('PartnerTenantUsage')!.text,
      operationName: 'PartnerTenantUsage',
      variables: { tenantId: tenant(1).id, windowMinutes: 1440 },
    });
  });
});
