/**
 * Service-to-service calls against a local node:http server standing in for a subgraph: each
 * call carries a fresh service context addressed to that subgraph alone, bound to its own
 * request id and correlated with the client request it serves; a failure names the route.
 */
import { generateKeyPairSync } from 'node:crypto';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runWithRequestContext } from './request-context.js';
import { ServiceClient } from './service-client.js';
import { SUBGRAPH_NAMES, type SubgraphName } from './services.js';
import { ContextSigner, ContextVerifier, REQUEST_ID_HEADER, type TenantContext } from './tenant-context.js';

const pair = generateKeyPairSync('ed25519');
const verifier = new ContextVerifier(pair.publicKey);
const received: { method: string; url: string; headers: http.IncomingHttpHeaders; body: string }[] = [];
let server: http.Server;
let client: ServiceClient;

beforeAll(async () => {
  server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => {
      received.push({ method: req.method ?? '', url: req.url ?? '', headers: req.headers, body: Buffer.concat(chunks).toString('utf8') });
      if (req.url?.startsWith('/internal/broken')) return void res.writeHead(500).end('{}');
      if (req.url?.startsWith('/internal/database-down')) return void res.writeHead(503).end('{}');
      if (req.url?.startsWith('/internal/missing')) return void res.writeHead(404).end('{}');
      if (req.url?.startsWith('/internal/archive')) {
        res.writeHead(200, { 'content-type': 'application/octet-stream' });
        res.write('{"table":"a"}\n');
        return void setTimeout(() => res.end('{"table":"b"}\n'), 20);
      }
      res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ ok: true }));
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/graphql`;
  const urls = Object.fromEntries(SUBGRAPH_NAMES.map((name) => [name, url])) as Record<SubgraphName, string>;
  client = new ServiceClient('gateway', new ContextSigner(pair.privateKey, 30), urls);
});
afterAll(() => new Promise((resolve) => server.close(resolve)));

const clientRequest: TenantContext = {
  requestId: 'client-request-1',
  access: 'tenant',
  tenantId: '00000000-0000-4000-8000-000000000001',
  principal: { id: 'u', kind: 'user' },
  roles: ['clinician'],
  scopes: [],
  entitlements: [],
};

describe('ServiceClient', () => {
  it('GETs an internal route with its parameters and a service context for that subgraph only', async () => {
    received.length = 0;
    const answer = await runWithRequestContext(clientRequest, () => client.get<{ ok: boolean }>('tenancy', 'tenant-access', { tenantId: 'a b&c' }));
    expect(answer).toEqual({ ok: true });
    const [request] = received;
    expect(request).toMatchObject({ method: 'GET', url: '/internal/tenant-access?tenantId=a+b%26c' });
    const context = verifier.verify(request!.headers, 'tenancy', 'internal');
    // The service acts at platform level, as itself, and says which client request it serves.
    expect(context).toMatchObject({ access: 'platform', tenantId: null, principal: { id: 'gateway', kind: 'service' }, correlationId: 'client-request-1' });
    expect(context.requestId).toBe(request!.headers[REQUEST_ID_HEADER]);
    expect(context.requestId).not.toBe('client-request-1');
    // Addressed to tenancy: no other subgraph accepts it, and it is no GraphQL context.
    expect(() => verifier.verify(request!.headers, 'erp', 'internal')).toThrow();
    expect(() => verifier.verify(request!.headers, 'tenancy', 'graphql')).toThrow();
  });

  it('POSTs a JSON body, each call with a request id of its own', async () => {
    received.length = 0;
    await client.post('clinical-ops', 'break-glass-grant', { id: 'g1' });
    await client.post('clinical-ops', 'break-glass-grant', { id: 'g2' });
    expect(received.map((r) => [r.method, r.url, r.headers['content-type'], r.body])).toEqual([
      ['POST', '/internal/break-glass-grant', 'application/json', '{"id":"g1"}'],
      ['POST', '/internal/break-glass-grant', 'application/json', '{"id":"g2"}'],
    ]);
    expect(received[0]!.headers[REQUEST_ID_HEADER]).not.toBe(received[1]!.headers[REQUEST_ID_HEADER]);
    // Outside a client request there is nothing to correlate with.
    expect(verifier.verify(received[0]!.headers, 'clinical-ops', 'internal').correlationId).toBeNull();
  });

  it('streams an answer of bytes: resolved once it starts, the body read as it comes, with a service context', async () => {
    received.length = 0;
    const answer = await client.stream('clinical-ops', 'archive', { tenantId: 't1' });
    expect(answer).toMatchObject({ status: 200, contentType: 'application/octet-stream' });
    const chunks: Buffer[] = [];
    for await (const chunk of answer.body) chunks.push(chunk as Buffer);
    expect(Buffer.concat(chunks).toString('utf8')).toBe('{"table":"a"}\n{"table":"b"}\n');
    expect(received[0]).toMatchObject({ method: 'GET', url: '/internal/archive?tenantId=t1' });
    expect(verifier.verify(received[0]!.headers, 'clinical-ops', 'internal').principal).toEqual({ id: 'gateway', kind: 'service' });
  });

  it('passes a 404 on as NOT_FOUND, streamed or not', async () => {
    await expect(client.stream('erp', 'missing', {})).rejects.toMatchObject({ code: 'NOT_FOUND' });
    await expect(client.get('erp', 'missing', {})).rejects.toMatchObject({ code: 'NOT_FOUND' });
    await expect(client.stream('erp', 'database-down', {})).rejects.toMatchObject({ code: 'SERVICE_UNAVAILABLE' });
  });

  it('fails on an answer that is not 2xx, naming the subgraph, route and status', async () => {
    await expect(client.get('erp', 'broken', {})).rejects.toThrow('erp /internal/broken answered 500');
  });

  it('fails with SERVICE_UNAVAILABLE, to be retried, on a 503 (the service cannot reach its database) and when nothing answers', async () => {
    await expect(client.get('erp', 'database-down', {})).rejects.toMatchObject({ code: 'SERVICE_UNAVAILABLE' });
    const urls = Object.fromEntries(SUBGRAPH_NAMES.map((name) => [name, 'http://127.0.0.1:1/graphql'])) as Record<SubgraphName, string>;
    const unreachable = new ServiceClient('gateway', new ContextSigner(pair.privateKey, 30), urls);
    await expect(unreachable.get('erp', 'entitlements', {})).rejects.toMatchObject({ code: 'SERVICE_UNAVAILABLE' });
  });
});
