/**
 * Isolation: what an operation may cost the gateway. Operations are validated and measured
 * before the field-policy walk (a fragment bomb is refused in milliseconds and the gateway
 * stays responsive), variable defaults apply to @skip/@include at the gateway, bodies are
 * capped and read only after authentication, introspection is for platform staff, and a
 * request past its deadline is answered 504 with its subgraph fetches aborted.
 */
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import * as gateway from '../../gateway/index.js';
import { bearer, graphql, testConfig } from '../support/platform.js';
import { codesOf, isolationWorld, issueKey, type IsolationWorld } from './fixture.js';

let world: IsolationWorld;
beforeAll(async () => {
  world = await isolationWorld();
});
afterAll(() => world?.close());

/** F0 spreads F1 twice, F1 spreads F2 twice, …: 2^levels copies of the last fragment. */
function fragmentBomb(levels: number): string {
  const fragments = Array.from({ length: levels }, (_, i) => `fragment F${i} on Query { ...F${i + 1} ...F${i + 1} }`);
  return `query Bomb { ...F0 } ${fragments.join(' ')} fragment F${levels} on Query { __typename }`;
}

/** POSTs a raw body; node:http, so that an answer sent before the body is read still arrives. */
function postRaw(url: string, body: Buffer, headers: Record<string, string> = {}): Promise<{ status: number; json: { errors?: { message: string; extensions?: Record<string, unknown> }[] } }> {
  return new Promise((resolve, reject) => {
    const request = http.request(url, { method: 'POST', headers: { 'content-type': 'application/json', 'content-length': String(body.length), ...headers } }, (response) => {
      const chunks: Buffer[] = [];
      response.on('data', (chunk: Buffer) => chunks.push(chunk));
      response.on('end', () => resolve({ status: response.statusCode ?? 0, json: JSON.parse(Buffer.concat(chunks).toString('utf8')) as { errors?: { message: string; extensions?: Record<string, unknown> }[] } }));
      response.on('error', reject);
    });
    // The server may close the connection before taking the whole body: the answer is what counts.
    request.on('error', (error) => (request.writableFinished ? reject(error) : undefined));
    request.end(body);
  });
}

