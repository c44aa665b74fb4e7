/**
 * The escalation policy, from the control plane to observability, through the gateway with
 * tenancy's and observability's workers running: the tier rules are policy data platform admins
 * read; a tenant's own rule is a protected setting (four eyes), and once applied it is the
 * tenant's effective policy in tenancy and, by the `tenancy.escalation-policy.changed` event, in
 * observability's copy, where TenantHealth.escalations holds the tenant's burn rate against it.
 * Bad values write nothing; an unchanged policy is not published again; an older revision never
 * replaces a newer copy.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { waitFor } from '../../lib/jobs/test-support.js';
import type { RunningWorker } from '../../lib/services.js';
import type { InProcessPlatform } from '../../scripts/platform.js';
import * as observabilityWorker from '../../subgraphs/observability/worker.js';
import * as tenancyWorker from '../../subgraphs/tenancy/worker.js';
import { adminQuery, bearer, dropScratchTenants, graphql, scratchTenant, startTestPlatform, startTestWorkers } from '../support/platform.js';

let platform: InProcessPlatform;
let workers: RunningWorker[] = [];
const scratch: string[] = [];

beforeAll(async () => {
  platform = await startTestPlatform();
  workers = await startTestWorkers([tenancyWorker, observabilityWorker]);
});
afterAll(async () => {
  await Promise.all(workers.map((worker) => worker.close()));
  await platform?.close();
  await dropScratchTenants(scratch);
});

const alice = () => bearer(['platform_admin'], { subject: 'escalation-alice' });
const bob = () => bearer(['platform_admin'], { subject: 'escalation-bob' });

interface Rule {
  signal: string;
  threshold: number;
  escalateTo: string[];
  source: string;
}
interface Escalation extends Rule {
  observed: number | null;
  escalating: boolean;
}

async function changeEscalation(tenantId: string, value: unknown) {
  const requested = await graphql<{ requestChange: { id: string } }>(
    platform.gateway.url,
    'mutation R($input: RequestChangeInput!) { requestChange(input: $input) { id } }',
    { variables: { input: { tenantId, setting: 'escalation', value: JSON.stringify(value), justification: 'on-call review' } }, headers: await alice() },
  );
  expect(requested.body.errors).toBeUndefined();
  const id = requested.body.data!.requestChange.id;
  const approved = await graphql(platform.gateway.url, 'mutation A($id: ID!) { approveChange(id: $id) { id } }', { variables: { id }, headers: await bob() });
  expect(approved.body.errors).toBeUndefined();
  await waitFor('the change applied', async () => {
    const [row] = await adminQuery<{ status: string }>('SELECT status FROM tenancy.change_requests WHERE id = $1', [id]);
    return row?.status === 'applied' ? true : undefined;
  });
}

const policyOf = async (tenantId: string) => {
  const response = await graphql<{ tenant: { escalationPolicy: Rule[] } }>(
    platform.gateway.url,
    'query P($id: ID!) { tenant(id: $id) { escalationPolicy { signal threshold escalateTo source } } }',
    { variables: { id: tenantId }, headers: await alice() },
  );
  expect(response.body.errors).toBeUndefined();
  return response.body.data!.tenant.escalationPolicy;
};

const escalationsOf = async (tenantId: string) => {
  const response = await graphql<{ tenant: { health: { escalations: Escalation[] } } }>(
    platform.gateway.url,
    'query H($id: ID!) { tenant(id: $id) { health(windowMinutes: 60) { escalations { signal threshold escalateTo source observed escalating } } } }',
    { variables: { id: tenantId }, headers: await alice() },
  );
  expect(response.body.errors).toBeUndefined();
  return response.body.data!.tenant.health.escalations;
};

const copyOf = async (tenantId: string) =>
  (await adminQuery<{ revision: number; tier: string }>('SELECT revision, tier FROM observability.escalation_policies WHERE tenant_id = $1', [tenantId]))[0];

describe('the escalation policy', () => {
  it('lists every tier’s rule per signal to platform admins, and to no one else', async () => {
    const response = await graphql<{ escalationRules: { tier: string; signal: string; threshold: number; escalateTo: string[] }[] }>(
      platform.gateway.url,
      '{ escalationRules { tier signal threshold escalateTo } }',
      { headers: await alice() },
    );
    expect(response.body.errors).toBeUndefined();
    const rules = response.body.data!.escalationRules;
    expect(rules).toHaveLength(9);
    expect(rules.find((rule) => rule.tier === 'CRITICAL' && rule.signal === 'ERROR_BUDGET_BURN')).toEqual({
      tier: 'CRITICAL',
      signal: 'ERROR_BUDGET_BURN',
      threshold: 2,
      escalateTo: ['PLATFORM_ONCALL', 'INCIDENT_COMMANDER', 'CUSTOMER_SUCCESS'],
    });
    const refused = await graphql(platform.gateway.url, '{ escalationRules { tier } }', { headers: await bearer(['analyst']) });
    expect(refused.body.errors?.[0]?.extensions?.code).toBe('INSUFFICIENT_SCOPE');
  });

  it('takes a tenant’s own rule through four eyes, and observability escalates by it', async () => {
    const tenantId = await scratchTenant('Escalation Test Clinic', { tier: 'enhanced' });
    scratch.push(tenantId);
    expect((await policyOf(tenantId)).map((rule) => [rule.signal, rule.threshold, rule.source])).toEqual([
      ['ERROR_BUDGET_BURN', 6, 'TIER'],
      ['INCIDENT_SIZE', 20, 'TIER'],
      ['INTEGRATION_BACKLOG', 1000, 'TIER'],
    ]);
    // Availability objective 99.9 %, and an hour with 2 errors in 400 requests: a burn rate of 5.
    await adminQuery(
      "INSERT INTO observability.slo_registrations (tenant_id, objective, slo_class, target, window_days) VALUES ($1, 'availability', 'enhanced', 0.999, 30)",
      [tenantId],
    );
    await adminQuery(
      `INSERT INTO observability.request_telemetry (tenant_id, occurred_at, operation_name, client_name, duration_ms, outcome)
       SELECT $1, now() - interval '10 minutes', 'Dashboard', 'web', 40, CASE WHEN n <= 2 THEN 'error' ELSE 'ok' END FROM generate_series(1, 400) AS n`,
      [tenantId],
    );

    await changeEscalation(tenantId, { signal: 'error_budget_burn', threshold: 4, escalateTo: ['platform_oncall', 'tenant_admins'] });
    expect((await policyOf(tenantId))[0]).toEqual({ signal: 'ERROR_BUDGET_BURN', threshold: 4, escalateTo: ['PLATFORM_ONCALL', 'TENANT_ADMINS'], source: 'TENANT' });
    const escalations = await waitFor('observability’s copy of the policy', async () => {
      const current = await escalationsOf(tenantId);
      return current[0]?.threshold === 4 ? current : undefined;
    });
    expect(escalations[0]).toMatchObject({ signal: 'ERROR_BUDGET_BURN', threshold: 4, escalateTo: ['PLATFORM_ONCALL', 'TENANT_ADMINS'], source: 'TENANT', escalating: true });
    expect(escalations[0]!.observed).toBeCloseTo(5, 6);
    // Not measured here: no figure, never escalating.
    expect(escalations.slice(1)).toEqual([
      { signal: 'INCIDENT_SIZE', threshold: 20, escalateTo: ['PLATFORM_ONCALL', 'CUSTOMER_SUCCESS'], source: 'TIER', observed: null, escalating: false },
      { signal: 'INTEGRATION_BACKLOG', threshold: 1000, escalateTo: ['TENANT_ADMINS', 'PARTNER_SUPPORT'], source: 'TIER', observed: null, escalating: false },
    ]);
    const [published] = await adminQuery<{ revision: number }>('SELECT revision FROM tenancy.escalation_publications WHERE tenant_id = $1', [tenantId]);
    expect((await copyOf(tenantId))!.revision).toBe(published!.revision);

    // Back to the tier's rule: burning at 5 is under the tier's 6.
    await changeEscalation(tenantId, { signal: 'error_budget_burn', threshold: null });
    const back = await waitFor('the tier’s rule in observability', async () => {
      const current = await escalationsOf(tenantId);
      return current[0]?.source === 'TIER' ? current : undefined;
    });
    expect(back[0]).toMatchObject({ threshold: 6, escalating: false });
    expect((await copyOf(tenantId))!.revision).toBe(published!.revision + 1);
  });

  it('publishes a tier change as a new policy, and an unchanged policy not again', async () => {
    const tenantId = await scratchTenant('Escalation Tier Clinic', { tier: 'standard' });
    scratch.push(tenantId);
    // The sync (every 2 s under test tuning) publishes the new tenant's policy.
    const first = await waitFor('the first copy', () => copyOf(tenantId));
    expect(first).toMatchObject({ revision: 1, tier: 'standard' });
    const requested = await graphql<{ requestChange: { id: string } }>(
      platform.gateway.url,
      'mutation R($input: RequestChangeInput!) { requestChange(input: $input) { id } }',
      { variables: { input: { tenantId, setting: 'tier', value: '"critical"', justification: 'new contract' } }, headers: await alice() },
    );
    await graphql(platform.gateway.url, 'mutation A($id: ID!) { approveChange(id: $id) { id } }', { variables: { id: requested.body.data!.requestChange.id }, headers: await bob() });
    const second = await waitFor('the critical tier’s policy', async () => ((await copyOf(tenantId))?.tier === 'critical' ? copyOf(tenantId) : undefined));
    expect(second.revision).toBe(2);
    expect((await escalationsOf(tenantId))[0]).toMatchObject({ threshold: 2, source: 'TIER' });
    // Several more syncs later, the same policy is still revision 2, published once.
    await new Promise((resolve) => setTimeout(resolve, 5_000));
    expect((await copyOf(tenantId))!.revision).toBe(2);
    const events = await adminQuery<{ n: number }>("SELECT count(*)::int AS n FROM tenancy.outbox WHERE tenant_id = $1 AND type = 'tenancy.escalation-policy.changed'", [tenantId]);
    expect(events[0]!.n).toBe(2);
  });

  it('keeps the newest copy when an older revision arrives late', async () => {
    const tenantId = await scratchTenant('Escalation Order Clinic', { tier: 'standard' });
    scratch.push(tenantId);
    await waitFor('the first copy', () => copyOf(tenantId));
    // The copy holds a newer revision (7) than tenancy will publish next (1, once its record of
    // what it published is gone): the late revision is handled, and changes nothing.
    await adminQuery("UPDATE observability.escalation_policies SET revision = 7, tier = 'enhanced' WHERE tenant_id = $1", [tenantId]);
    await adminQuery("DELETE FROM tenancy.escalation_publications WHERE tenant_id = $1", [tenantId]);
    await waitFor('the republished policy', async () => {
      const rows = await adminQuery("SELECT 1 FROM tenancy.escalation_publications WHERE tenant_id = $1", [tenantId]);
      return rows.length > 0 ? true : undefined;
    });
    await waitFor('both deliveries handled by observability', async () => {
      const rows = await adminQuery("SELECT 1 FROM observability.processed_events WHERE tenant_id = $1 AND consumer = 'escalation-policy-copy'", [tenantId]);
      return rows.length >= 2 ? true : undefined;
    });
    expect(await copyOf(tenantId)).toEqual({ revision: 7, tier: 'enhanced' });
  });

  it('refuses a bad rule with BAD_USER_INPUT and writes no request', async () => {
    const tenantId = await scratchTenant('Escalation Input Clinic');
    scratch.push(tenantId);
    const bad = [
      [{ signal: 'patient_count', threshold: 3, escalateTo: ['platform_oncall'] }, 'escalation must be'],
      [{ signal: 'incident_size', threshold: 0, escalateTo: ['platform_oncall'] }, 'escalation.threshold must be a number above 0'],
      [{ signal: 'incident_size', threshold: 3, escalateTo: ['the-cto@example.com'] }, 'escalation.escalateTo must be 1–5 different receivers'],
      [{ signal: 'incident_size', threshold: 3, escalateTo: [] }, 'escalation.escalateTo must be 1–5 different receivers'],
      [{ signal: 'incident_size', threshold: 3, escalateTo: ['platform_oncall'], note: 'x' }, 'escalation must be'],
    ] as const;
    for (const [value, message] of bad) {
      const response = await graphql(platform.gateway.url, 'mutation R($input: RequestChangeInput!) { requestChange(input: $input) { id } }', {
        variables: { input: { tenantId, setting: 'escalation', value: JSON.stringify(value), justification: 'test' } },
        headers: await alice(),
      });
      expect(response.body.errors?.[0]?.extensions?.code, JSON.stringify(value)).toBe('BAD_USER_INPUT');
      expect(response.body.errors?.[0]?.message).toContain(message);
    }
    expect(await adminQuery('SELECT 1 FROM tenancy.change_requests WHERE tenant_id = $1', [tenantId])).toEqual([]);
  });
});
