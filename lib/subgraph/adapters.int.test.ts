/**
 * One subgraph definition, served by each adapter: Mercurius must do exactly what Apollo does
 * — refuse requests without the right context, run internal routes (GET, and POST with a JSON
 * body) for services only, report PHI reads, await the request-end hook before answering and
 * replace the answer when it fails, and log and mask unexpected errors with the request id.
 * Every answer is compared between the two servers as well as checked.
 */
import { randomUUID } from 'node:crypto';
import { parse } from 'graphql';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { appUrl } from '../db/index.js';
import { createLogger } from '../logger.js';
import { POLICY_DIRECTIVES_SDL } from '../policy/spec.js';
import type { SubgraphKind } from '../services.js';
import { ContextSigner, CONTEXT_HEADER, REQUEST_ID_HEADER, resolveSigningKey, serviceContext, type TenantContext } from '../tenant-context.js';
import { adminUrl, testConfig } from '../../test/support/platform.js';
import { TEST_APP_PASSWORD } from '../../test/support/env.js';
import { defineSubgraph, startSubgraph, type RunningService } from './index.js';

const TENANT = randomUUID();
const typeDefs = parse(/* GraphQL */ `
  extend schema
    @link(url: "https://specs.apollo.dev/federation/v2.7", import: ["@key"])
    @link(url: "https://caregraph.dev/policy/v1.0", import: ["@entitled", "@scopes", "@phi"])
  type Query {
    note(id: ID!): Note @scopes(anyOf: [["clinical:read"]])
    broken: String
  }
  type Note {
    id: ID!
    body: String @phi
  }
  ${POLICY_DIRECTIVES_SDL}
`);

/** What the hooks saw, per server. */
interface Seen {
  phiReads: { requestId: string; field: string; id: string }[];
  /** Request ids in the order their request-end hook finished. */
  ended: string[];
  logs: { msg: string; requestId?: string; err?: { message?: string } }[];
}

/** Request ids whose request-end hook fails (its audit "could not be written"). */
const failingEnd = new Set<string>();

function testDefinition(seen: Seen) {
  return defineSubgraph('observability', {
    typeDefs,
    resolvers: {
      Query: {
        note: (_source: unknown, args: { id: string }) => ({ id: args.id, body: `note ${args.id}` }),
        broken: () => {
          throw new Error('connection to 10.0.0.7 refused');
        },
      },
    },
    createLoaders: () => ({}),
    internalRoutes: {
      echo: async (params, _db, caller, body) => ({ q: params.get('q'), body: body ?? null, caller: caller.principal.id }),
    },
    onPhiRead: (context, read) =>
      seen.phiReads.push({ requestId: context.tenant.requestId, field: `${read.typeName}.${read.fieldName}`, id: (read.source as { id: string }).id }),
    requestDidEnd: async (context) => {
      await new Promise((resolve) => setTimeout(resolve, 20));
      seen.ended.push(context.tenant.requestId);
      if (failingEnd.has(context.tenant.requestId)) throw new Error('audit write failed');
    },
  });
}

const KINDS: SubgraphKind[] = ['apollo-subgraph', 'mercurius-subgraph'];
const servers = {} as Record<SubgraphKind, { service: RunningService; seen: Seen }>;
const signer = () => new ContextSigner(resolveSigningKey(testConfig()), 30);

beforeAll(async () => {
  for (const kind of KINDS) {
    const seen: Seen = { phiReads: [], ended: [], logs: [] };
    const logger = createLogger('adapter-test', 'info', { write: (line: string) => void seen.logs.push(JSON.parse(line) as Seen['logs'][number]) });
    const options = { config: testConfig(), databaseUrl: appUrl(adminUrl(), TEST_APP_PASSWORD), port: 0, logger };
    servers[kind] = { service: await startSubgraph(testDefinition(seen), options, kind), seen };
  }
});
afterAll(async () => {
  await Promise.all(Object.values(servers).map(({ service }) => service.close()));
});

const clinician = (requestId: string, scopes = ['clinical:read', 'phi:read']): TenantContext => ({
  requestId,
  access: 'tenant',
  tenantId: TENANT,
  principal: { id: 'user:clinician', kind: 'user' },
  roles: ['clinician'],
  scopes,
  entitlements: [],
});
const service = (requestId: string): TenantContext => serviceContext('gateway', requestId);

async function headersFor(context: TenantContext | undefined): Promise<Record<string, string>> {
  if (!context) return {};
  return { [CONTEXT_HEADER]: await signer().sign(context, 'observability'), [REQUEST_ID_HEADER]: context.requestId };
}

interface Answer {
  status: number;
  body: { data?: unknown; errors?: { message: string; extensions?: Record<string, unknown> }[] } & Record<string, unknown>;
  /** When the client had the whole answer (ms since the epoch). */
  receivedAt: number;
}

async function call(kind: SubgraphKind, path: string, init: { context?: TenantContext; body?: unknown; method?: string } = {}): Promise<Answer> {
  const base = new URL(servers[kind].service.url);
  const response = await fetch(new URL(path, base), {
    method: init.method ?? (init.body === undefined ? 'GET' : 'POST'),
    headers: { 'content-type': 'application/json', ...(await headersFor(init.context)) },
    body: init.body === undefined ? undefined : JSON.stringify(init.body),
  });
  const body = (await response.json()) as Answer['body'];
  return { status: response.status, body, receivedAt: Date.now() };
}

/** The same request against both servers; their answers must be the same. */
async function onBoth(path: string, init: (kind: SubgraphKind) => Parameters<typeof call>[2]): Promise<Answer> {
  const [apollo, mercurius] = await Promise.all(KINDS.map((kind) => call(kind, path, init(kind))));
  expect({ status: mercurius!.status, body: mercurius!.body }).toEqual({ status: apollo!.status, body: apollo!.body });
  return apollo!;
}