describe('operation limits', () => {
  it('an operation over its cost budget is refused 400 OPERATION_TOO_COSTLY with its cost and the limit; a page within it runs', async () => {
    const headers = await bearer(['clinician'], { tenantId: world.a });
    const costly = await graphql(world.gateway, '{ tenants(first: 100000) { edges { node { id } } } }', { headers });
    expect(costly.status).toBe(400);
    expect(codesOf(costly.body)).toEqual(['OPERATION_TOO_COSTLY']);
    // tenants 1 + edges 1 + 100,000 × (node 1 + id 1); every plan's budget is at most 50,000.
    expect(costly.body.errors![0]!.extensions).toMatchObject({ cost: 200_002, limit: expect.any(Number) as unknown });
    expect(costly.body.errors![0]!.extensions!.limit as number).toBeLessThanOrEqual(50_000);
    const page = await graphql(world.gateway, '{ tenants(first: 10) { edges { node { id } } } }', { headers });
    expect(codesOf(page.body)).not.toContain('OPERATION_TOO_COSTLY');
  });

  it('a fragment bomb from a partner key is refused 400 OPERATION_TOO_LARGE at once, and /healthz keeps answering', async () => {
    const key = await issueKey(world, ['tenant:read']);
    const headers = { 'x-api-key': key.secret, 'x-tenant-id': world.a };
    const started = Date.now();
    const [bomb, health] = await Promise.all([
      graphql(world.gateway, fragmentBomb(18), { headers }),
      fetch(new URL('/healthz', world.gateway)).then((response) => response.status),
    ]);
    expect(bomb.status).toBe(400);
    expect(codesOf(bomb.body)).toEqual(['OPERATION_TOO_LARGE']);
    expect(bomb.text.length).toBeLessThan(1_000);
    expect(health).toBe(200);
    // A generous bound for a loaded machine: the unguarded walk took 17 s on this bomb.
    expect(Date.now() - started).toBeLessThan(2_000);
  });

  it.each([
    { shape: 'nested 16 levels deep', query: `{ ${'tenants(first: 1) { edges { node { '.repeat(5)}id${' } } }'.repeat(5)} }`, code: 'OPERATION_TOO_DEEP', limit: 15 },
    { shape: 'with 201 aliases', query: `{ ${Array.from({ length: 201 }, (_, i) => `a${i}: __typename`).join(' ')} }`, code: 'OPERATION_TOO_MANY_ALIASES', limit: 200 },
    { shape: 'with 51 directives on one field', query: `{ __typename ${'@include(if: true) '.repeat(51)}}`, code: 'OPERATION_TOO_MANY_DIRECTIVES', limit: 50 },
    {
      shape: 'with 26 directives spread twice through a fragment',
      query: `{ ...F ...F } fragment F on Query { __typename ${'@skip(if: false) '.repeat(26)}}`,
      code: 'OPERATION_TOO_MANY_DIRECTIVES',
      limit: 50,
    },
    { shape: 'of 10,001 tokens', query: `{ ${'__typename '.repeat(9_999)}}`, code: 'OPERATION_TOO_MANY_TOKENS', limit: 10_000 },
  ])('an operation $shape is refused 400 $code naming the limit, and nothing runs', async ({ query, code, limit }) => {
    const response = await graphql(world.gateway, query, { headers: await bearer(['clinician'], { tenantId: world.a }) });
    expect(response.status).toBe(400);
    expect(response.body.errors).toEqual([{ message: expect.any(String) as unknown, extensions: { code, limit } }]);
    expect(response.body.data).toBeUndefined();
  });

  it('a batch of operations is refused 400 BATCH_NOT_ALLOWED, whatever it carries', async () => {
    const response = await fetch(world.gateway, {
      method: 'POST',
      headers: { 'content-type': 'application/json', ...(await bearer(['clinician'], { tenantId: world.a })) },
      body: JSON.stringify(Array.from({ length: 100 }, () => ({ query: '{ __typename }' }))),
    });
    expect(response.status).toBe(400);
    const body = (await response.json()) as { data?: unknown; errors: { message: string; extensions: { code: string } }[] };
    expect(body.errors.map((error) => error.extensions.code)).toEqual(['BATCH_NOT_ALLOWED']);
    expect(body.errors[0]!.message).toMatch(/one operation per request/);
    expect(body.data).toBeUndefined();
  });

  it('an operation with a misspelt field is answered 400 with validation errors that suggest no field names', async () => {
    const response = await graphql(world.gateway, '{ patiens(first: 1) { id } }', { headers: await bearer(['clinician'], { tenantId: world.a }) });
    expect(response.status).toBe(400);
    expect(codesOf(response.body)).toEqual(['GRAPHQL_VALIDATION_FAILED']);
    expect(response.text).not.toContain('Did you mean');
    expect(response.text).not.toContain('"patients"');
  });
});

describe('variables', () => {
  it('a variable default including a PHI field is applied at the gateway: email null, one PHI_ACCESS_DENIED with its occurrences', async () => {
    const response = await graphql<{ patients: { id: string; email: string | null }[] }>(
      world.gateway,
      'query Q($v: Boolean = true) { patients(first: 3) { id email @include(if: $v) } }',
      { headers: { ...(await bearer(['analyst'])), 'x-tenant-id': world.a } },
    );
    expect(response.status).toBe(200);
    const patients = response.body.data!.patients;
    expect(patients).toHaveLength(3);
    for (const patient of patients) expect(patient).toEqual({ id: expect.any(String) as unknown, email: null });
    // The subgraph would have answered one error per patient; the gateway answers one per path pattern.
    expect(response.body.errors).toEqual([
      { message: expect.any(String) as unknown, path: ['patients', 0, 'email'], extensions: { code: 'PHI_ACCESS_DENIED', occurrences: 3 } },
    ]);
    expect(response.text).not.toMatch(/@example\.test/);
  });

  it('invalid variables are answered 400 BAD_USER_INPUT and nothing runs', async () => {
    const response = await graphql(world.gateway, 'query P($id: ID!) { patient(id: $id) { id } }', {
      variables: { id: { not: 'an id' } },
      headers: await bearer(['clinician'], { tenantId: world.a }),
    });
    expect(response.status).toBe(400);
    expect(codesOf(response.body)).toEqual(['BAD_USER_INPUT']);
    expect(response.body.data).toBeUndefined();
  });
});

