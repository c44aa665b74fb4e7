/**
 * Feature flags rolled out by cohort while the gateway serves: each promotion reaches the next
 * cohort's tenants within the access-cache window — except critical-tier tenants newly reached,
 * who wait for their tier's release window — and a rollback takes the flag back from everyone at
 * once. Every step is audited in the platform chain and counted; a step past either end is
 * INVALID_TRANSITION; only platform admins roll flags out.
 */
import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { waitFor } from '../../lib/jobs/test-support.js';
import type { InProcessPlatform } from '../../scripts/platform.js';
import { adminClient, bearer, dropScratchTenants, graphql, scratchTenant, startTestPlatform } from '../support/platform.js';

let platform: InProcessPlatform;
const scratch: string[] = [];
const flag = `test_flag_${randomBytes(4).toString('hex')}`;
let canary: string;
let general: string;
let criticalGeneral: string;

beforeAll(async () => {
  platform = await startTestPlatform();
  canary = await scratchTenant('Flags Canary Clinic', { cohort: 'canary' });
  general = await scratchTenant('Flags General Clinic');
  criticalGeneral = await scratchTenant('Flags Critical Clinic', { tier: 'critical' });
  scratch.push(canary, general, criticalGeneral);
  // Tenant.featureFlags is itself behind advanced_analytics: granted to these tenants directly.
  const admin = await adminClient();
  try {
    for (const id of scratch) {
      await admin.query("INSERT INTO tenancy.tenant_feature_overrides (tenant_id, feature, enabled, reason, approved_by) VALUES ($1, 'advanced_analytics', true, 'test', 'test')", [id]);
    }
  } finally {
    await admin.end();
  }
});
afterAll(async () => {
  await platform?.close();
  await dropScratchTenants(scratch);
});

const admin = () => bearer(['platform_admin'], { subject: 'flags-admin' });
const ROLLOUT = 'feature stage criticalFrom promotions rollbacks';

async function step(mutation: 'promoteFlag' | 'rollbackFlag' | 'defineFeatureFlag', headers?: Record<string, string>) {
  const args = mutation === 'defineFeatureFlag' ? '(feature: $f, description: "a test flag")' : '(feature: $f)';
  return graphql<Record<string, { stage: string; criticalFrom: string | null; promotions: number; rollbacks: number }>>(
    platform.gateway.url,
    `mutation M($f: String!) { ${mutation}${args} { ${ROLLOUT} } }`,
    { variables: { f: flag }, headers: headers ?? (await admin()) },
  );
}

async function flagsOf(tenantId: string): Promise<string[]> {
  const response = await graphql<{ tenant: { featureFlags: string[] } }>(platform.gateway.url, 'query F($id: ID!) { tenant(id: $id) { featureFlags } }', {
    variables: { id: tenantId },
    headers: { ...(await admin()), 'x-tenant-id': tenantId },
  });
  expect(response.body.errors).toBeUndefined();
  return response.body.data!.tenant.featureFlags;
}

const has = async (tenantId: string) => (await flagsOf(tenantId)).includes(flag);
const codesOf = (response: { body: { errors?: { extensions?: Record<string, unknown> }[] } }) => (response.body.errors ?? []).map((e) => e.extensions?.code);

describe('feature flag rollout by cohort', () => {
  it('reaches cohort after cohort, holds critical tenants for their window, and rolls back at once', async () => {
    expect((await step('defineFeatureFlag')).body.data!.defineFeatureFlag).toMatchObject({ stage: 'NONE', promotions: 0, rollbacks: 0 });
    expect(codesOf(await step('rollbackFlag'))).toEqual(['INVALID_TRANSITION']);

    expect((await step('promoteFlag')).body.data!.promoteFlag!.stage).toBe('CANARY');
    await waitFor('the canary tenant has the flag', () => has(canary), 8_000);
    expect(await has(general)).toBe(false);

    await step('promoteFlag');
    const toGeneral = (await step('promoteFlag')).body.data!.promoteFlag!;
    expect(toGeneral).toMatchObject({ stage: 'GENERAL', promotions: 3, rollbacks: 0 });
    await waitFor('the general tenant has the flag', () => has(general), 8_000);
    if (toGeneral.criticalFrom) {
      // Outside the critical tier's window: its general tenants wait for it, visibly.
      expect(Date.parse(toGeneral.criticalFrom)).toBeGreaterThan(Date.now());
      expect(await has(criticalGeneral)).toBe(false);
    } else {
      expect(await has(criticalGeneral)).toBe(true);
    }
    expect(codesOf(await step('promoteFlag'))).toEqual(['INVALID_TRANSITION']);

    const back = (await step('rollbackFlag')).body.data!.rollbackFlag!;
    expect(back).toMatchObject({ stage: 'EARLY', criticalFrom: null, promotions: 3, rollbacks: 1 });
    await waitFor('the general tenant lost the flag', async () => !(await has(general)), 8_000);
    expect(await has(canary)).toBe(true);

    const client = await adminClient();
    try {
      const { rows } = await client.query<{ action: string }>("SELECT action FROM tenancy.audit_log WHERE chain = 'platform' AND target = $1 ORDER BY seq", [`flag:${flag}`]);
      expect(rows.map((row) => row.action)).toEqual(['flag.defined', 'flag.promoted', 'flag.promoted', 'flag.promoted', 'flag.rolled-back']);
    } finally {
      await client.end();
    }
    const rollouts = await graphql<{ featureFlagRollouts: { feature: string; rollbacks: number }[] }>(platform.gateway.url, `{ featureFlagRollouts { ${ROLLOUT} } }`, { headers: await admin() });
    expect(rollouts.body.data!.featureFlagRollouts.find((rollout) => rollout.feature === flag)).toMatchObject({ rollbacks: 1 });
  });

  it('is for platform admins only', async () => {
    const response = await step('promoteFlag', await bearer(['support']));
    expect(codesOf(response)).toEqual(['INSUFFICIENT_SCOPE']);
  });
});
