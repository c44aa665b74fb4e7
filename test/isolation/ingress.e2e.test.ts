/**
 * Isolation at the door: however the path to GraphQL is spelled — percent-encoded, trailing
 * slash, other case, doubled slash, dot segment, query string — a subgraph executes nothing
 * without the gateway's context. Each request gets 401 CONTEXT_INVALID or 404, never a schema
 * or entity data. Raw node:http requests, because fetch would normalise the paths under test.
 */
import { randomUUID } from 'node:crypto';
import http from 'node:http';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SUBGRAPH_NAMES, type SubgraphName } from '../../lib/config.js';
import type { InProcessPlatform } from '../../scripts/platform.js';
import { startTestPlatform } from '../support/platform.js';
import { contextHeaders, gatewaySigner } from './fixture.js';

const PATHS = ['/graphql', '/%67raphql', '/graphql/', '/graphql?x=1', '/GRAPHQL', '/Graphql', '//graphql', '/graphql%2F', '/./graphql'];

const INTROSPECTION = '{ __schema { queryType { name } types { name } } }';
const ENTITIES = 'query E($r: [_Any!]!) { _entities(representations: $r) { __typename ... on Tenant { id } } }';
const OPERATIONS = [
  { name: 'introspection', query: INTROSPECTION, variables: undefined },
  { name: '_entities', query: ENTITIES, variables: { r: [{ __typename: 'Tenant', id: randomUUID() }] } },
] as const;

let platform: InProcessPlatform;
beforeAll(async () => {
  platform = await startTestPlatform();
});
afterAll(() => platform?.close());

interface RawResponse {
  status: number;
  text: string;
}

/** Sends `path` exactly as written (no URL normalisation) to the subgraph's host and port. */
function send(subgraph: SubgraphName, method: 'GET' | 'POST', path: string, body?: string, headers: Record<string, string> = {}): Promise<RawResponse> {
  const url = new URL(platform.subgraphs[subgraph].url);
  return new Promise((resolve, reject) => {
    const req = http.request(
      { host: url.hostname, port: url.port, method, path, headers: { 'content-type': 'application/json', ...headers } },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (chunk: Buffer) => chunks.push(chunk));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, text: Buffer.concat(chunks).toString('utf8') }));
      },
    );
    req.on('error', reject);
    req.end(body);
  });
}

/** Nothing ran: refused as CONTEXT_INVALID, or no such route; no schema, no `data`. */
function expectNotExecuted(response: RawResponse, label: string): void {
  expect([401, 404], `${label}: status ${response.status} ${response.text.slice(0, 200)}`).toContain(response.status);
  expect(response.text, label).not.toContain('__schema');
  expect(response.text, label).not.toContain('queryType');
  expect(response.text, label).not.toContain('_entities');
  const body = JSON.parse(response.text) as { data?: unknown; errors?: { extensions?: { code?: string } }[] };
  expect(body.data ?? null, label).toBeNull();
  if (response.status === 401) expect(body.errors?.[0]?.extensions?.code, label).toBe('CONTEXT_INVALID');
}

describe.each(SUBGRAPH_NAMES)('%s without a context', (subgraph) => {
  it.each(PATHS)('executes nothing at %s', async (path) => {
    for (const operation of OPERATIONS) {
      const body = JSON.stringify({ query: operation.query, variables: operation.variables });
      expectNotExecuted(await send(subgraph, 'POST', path, body), `POST ${path} ${operation.name}`);
      const [pathname, search] = path.split('?') as [string, string | undefined];
      const query = new URLSearchParams(search);
      query.set('query', operation.query);
      if (operation.variables) query.set('variables', JSON.stringify(operation.variables));
      expectNotExecuted(await send(subgraph, 'GET', `${pathname}?${query}`), `GET ${path} ${operation.name}`);
    }
  });

  it('still answers its health check', async () => {
    const response = await send(subgraph, 'GET', '/healthz');
    expect(response.status).toBe(200);
    expect(JSON.parse(response.text)).toMatchObject({ status: 'ok', service: subgraph });
  });
});

describe.each(SUBGRAPH_NAMES)('%s with a service context', (subgraph) => {
  it.each(PATHS)('executes nothing at %s', async (path) => {
    const service = await contextHeaders(
      gatewaySigner(),
      { requestId: `ingress-${randomUUID()}`, access: 'platform', tenantId: null, principal: { id: 'gateway', kind: 'service' }, roles: [], scopes: [], entitlements: [] },
      subgraph,
    );
    const body = JSON.stringify({ query: INTROSPECTION });
    expectNotExecuted(await send(subgraph, 'POST', path, body, service), `POST ${path} as a service`);
  });
});