const query = (text: string) => ({ query: text });

describe.each(KINDS)('%s', (kind) => {
  it('answers its health check without a context', async () => {
    const answer = await call(kind, '/healthz');
    expect(answer).toMatchObject({ status: 200, body: { status: 'ok', service: 'observability' } });
  });

  it('refuses GraphQL without a context, and with a service context', async () => {
    for (const context of [undefined, service(`svc-${kind}`)]) {
      const answer = await call(kind, '/graphql', { context, body: query('{ note(id: "1") { id } }') });
      expect(answer.status).toBe(401);
      expect(answer.body.errors?.[0]?.extensions?.code).toBe('CONTEXT_INVALID');
    }
  });

  it('reports each PHI read to the hook, and none that the policy refused', async () => {
    const { seen } = servers[kind];
    const allowed = `phi-${kind}-${randomUUID()}`;
    const answer = await call(kind, '/graphql', { context: clinician(allowed), body: query('{ note(id: "n1") { id body } }') });
    expect(answer.body).toEqual({ data: { note: { id: 'n1', body: 'note n1' } } });
    expect(seen.phiReads.filter((read) => read.requestId === allowed)).toEqual([{ requestId: allowed, field: 'Note.body', id: 'n1' }]);

    const refused = `phi-refused-${kind}-${randomUUID()}`;
    const denied = await call(kind, '/graphql', { context: clinician(refused, ['clinical:read']), body: query('{ note(id: "n2") { id body } }') });
    expect(denied.body.data).toEqual({ note: { id: 'n2', body: null } });
    expect(denied.body.errors?.[0]?.extensions?.code).toBe('PHI_ACCESS_DENIED');
    expect(seen.phiReads.some((read) => read.requestId === refused)).toBe(false);
  });

  it('awaits the request-end hook before answering', async () => {
    const requestId = `end-${kind}-${randomUUID()}`;
    const answer = await call(kind, '/graphql', { context: clinician(requestId), body: query('{ note(id: "n3") { id } }') });
    expect(answer.body).toEqual({ data: { note: { id: 'n3' } } });
    expect(servers[kind].seen.ended).toContain(requestId);
  });

  it('replaces the answer with a masked error when the request-end hook fails, and logs it with the request id', async () => {
    const requestId = `end-fails-${kind}-${randomUUID()}`;
    failingEnd.add(requestId);
    const answer = await call(kind, '/graphql', { context: clinician(requestId), body: query('{ note(id: "n4") { id body } }') });
    expect(answer.body).toEqual({
      data: null,
      errors: [{ message: `Internal server error (request ${requestId})`, extensions: { code: 'INTERNAL_SERVER_ERROR', requestId } }],
    });
    expect(answer.body.errors?.[0]?.message).not.toContain('audit');
    expect(servers[kind].seen.logs).toContainEqual(expect.objectContaining({ msg: 'request end hook failed', requestId, err: expect.objectContaining({ message: 'audit write failed' }) }));
  });

  it('masks an unexpected resolver error with the request id and logs it', async () => {
    const requestId = `broken-${kind}-${randomUUID()}`;
    const answer = await call(kind, '/graphql', { context: clinician(requestId), body: query('{ broken }') });
    expect(answer.body.data).toEqual({ broken: null });
    expect(answer.body.errors?.[0]).toMatchObject({ message: `Internal server error (request ${requestId})`, extensions: { code: 'INTERNAL_SERVER_ERROR', requestId } });
    expect(JSON.stringify(answer.body)).not.toContain('10.0.0.7');
    expect(servers[kind].seen.logs).toContainEqual(
      expect.objectContaining({ msg: 'unexpected resolver error', requestId, err: expect.objectContaining({ message: 'connection to 10.0.0.7 refused' }) }),
    );
  });

  it('runs internal routes for service contexts only: GET with parameters, POST with a JSON body', async () => {
    const get = await call(kind, '/internal/echo?q=tenants', { context: service(`get-${kind}`) });
    expect(get).toMatchObject({ status: 200, body: { q: 'tenants', body: null, caller: 'gateway' } });
    const post = await call(kind, '/internal/echo?q=write', { context: service(`post-${kind}`), body: { event: 'x', count: 2 } });
    expect(post).toMatchObject({ status: 200, body: { q: 'write', body: { event: 'x', count: 2 }, caller: 'gateway' } });
    for (const context of [undefined, clinician(`user-${kind}`)]) {
      const refused = await call(kind, '/internal/echo?q=x', { context });
      expect(refused.status).toBe(401);
      expect(refused.body.errors?.[0]?.extensions?.code).toBe('CONTEXT_INVALID');
    }
  });
});

describe('Apollo and Mercurius', () => {
  it('give the same answers', async () => {
    const same = (id: string) => () => ({ context: clinician(id), body: query('{ note(id: "n5") { id body } }') });
    await onBoth('/graphql', same(`same-${randomUUID()}`));
    await onBoth('/graphql', () => ({ context: clinician('same-denied', ['clinical:read']), body: query('{ note(id: "n6") { id body } }') }));
    const failing = `same-fails-${randomUUID()}`;
    failingEnd.add(failing);
    await onBoth('/graphql', same(failing));
    await onBoth('/graphql', () => ({ body: query('{ note(id: "n7") { id } }') }));
    await onBoth('/graphql', () => ({ context: clinician('same-invalid'), body: query('{ nothing }') }));
    await onBoth('/internal/echo?q=1', () => ({ context: service('same-internal'), body: { a: 1 } }));
    await onBoth('/internal/echo?q=1', () => ({ context: clinician('same-internal-user') }));
    await onBoth('/healthz', () => ({}));
  });
});
