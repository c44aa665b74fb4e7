/**
 * The typed client over the wire (a local server standing in for the gateway): what it sends
 * for a persisted operation, and that a partial answer keeps its data beside its errors.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { RequestFailedError } from '../graphql-result.js';
import { loadDocumentIds } from '../persisted-documents.js';
import { startTestServer, type TestServer } from '../test-server.js';
import { createClient, operationNameOf } from './client.js';
import { FleetHealthDocument, PatientListDocument, TenantDashboardDocument } from './src/gql/graphql.js';

let server: TestServer | undefined;
afterEach(async () => {
  await server?.close();
  server = undefined;
});

const documentIds = loadDocumentIds();
const TENANT = '00000000-0000-4000-8000-00000000000a';

describe('createClient', () => {
  it('sends the document id, operation name and variables with the Bearer token and x-tenant-id', async () => {
    server = await startTestServer([{ status: 200, body: { data: { tenant: null } } }]);
    const client = createClient({ url: server.url, token: 'jwt-of-a-user', tenantId: TENANT, documentIds });
    await client.execute(TenantDashboardDocument, { tenantId: TENANT });
    const [request] = server.requests;
    expect(request!.body).toEqual({ documentId: documentIds.get('TenantDashboard'), operationName: 'TenantDashboard', variables: { tenantId: TENANT } });
    expect(request!.headers).toMatchObject({ authorization: 'Bearer jwt-of-a-user', 'x-tenant-id': TENANT, 'content-type': 'application/json' });
  });

  it('sends no x-tenant-id when none is given (the token’s tenant applies)', async () => {
    server = await startTestServer([{ status: 200, body: { data: { patients: [] } } }]);
    await createClient({ url: server.url, token: 't', documentIds }).execute(PatientListDocument);
    expect(server.requests[0]!.headers['x-tenant-id']).toBeUndefined();
  });

  it('in query mode sends the document’s text instead', async () => {
    server = await startTestServer([{ status: 200, body: { data: { patients: [] } } }]);
    await createClient({ url: server.url, token: 't', documentIds, send: 'query' }).execute(PatientListDocument, { first: 5 });
    const body = server.requests[0]!.body as { query: string; documentId?: string; operationName: string };
    expect(body.documentId).toBeUndefined();
    expect(body.operationName).toBe('PatientList');
    expect(body.query).toMatch(/^query PatientList\(\$first: Int = 50\)/);
  });

  it('keeps the data of a partial answer and reports the denied fields with their codes', async () => {
    const health = { availability: 0.99, errorRate: 0.01, p95LatencyMs: null, requestCount: 100, windowMinutes: 1440 };
    server = await startTestServer([
      {
        status: 200,
        body: {
          data: { tenant: { id: TENANT, name: 'Clinic A', health } },
          errors: [{ message: 'Requires advanced_analytics', path: ['tenant', 'health', 'p95LatencyMs'], extensions: { code: 'ENTITLEMENT_REQUIRED' } }],
        },
      },
    ]);
    const result = await createClient({ url: server.url, token: 't', documentIds }).execute(TenantDashboardDocument, { tenantId: TENANT });
    // Typed by the document: `result.data.tenant` is TenantDashboardQuery['tenant'].
    expect(result.data.tenant?.name).toBe('Clinic A');
    expect(result.data.tenant?.health?.p95LatencyMs).toBeNull();
    expect(result.errors.map((e) => [e.code, e.path])).toEqual([['ENTITLEMENT_REQUIRED', ['tenant', 'health', 'p95LatencyMs']]]);
  });

  it('rejects with the codes when the request is refused as a whole', async () => {
    server = await startTestServer([{ status: 401, body: { errors: [{ message: 'Token expired', extensions: { code: 'UNAUTHENTICATED' } }] } }]);
    const failure = createClient({ url: server.url, token: 'old', documentIds }).execute(FleetHealthDocument, {});
    await expect(failure).rejects.toBeInstanceOf(RequestFailedError);
    await expect(failure).rejects.toMatchObject({ status: 401, codes: ['UNAUTHENTICATED'] });
  });

  it('refuses, without a request, a document that is not trusted', async () => {
    server = await startTestServer([{ status: 200 }]);
    const client = createClient({ url: server.url, token: 't', documentIds: new Map() });
    await expect(client.execute(PatientListDocument)).rejects.toThrow(/PatientList is not a trusted document/);
    expect(server.requests).toEqual([]);
  });
});

describe('typing', () => {
  it('requires the variables an operation requires, and only those (checked by tsc)', () => {
    const client = createClient({ url: 'http://127.0.0.1:9/graphql', token: 't', documentIds });
    const unsent = [
      // @ts-expect-error -- TenantDashboard requires tenantId
      () => client.execute(TenantDashboardDocument),
      // @ts-expect-error -- PatientList has no variable tenantId
      () => client.execute(PatientListDocument, { tenantId: TENANT }),
      () => client.execute(PatientListDocument),
    ];
    expect(unsent).toHaveLength(3);
  });
});

describe('operationNameOf', () => {
  it('names the generated document’s operation', () => {
    expect(operationNameOf(FleetHealthDocument)).toBe('FleetHealth');
  });
});