describe('request bodies', () => {
  it('a 2 MB body is refused 413 PAYLOAD_TOO_LARGE', async () => {
    const body = Buffer.from(JSON.stringify({ query: `{ __typename }`, variables: { pad: 'x'.repeat(2_000_000) } }));
    const response = await postRaw(world.gateway, body, await bearer(['clinician'], { tenantId: world.a }));
    expect(response.status).toBe(413);
    expect(response.json.errors![0]!.extensions!.code).toBe('PAYLOAD_TOO_LARGE');
  });

  it('an unauthenticated 900 KB body is answered 401 before it is parsed (it is not even JSON)', async () => {
    const response = await postRaw(world.gateway, Buffer.alloc(900_000, '{'));
    expect(response.status).toBe(401);
    expect(response.json.errors![0]!.extensions!.code).toBe('UNAUTHENTICATED');
  });
});

describe('introspection', () => {
  it("answers the schema from each caller's view: a biller sees no Patient type, a platform admin does", async () => {
    const query = '{ __schema { types { name } } }';
    const biller = await graphql<{ __schema: { types: { name: string }[] } }>(world.gateway, query, { headers: await bearer(['biller'], { tenantId: world.a }) });
    expect(biller.status).toBe(200);
    expect(biller.body.data!.__schema.types.map((t) => t.name)).toContain('Tenant');
    expect(biller.text).not.toContain('Patient');
    const admin = await graphql<{ __schema: { types: { name: string }[] } }>(world.gateway, query, { headers: await bearer(['platform_admin']) });
    expect(admin.body.errors).toBeUndefined();
    expect(admin.body.data!.__schema.types.map((t) => t.name)).toContain('Patient');
  });
});

describe('deadline', () => {
  it('a request past GATEWAY_REQUEST_TIMEOUT_MS is answered 504 GATEWAY_TIMEOUT with its request id, and its subgraph fetch is aborted', async () => {
    // A subgraph that takes every request and never answers.
    let fetchClosed: () => void = () => {};
    const closed = new Promise<void>((resolve) => (fetchClosed = resolve));
    const silent = http.createServer((req) => req.on('close', fetchClosed));
    await new Promise<void>((resolve) => silent.listen(0, '127.0.0.1', resolve));
    const subgraphs = Object.fromEntries(Object.entries(world.platform.subgraphs).map(([name, service]) => [name, service.url]));
    const slow = await gateway.start({
      config: testConfig({ GATEWAY_REQUEST_TIMEOUT_MS: '300' }),
      port: 0,
      subgraphUrls: { ...subgraphs, observability: `http://127.0.0.1:${(silent.address() as AddressInfo).port}/graphql` },
    });
    try {
      const started = Date.now();
      const response = await graphql(slow.url, 'query T($id: ID!) { tenant(id: $id) { id health { requestCount } } }', {
        variables: { id: world.a },
        headers: await bearer(['platform_admin']),
      });
      expect(response.status).toBe(504);
      expect(response.body.errors).toEqual([
        { message: expect.any(String) as unknown, extensions: { code: 'GATEWAY_TIMEOUT', requestId: expect.stringMatching(/^[0-9a-f-]{36}$/) as unknown } },
      ]);
      expect(Date.now() - started).toBeLessThan(5_000);
      await closed;
    } finally {
      await slow.close();
      silent.closeAllConnections();
      await new Promise((resolve) => silent.close(resolve));
    }
  });
});
