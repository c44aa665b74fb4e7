/**
 * The simulators' knobs through the gateway, against a fake simulator admin API on
 * SIMULATORS_URL: a platform admin reads every system's knobs and sets one system's (PUT
 * /admin/knobs with exactly the knobs given); out-of-range values are BAD_USER_INPUT and nothing
 * is sent; no one else may read or set them; simulators that do not answer are SERVICE_UNAVAILABLE.
 */
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import type { InProcessPlatform } from '../../scripts/platform.js';
import { FakeSystems } from '../../subgraphs/clinical-ops/integrations/fake-systems.js';
import { adminQuery, bearer, dropScratchTenants, graphql, scratchTenant, startTestPlatform } from '../support/platform.js';

let platform: InProcessPlatform;
let simulators: FakeSystems;
let tenantId: string;

const SET = `mutation S($system: IntegrationConnector!, $latencyMs: Int, $failureRate: Float, $timeoutRate: Float, $malformedRate: Float) {
  setSimulatorKnobs(system: $system, latencyMs: $latencyMs, failureRate: $failureRate, timeoutRate: $timeoutRate, malformedRate: $malformedRate) {
    system latencyMs failureRate timeoutRate malformedRate
  }
}`;
const GET = 'query { simulatorKnobs { system latencyMs failureRate timeoutRate malformedRate } }';
const admin = () => bearer(['platform_admin'], { subject: 'knobs-admin' });
const call = <T>(query: string, variables: Record<string, unknown>, headers: Record<string, string>) => graphql<T>(platform.gateway.url, query, { variables, headers });
const codesOf = (response: { body: { errors?: { extensions?: Record<string, unknown> }[] } }) => (response.body.errors ?? []).map((e) => e.extensions?.code);

beforeAll(async () => {
  simulators = await FakeSystems.start();
  platform = await startTestPlatform({ SIMULATORS_URL: simulators.url });
  tenantId = await scratchTenant('Knobs Clinic');
  await adminQuery(`UPDATE tenancy.tenants SET status = 'active' WHERE id = $1`, [tenantId]);
});
afterAll(async () => {
  await platform?.close();
  await simulators?.close();
  await dropScratchTenants([tenantId]);
});
beforeEach(() => simulators.reset());

describe('simulator knobs', () => {
  it('are set per system by a platform admin, sending exactly the knobs given, and read back', async () => {
    const response = await call<{ setSimulatorKnobs: Record<string, unknown> }>(SET, { system: 'PAYER_CLAIMS', latencyMs: 250, failureRate: 0.2 }, await admin());
    expect(response.body.errors).toBeUndefined();
    expect(response.body.data!.setSimulatorKnobs).toEqual({ system: 'PAYER_CLAIMS', latencyMs: 250, failureRate: 0.2, timeoutRate: null, malformedRate: null });
    const [put] = simulators.received('PUT', '/admin/knobs');
    expect(put!.body).toEqual({ payer_claims: { latencyMs: 250, failureRate: 0.2 } });
    await call(SET, { system: 'MESSAGING', malformedRate: 1 }, await admin());
    const read = await call<{ simulatorKnobs: Record<string, unknown>[] }>(GET, {}, await admin());
    expect(read.body.data!.simulatorKnobs).toEqual([
      { system: 'PAYER_ELIGIBILITY', latencyMs: null, failureRate: null, timeoutRate: null, malformedRate: null },
      { system: 'PAYER_CLAIMS', latencyMs: 250, failureRate: 0.2, timeoutRate: null, malformedRate: null },
      { system: 'EHR', latencyMs: null, failureRate: null, timeoutRate: null, malformedRate: null },
      { system: 'PHARMACY', latencyMs: null, failureRate: null, timeoutRate: null, malformedRate: null },
      { system: 'MESSAGING', latencyMs: null, failureRate: null, timeoutRate: null, malformedRate: 1 },
    ]);
  });

  it('refuse values out of range before sending anything', async () => {
    for (const [variables, argument] of [
      [{ system: 'EHR', latencyMs: -1 }, 'latencyMs'],
      [{ system: 'EHR', latencyMs: 600_000 }, 'latencyMs'],
      [{ system: 'EHR', failureRate: 1.5 }, 'failureRate'],
      [{ system: 'EHR', timeoutRate: -0.1 }, 'timeoutRate'],
      [{ system: 'EHR' }, 'latencyMs'],
    ] as const) {
      const response = await call(SET, variables, await admin());
      expect(codesOf(response), JSON.stringify(variables)).toEqual(['BAD_USER_INPUT']);
      expect(response.body.errors![0]!.extensions!.argument).toBe(argument);
    }
    expect(simulators.requests).toEqual([]);
  });

  it('are for platform admins only', async () => {
    const tenantAdmin = await bearer(['tenant_admin'], { tenantId, subject: 'knobs-tenant-admin' });
    const support = await bearer(['support'], { subject: 'knobs-support' });
    for (const headers of [tenantAdmin, support]) {
      expect(codesOf(await call(SET, { system: 'EHR', latencyMs: 10 }, headers))).toEqual(['INSUFFICIENT_SCOPE']);
      expect(codesOf(await call(GET, {}, headers))).toEqual(['INSUFFICIENT_SCOPE']);
    }
    expect(simulators.requests).toEqual([]);
  });

  it('answer SERVICE_UNAVAILABLE when the simulators fail', async () => {
    simulators.next('PUT', '/admin/knobs', { status: 503 });
    expect(codesOf(await call(SET, { system: 'EHR', latencyMs: 10 }, await admin()))).toEqual(['SERVICE_UNAVAILABLE']);
    simulators.next('GET', '/admin/knobs', { status: 200, raw: 'not json' });
    expect(codesOf(await call(GET, {}, await admin()))).toEqual(['SERVICE_UNAVAILABLE']);
  });
});
