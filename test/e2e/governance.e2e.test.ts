/**
 * Four-eyes governance through the gateway, with tenancy's worker running: a change to a
 * protected setting is requested by one platform admin, refused to that same admin's approval
 * (SELF_APPROVAL_FORBIDDEN), approved by another and applied by the worker — the tenant's tier
 * changed, the previous value kept, three audit entries in a chain that verifies; a feature
 * override granted this way reaches the gateway's entitlements. Bad input writes nothing; a
 * decided or expired request is refused; a release-gated change to a critical-tier tenant
 * outside its window waits, visibly, untouched.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { appUrl } from '../../lib/db/index.js';
import { TEST_TUNING, waitFor } from '../../lib/jobs/test-support.js';
import type { RunningWorker } from '../../lib/services.js';
import type { InProcessPlatform } from '../../scripts/platform.js';
import * as tenancyWorker from '../../subgraphs/tenancy/worker.js';
import { TEST_APP_PASSWORD } from '../support/env.js';
import { adminQuery, adminUrl, bearer, dropScratchTenants, graphql, scratchTenant, startTestPlatform, testConfig } from '../support/platform.js';

let platform: InProcessPlatform;
let worker: RunningWorker;
const scratch: string[] = [];

beforeAll(async () => {
  platform = await startTestPlatform();
  worker = await tenancyWorker.start(testConfig(), { databaseUrl: appUrl(adminUrl(), TEST_APP_PASSWORD), tuning: TEST_TUNING });
});
afterAll(async () => {
  await worker?.close();
  await platform?.close();
  await dropScratchTenants(scratch);
});

async function tenant(tier = 'standard'): Promise<string> {
  const id = await scratchTenant('Governance Test Clinic', { tier });
  scratch.push(id);
  return id;
}

const alice = () => bearer(['platform_admin'], { subject: 'governance-alice' });
const bob = () => bearer(['platform_admin'], { subject: 'governance-bob' });

interface ChangeRequest {
  id: string;
  status: string;
  setting: string;
  value: string;
  previousValue: string | null;
  requestedBy: string;
  decidedBy: string | null;
  applyAfter: string | null;
}
const FIELDS = 'id status setting value previousValue requestedBy decidedBy applyAfter';

async function requestChange(tenantId: string, setting: string, value: unknown, extra: Record<string, unknown> = {}) {
  return graphql<{ requestChange: ChangeRequest }>(platform.gateway.url, `mutation R($input: RequestChangeInput!) { requestChange(input: $input) { ${FIELDS} } }`, {
    variables: { input: { tenantId, setting, value: JSON.stringify(value), justification: 'quarterly review', ...extra } },
    headers: await alice(),
  });
}

const decide = async (mutation: 'approveChange' | 'rejectChange', id: string, headers: Record<string, string>) =>
  graphql<Record<string, ChangeRequest>>(platform.gateway.url, `mutation D($id: ID!) { ${mutation}(id: $id) { ${FIELDS} } }`, { variables: { id }, headers });

async function listed(tenantId: string): Promise<ChangeRequest[]> {
  const response = await graphql<{ changeRequests: ChangeRequest[] }>(platform.gateway.url, `query L($t: ID!) { changeRequests(tenantId: $t) { ${FIELDS} } }`, {
    variables: { t: tenantId },
    headers: await bob(),
  });
  expect(response.body.errors).toBeUndefined();
  return response.body.data!.changeRequests;
}

const sql = adminQuery;

const codesOf = (response: { body: { errors?: { extensions?: Record<string, unknown> }[] } }) => (response.body.errors ?? []).map((e) => e.extensions?.code);

describe('four-eyes governance', () => {
  it('applies a change only once a second admin approves it, keeping what it replaced, all in the audit chain', async () => {
    const id = await tenant();
    const requested = await requestChange(id, "tier", "enhanced");
    expect(requested.body.errors).toBeUndefined();
    const request = requested.body.data!.requestChange;
    expect(request).toMatchObject({ status: 'PENDING', setting: 'tier', value: '"enhanced"', previousValue: null });

    const self = await decide('approveChange', request.id, await alice());
    expect(codesOf(self)).toEqual(['SELF_APPROVAL_FORBIDDEN']);
    expect((await sql<{ tier: string }>('SELECT tier FROM tenancy.tenants WHERE id = $1', [id]))[0]!.tier).toBe('standard');

    const approved = await decide('approveChange', request.id, await bob());
    expect(approved.body.data!.approveChange).toMatchObject({ status: 'APPROVED', decidedBy: expect.stringContaining('governance-bob') as unknown });
    await waitFor('the change applied', async () => (await sql<{ tier: string }>('SELECT tier FROM tenancy.tenants WHERE id = $1', [id]))[0]!.tier === 'enhanced');
    const [applied] = await listed(id);
    expect(applied).toMatchObject({ id: request.id, status: 'APPLIED', previousValue: '"standard"' });

    const audit = await sql<{ action: string }>('SELECT action FROM tenancy.audit_log WHERE tenant_id = $1 ORDER BY seq', [id]);
    expect(audit.map((entry) => entry.action)).toEqual(['change.requested', 'change.approved', 'change.applied']);
    const verified = await graphql<{ verifyAuditChain: { valid: boolean; entries: number } }>(platform.gateway.url, 'query V($id: ID!) { verifyAuditChain(tenantId: $id) { valid entries } }', {
      variables: { id },
      headers: await bob(),
    });
    expect(verified.body.data!.verifyAuditChain).toEqual({ valid: true, entries: 3 });
  });

  it('grants a feature override that the gateway then enforces as an entitlement', async () => {
    const id = await tenant();
    const flags = async () =>
      graphql<{ tenant: { featureFlags: string[] } | null }>(platform.gateway.url, 'query F($id: ID!) { tenant(id: $id) { featureFlags } }', {
        variables: { id },
        headers: { ...(await bob()), 'x-tenant-id': id },
      });
    expect(codesOf(await flags())).toEqual(['ENTITLEMENT_REQUIRED']);
    const request = (await requestChange(id, 'feature_override', { feature: 'advanced_analytics', state: 'granted' })).body.data!.requestChange;
    await decide('approveChange', request.id, await bob());
    await waitFor('the override applied', async () => (await listed(id))[0]!.status === 'APPLIED');
    await waitFor('the gateway grants the feature', async () => codesOf(await flags()).length === 0, 8_000);
    const rows = await sql<{ enabled: boolean; approved_by: string }>('SELECT enabled, approved_by FROM tenancy.tenant_feature_overrides WHERE tenant_id = $1', [id]);
    expect(rows).toEqual([{ enabled: true, approved_by: expect.stringContaining('governance-bob') as unknown }]);
  });

  it('refuses bad input before anything is written', async () => {
    const id = await tenant();
    for (const [setting, value, argument] of [
      ['colour', 'blue', 'input.setting'],
      ['tier', 'platinum', 'input.value'],
      ['retention_days', 5, 'input.value'],
      ['feature_override', { feature: 'x', state: 'maybe' }, 'input.value'],
    ] as const) {
      const response = await requestChange(id, setting, value);
      expect(codesOf(response), setting).toEqual(['BAD_USER_INPUT']);
      expect(response.body.errors![0]!.extensions!.argument).toBe(argument);
    }
    const notJson = await graphql(platform.gateway.url, 'mutation R($input: RequestChangeInput!) { requestChange(input: $input) { id } }', {
      variables: { input: { tenantId: id, setting: 'tier', value: 'critical', justification: 'x' } },
      headers: await alice(),
    });
    expect(codesOf(notJson)).toEqual(['BAD_USER_INPUT']);
    expect(codesOf(await requestChange(id, 'tier', 'critical', { justification: '  ' }))).toEqual(['BAD_USER_INPUT']);
    expect(await sql('SELECT id FROM tenancy.change_requests WHERE tenant_id = $1', [id])).toEqual([]);
    expect(await sql('SELECT seq FROM tenancy.audit_log WHERE tenant_id = $1', [id])).toEqual([]);
  });

  it('refuses deciding a request twice, or after it expired', async () => {
    const id = await tenant();
    const rejected = (await requestChange(id, 'retention_days', 730)).body.data!.requestChange;
    expect((await decide('rejectChange', rejected.id, await bob())).body.data!.rejectChange!.status).toBe('REJECTED');
    expect(codesOf(await decide('approveChange', rejected.id, await bob()))).toEqual(['INVALID_TRANSITION']);

    const expiring = (await requestChange(id, 'retention_days', 900, { expiresInHours: 1 })).body.data!.requestChange;
    await sql("UPDATE tenancy.change_requests SET expires_at = now() - interval '1 second' WHERE id = $1", [expiring.id]);
    const late = await decide('approveChange', expiring.id, await bob());
    expect(codesOf(late)).toEqual(['INVALID_TRANSITION']);
    expect(late.body.errors![0]!.extensions).toMatchObject({ from: 'EXPIRED' });
    expect((await listed(id)).map((request) => request.status)).toEqual(['EXPIRED', 'REJECTED']);
    expect((await sql<{ retention_days: number }>('SELECT retention_days FROM tenancy.tenants WHERE id = $1', [id]))[0]!.retention_days).toBe(365);
  });

  it('holds a release-gated change to a critical-tier tenant until its window opens, visibly', async () => {
    const id = await tenant('critical');
    const request = (await requestChange(id, 'cohort', 'canary')).body.data!.requestChange;
    await decide('approveChange', request.id, await bob());
    const waiting = await waitFor('the change waiting or applied', async () => {
      const [row] = await listed(id);
      return row && (row.status === 'WAITING' || row.status === 'APPLIED') ? row : undefined;
    });
    const [window] = await sql<{ inside: boolean }>(
      `SELECT extract(dow FROM now() AT TIME ZONE 'UTC')::int = ANY (days)
              AND extract(hour FROM now() AT TIME ZONE 'UTC') >= start_hour AND extract(hour FROM now() AT TIME ZONE 'UTC') < end_hour AS inside
         FROM tenancy.release_windows WHERE tier = 'critical'`,
    );
    const cohort = (await sql<{ cohort: string }>('SELECT cohort FROM tenancy.tenants WHERE id = $1', [id]))[0]!.cohort;
    if (window!.inside) {
      // Run inside the critical tier's window: the change applies at once.
      expect([waiting.status, cohort]).toEqual(['APPLIED', 'canary']);
    } else {
      expect(waiting.status).toBe('WAITING');
      expect(Date.parse(waiting.applyAfter!)).toBeGreaterThan(Date.now());
      expect(cohort).toBe('general');
    }
  });
});

describe('partner attribution, a protected setting', () => {
  it('moves a tenant to a partner only through an approved change, refusing an unknown partner at the request', async () => {
    const id = await tenant();
    const unknown = await requestChange(id, 'partner', '00000000-0000-4000-8000-0000000000ff');
    expect(codesOf(unknown)).toEqual(['BAD_USER_INPUT']);
    const [partner] = await sql<{ id: string }>('SELECT id FROM tenancy.partners ORDER BY slug LIMIT 1');
    const request = (await requestChange(id, 'partner', partner!.id)).body.data!.requestChange;
    await decide('approveChange', request.id, await bob());
    await waitFor('the attribution applied', async () => (await sql<{ partner_id: string | null }>('SELECT partner_id FROM tenancy.tenants WHERE id = $1', [id]))[0]!.partner_id === partner!.id);
    expect((await listed(id))[0]).toMatchObject({ status: 'APPLIED', previousValue: 'null' });
  });
});
