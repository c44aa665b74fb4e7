/**
 * A subgraph down does not take the others with it: the gateway answers what it can, the
 * missing fields are null with a masked error (no internal address or stack), and /readyz
 * answers 503 without naming any subgraph (the topology is logged for operators, not shown).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { InProcessPlatform } from '../../scripts/platform.js';
import { bearer, graphql, startTestPlatform } from '../support/platform.js';

let platform: InProcessPlatform;
beforeAll(async () => {
  platform = await startTestPlatform();
});
afterAll(async () => {
  await platform?.close();
});

describe('with clinical-ops stopped', () => {
  it('serves tenancy, erp and observability fields and nulls the clinical ones', async () => {
    await platform.subgraphs['clinical-ops'].close();
    const response = await graphql<{ tenants: { edges: { node: Record<string, unknown> }[] } }>(
      platform.gateway.url,
      '{ tenants(first: 2) { edges { node { name subscription { status } clinicalSummary { patientCount } health { requestCount } } } } }',
      { headers: { ...(await bearer(['platform_admin'])), 'x-request-id': 'degraded-1' } },
    );
    expect(response.status).toBe(200);
    const nodes = response.body.data!.tenants.edges.map((edge) => edge.node);
    expect(nodes).toHaveLength(2);
    for (const node of nodes) {
      expect(node.name).toEqual(expect.any(String));
      expect(node.subscription).toEqual({ status: expect.any(String) as unknown });
      expect(node.health).toEqual({ requestCount: expect.any(Number) as unknown });
      expect(node.clinicalSummary).toBeNull();
    }
    expect(response.body.errors?.length).toBeGreaterThan(0);
    // The request id is the gateway's own (the client's x-request-id is only a correlation id).
    const requestIds = new Set(response.body.errors!.map((error) => error.extensions?.requestId));
    expect(requestIds.size).toBe(1);
    const [requestId] = requestIds;
    expect(requestId).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/);
    for (const error of response.body.errors!) expect(error.extensions).toEqual({ code: 'INTERNAL_SERVER_ERROR', requestId });
    expect(response.text).not.toMatch(/127\.0\.0\.1|ECONNREFUSED|at \w+ \(/);

    const ready = await fetch(new URL('/readyz', platform.gateway.url));
    expect(ready.status).toBe(503);
    const body = await ready.text();
    expect(JSON.parse(body)).toEqual({ status: 'not ready' });
    expect(body).not.toMatch(/clinical|tenancy|erp|observability|127\.0\.0\.1/);
    const alive = await fetch(new URL('/healthz', platform.gateway.url));
    expect(alive.status).toBe(200);
  });
});
