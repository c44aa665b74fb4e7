/**
 * Implementation milestones and onboarding cycle time (docs/milestones.md), with erp's and
 * tenancy's workers running: activating a tenant and its first member joining reach their
 * milestones through the control plane's events, once however often an event is delivered and
 * whichever comes later; the milestones no event reports are recorded by admins, refused with
 * BAD_USER_INPUT (writing nothing) when the input is wrong; a tenant sees only its own; and the
 * cycle-time figures per tenant, partner and tier are the hand-computed ones.
 */
import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { appUrl, Database } from '../../lib/db/index.js';
import { publishEvent } from '../../lib/events/outbox.js';
import { jobsOf, waitFor } from '../../lib/jobs/test-support.js';
import type { RunningWorker } from '../../lib/services.js';
import type { TenantContext } from '../../lib/tenant-context.js';
import type { InProcessPlatform } from '../../scripts/platform.js';
import * as erpWorker from '../../subgraphs/erp/worker.js';
import * as tenancyWorker from '../../subgraphs/tenancy/worker.js';
import { TEST_APP_PASSWORD } from '../support/env.js';
import { adminQuery, adminUrl, bearer, bindingKey, dropScratchTenants, graphql, scratchTenant, startTestPlatform, startTestWorkers } from '../support/platform.js';

let platform: InProcessPlatform;
let workers: RunningWorker[] = [];
let tenancyDb: Database;
const scratch: string[] = [];

beforeAll(async () => {
  platform = await startTestPlatform();
  const url = appUrl(adminUrl(), TEST_APP_PASSWORD);
  workers = await startTestWorkers([tenancyWorker, erpWorker]);
  tenancyDb = new Database({ url, schema: 'tenancy', poolSize: 2, bindingKey: bindingKey() });
});
afterAll(async () => {
  await Promise.all(workers.map((worker) => worker.close()));
  await tenancyDb?.close();
  await platform?.close();
  await dropScratchTenants(scratch);
});

const admin = () => bearer(['platform_admin'], { subject: 'milestones-admin' });
const codesOf = (response: { body: { errors?: { extensions?: Record<string, unknown> }[] } }) => (response.body.errors ?? []).map((error) => error.extensions?.code);

async function ok<T>(query: string, variables: Record<string, unknown>, headers?: Record<string, string>): Promise<T> {
  const response = await graphql<T>(platform.gateway.url, query, { variables, headers: headers ?? (await admin()) });
  expect(response.body.errors).toBeUndefined();
  return response.body.data!;
}

const RECORD = `mutation R($t: ID!, $m: ImplementationMilestone!, $on: Date) { recordMilestone(tenantId: $t, milestone: $m, reachedOn: $on) { recorded milestone { milestone reachedAt source } } }`;
const MILESTONES = `query M($id: ID!) { tenant(id: $id) { milestones { milestone reachedAt source } onboardingCycleDays } }`;
const CYCLE = `query C($from: Date!, $to: Date!, $by: OnboardingGroupBy!) { onboardingCycleTime(from: $from, to: $to, groupBy: $by) { key tenant { id } partnerId tier count medianDays meanDays } }`;

interface Milestone {
  milestone: string;
  reachedAt: string | null;
  source: string | null;
}

/** A scratch tenant (of `tier`) with a contract signed on `signedOn`, attributed to `partnerId` when given. */
async function contractedTenant(name: string, signedOn: string, partnerId?: string, tier = 'standard', segment = 'ambulatory'): Promise<string> {
  const tenantId = await scratchTenant(name, { tier, segment });
  scratch.push(tenantId);
  await adminQuery(
    `INSERT INTO erp.contracts (id, tenant_id, plan_code, term_months, value_minor, currency, auto_renew, signed_at, activated_at, term_start, term_end)
     VALUES ($1, $2, 'standard', 12, 598800, 'USD', true, $3::date, $3::date, $3::date, ($3::date + interval '12 months')::date)`,
    [randomUUID(), tenantId, signedOn],
  );
  if (partnerId) await adminQuery('INSERT INTO erp.partner_attributions (tenant_id, partner_id) VALUES ($1, $2)', [tenantId, partnerId]);
  return tenantId;
}

/** Publishes the tenant's escalation policy as tenancy does (the tier erp groups by), at `revision`. */
async function publishTier(tenantId: string, tier: 'standard' | 'enhanced' | 'critical', revision: number): Promise<string> {
  const context: TenantContext = {
    requestId: `milestones-tier-${randomUUID()}`,
    access: 'tenant',
    tenantId,
    principal: { id: 'service:milestones-test', kind: 'service' },
    roles: [],
    scopes: [],
    entitlements: [],
  };
  return tenancyDb.withTenant(context, (tx) => publishEvent(tx, 'tenancy.escalation-policy.changed', context, { revision, tier, rules: [] }));
}

const rowsOf = (tenantId: string) =>
  adminQuery<{ milestone: string; reached_at: Date; source: string; source_event_id: string | null; source_event_type: string | null; actor: string }>(
    'SELECT milestone, reached_at, source, source_event_id, source_event_type, actor FROM erp.implementation_milestones WHERE tenant_id = $1 ORDER BY milestone',
    [tenantId],
  );

async function milestonesOf(tenantId: string, headers?: Record<string, string>): Promise<Record<string, Milestone>> {
  const data = await ok<{ tenant: { milestones: Milestone[] } }>(MILESTONES, { id: tenantId }, headers);
  return Object.fromEntries(data.tenant.milestones.map((entry) => [entry.milestone, entry]));
}

/** Invites a member as the platform admin and accepts the invitation as a new user. */
async function memberJoins(tenantId: string, role: string): Promise<void> {
  const subject = `milestones-${role}-${randomUUID().slice(0, 8)}`;
  const invited = await ok<{ inviteMember: { invitationToken: string } }>(
    `mutation I($t: ID!, $e: String!, $r: [String!]!) { inviteMember(tenantId: $t, email: $e, roles: $r) { invitationToken } }`,
    { t: tenantId, e: `${subject}@example.com`, r: [role] },
  );
  await ok(`mutation A($t: String!) { acceptInvitation(token: $t) { status } }`, { t: invited.inviteMember.invitationToken }, await bearer([], { tenantId, subject, scopes: [] }));
}

describe('implementation milestones', () => {
  it('records contract activation and the first member joining from the control plane’s events, once each', async () => {
    const tenantId = await contractedTenant('Milestones Events Clinic', '2026-01-05');
    await ok(`mutation X($id: ID!) { activateTenant(id: $id) { status } }`, { id: tenantId });
    await memberJoins(tenantId, 'tenant_admin');
    await waitFor('both milestones recorded', async () => ((await rowsOf(tenantId)).length === 2 ? true : undefined));

    const [joined] = await adminQuery<{ id: string }>(`SELECT id FROM tenancy.outbox WHERE tenant_id = $1 AND type = 'tenancy.member.joined'`, [tenantId]);
    const [activated] = await adminQuery<{ id: string }>(`SELECT id FROM tenancy.outbox WHERE tenant_id = $1 AND type = 'tenancy.tenant.status-changed'`, [tenantId]);
    const first = await rowsOf(tenantId);
    expect(first).toEqual([
      { milestone: 'contract_activated', reached_at: expect.any(Date), source: 'event', source_event_id: activated!.id, source_event_type: 'tenancy.tenant.status-changed', actor: 'user:milestones-admin' },
      { milestone: 'users_provisioned', reached_at: expect.any(Date), source: 'event', source_event_id: joined!.id, source_event_type: 'tenancy.member.joined', actor: expect.stringMatching(/^user:milestones-tenant_admin-/) },
    ]);

    // The member-joined event delivered a second time, and a second member joining: nothing changes.
    await adminQuery('UPDATE tenancy.outbox SET relayed_at = NULL WHERE id = $1', [joined!.id]);
    await waitFor('the second delivery worked', async () => {
      const jobs = (await jobsOf(adminUrl(), erpWorker.eventsQueue.name, joined!.id)).filter((job) => job.name === erpWorker.eventsQueue.name);
      return jobs.length === 2 && jobs.every((job) => job.state === 'completed') ? true : undefined;
    });
    await memberJoins(tenantId, 'clinician');
    await waitFor('the second member’s event consumed', async () => {
      const [row] = await adminQuery<{ n: number }>(`SELECT count(*)::int AS n FROM erp.processed_events WHERE consumer = 'milestone-users-provisioned' AND tenant_id = $1`, [tenantId]);
      return row!.n === 2 ? true : undefined;
    });
    expect(await rowsOf(tenantId)).toEqual(first);

    const seen = await milestonesOf(tenantId);
    expect(seen.CONTRACT_ACTIVATED).toEqual({ milestone: 'CONTRACT_ACTIVATED', reachedAt: first[0]!.reached_at.toISOString(), source: 'EVENT' });
    expect(seen.USERS_PROVISIONED!.source).toBe('EVENT');
    expect(seen.GO_LIVE).toEqual({ milestone: 'GO_LIVE', reachedAt: null, source: null });
    expect(Object.keys(seen)).toEqual(['CONTRACT_ACTIVATED', 'USERS_PROVISIONED', 'INTEGRATIONS_VALIDATED', 'TRAINING_COMPLETED', 'GO_LIVE']);
  });

  it('records the milestones no event reports, the first reach winning, and refuses bad input writing nothing', async () => {
    const tenantId = await contractedTenant('Milestones Manual Clinic', '2026-02-01');
    const refused = async (variables: Record<string, unknown>, code = 'BAD_USER_INPUT') => {
      const response = await graphql(platform.gateway.url, RECORD, { variables, headers: await admin() });
      expect(codesOf(response)).toEqual([code]);
    };
    await refused({ t: tenantId, m: 'GO_LIVE', on: '2999-01-01' });
    await refused({ t: tenantId, m: 'GO_LIVE', on: '2026-01-31' });
    await refused({ t: tenantId, m: 'CONTRACT_ACTIVATED', on: '2026-02-02' });
    await refused({ t: 'not-a-tenant', m: 'GO_LIVE', on: '2026-02-02' });
    expect(await rowsOf(tenantId)).toEqual([]);

    const recorded = await ok<{ recordMilestone: { recorded: boolean; milestone: Milestone } }>(RECORD, { t: tenantId, m: 'TRAINING_COMPLETED', on: '2026-02-20' });
    expect(recorded.recordMilestone).toEqual({ recorded: true, milestone: { milestone: 'TRAINING_COMPLETED', reachedAt: '2026-02-20T00:00:00.000Z', source: 'MANUAL' } });
    const again = await ok<{ recordMilestone: { recorded: boolean; milestone: Milestone } }>(RECORD, { t: tenantId, m: 'TRAINING_COMPLETED', on: '2026-02-25' });
    expect(again.recordMilestone).toEqual({ recorded: false, milestone: recorded.recordMilestone.milestone });

    expect((await milestonesOf(tenantId)).GO_LIVE!.reachedAt).toBeNull();
    expect((await ok<{ tenant: { onboardingCycleDays: number | null } }>(MILESTONES, { id: tenantId })).tenant.onboardingCycleDays).toBeNull();
    await ok(RECORD, { t: tenantId, m: 'GO_LIVE', on: '2026-03-15' });
    // February 1st to March 15th, 2026: 27 + 15 days.
    expect((await ok<{ tenant: { onboardingCycleDays: number | null } }>(MILESTONES, { id: tenantId })).tenant.onboardingCycleDays).toBe(42);
    expect((await rowsOf(tenantId)).map((row) => [row.milestone, row.source, row.actor])).toEqual([
      ['go_live', 'manual', 'user:milestones-admin'],
      ['training_completed', 'manual', 'user:milestones-admin'],
    ]);
  });

  it('shows a tenant only its own milestones and cycle time, and lets only admins record', async () => {
    const own = await contractedTenant('Milestones Own Clinic', '2025-06-01');
    const other = await contractedTenant('Milestones Other Clinic', '2025-06-01');
    await adminQuery(`UPDATE tenancy.tenants SET status = 'active' WHERE id = ANY($1::uuid[])`, [[own, other]]);
    await ok(RECORD, { t: own, m: 'GO_LIVE', on: '2025-06-11' });
    await ok(RECORD, { t: other, m: 'GO_LIVE', on: '2025-06-21' });
    const ownAdmin = await bearer(['tenant_admin'], { tenantId: own, subject: 'milestones-own-admin' });

    expect((await milestonesOf(own, ownAdmin)).GO_LIVE!.reachedAt).toBe('2025-06-11T00:00:00.000Z');
    const cross = await graphql<{ tenant: { milestones: Milestone[]; onboardingCycleDays: number | null } | null }>(platform.gateway.url, MILESTONES, { variables: { id: other }, headers: ownAdmin });
    expect(cross.text).not.toContain('2025-06-21');
    expect(cross.body.data?.tenant?.milestones ?? []).toEqual([]);
    expect(cross.body.data?.tenant?.onboardingCycleDays ?? null).toBeNull();

    const cycles = await ok<{ onboardingCycleTime: { key: string; count: number; medianDays: number }[] }>(CYCLE, { from: '2025-06-01', to: '2025-06-30', by: 'TENANT' }, ownAdmin);
    expect(cycles.onboardingCycleTime.map((group) => [group.key, group.count, group.medianDays])).toEqual([[own, 1, 10]]);

    const intoOther = await graphql(platform.gateway.url, RECORD, { variables: { t: other, m: 'TRAINING_COMPLETED', on: '2025-06-05' }, headers: ownAdmin });
    expect(codesOf(intoOther)).toEqual(['NOT_FOUND']);
    const biller = await graphql(platform.gateway.url, RECORD, { variables: { t: own, m: 'TRAINING_COMPLETED', on: '2025-06-05' }, headers: await bearer(['biller'], { tenantId: own }) });
    expect(codesOf(biller)).toEqual(['INSUFFICIENT_SCOPE']);
    expect((await rowsOf(other)).map((row) => row.milestone)).toEqual(['go_live']);
    expect((await rowsOf(own)).map((row) => row.milestone)).toEqual(['go_live']);
  });

  it('answers the onboarding cycle time per tenant, partner and tier for the tenants that went live in the window', async () => {
    const partner = randomUUID();
    const otherPartner = randomUUID();
    // Contract signed → go-live, in days: 30, 45, 21, 60 through `partner`, 10 through `otherPartner`; one more live after the window.
    const tenants = [
      { signed: '2025-01-10', live: '2025-02-09', partner, tier: 'critical', segment: 'diagnostics', days: 30 },
      { signed: '2025-01-01', live: '2025-02-15', partner, tier: 'standard', segment: 'diagnostics', days: 45 },
      { signed: '2025-01-20', live: '2025-02-10', partner, tier: 'critical', segment: 'home_health', days: 21 },
      { signed: '2025-01-05', live: '2025-03-06', partner, tier: 'enhanced', segment: 'home_health', days: 60 },
      { signed: '2025-02-01', live: '2025-02-11', partner: otherPartner, tier: 'critical', segment: 'home_health', days: 10 },
      { signed: '2025-01-01', live: '2025-04-01', partner, tier: 'critical', segment: 'diagnostics', days: 90 },
    ] as const;
    const ids: string[] = [];
    for (const [index, tenant] of tenants.entries()) {
      const id = await contractedTenant(`Milestones Cycle Clinic ${index}`, tenant.signed, tenant.partner, tenant.tier, tenant.segment);
      ids.push(id);
      await ok(RECORD, { t: id, m: 'GO_LIVE', on: tenant.live });
      await publishTier(id, tenant.tier, 1000);
    }
    // An older revision of the policy (another tier) arriving later changes nothing.
    const older = await publishTier(ids[0]!, 'standard', 999);
    await waitFor('every tier copied', async () => {
      const [row] = await adminQuery<{ n: number }>('SELECT count(*)::int AS n FROM erp.tenant_tiers WHERE tenant_id = ANY($1::uuid[]) AND revision = 1000', [ids]);
      return row!.n === ids.length ? true : undefined;
    });
    await waitFor('the older revision consumed', async () => {
      const [row] = await adminQuery<{ n: number }>(`SELECT count(*)::int AS n FROM erp.processed_events WHERE consumer = 'onboarding-tenant-tier' AND event_id = $1`, [older]);
      return row!.n === 1 ? true : undefined;
    });
    expect(await adminQuery('SELECT tier, revision FROM erp.tenant_tiers WHERE tenant_id = $1', [ids[0]])).toEqual([{ tier: 'critical', revision: 1000 }]);
    const window = { from: '2025-02-01', to: '2025-03-31' };

    const byPartner = await ok<{ onboardingCycleTime: { key: string; partnerId: string | null; tier: string | null; tenant: unknown; count: number; medianDays: number; meanDays: number }[] }>(CYCLE, { ...window, by: 'PARTNER' });
    const ours = byPartner.onboardingCycleTime.filter((group) => group.key === partner || group.key === otherPartner);
    // `partner`: 21, 30, 45, 60 → median (30 + 45) / 2 = 37.5, mean 156 / 4 = 39. `otherPartner`: 10.
    expect(ours.sort((a, b) => a.count - b.count)).toEqual([
      { key: otherPartner, partnerId: otherPartner, tier: null, tenant: null, count: 1, medianDays: 10, meanDays: 10 },
      { key: partner, partnerId: partner, tier: null, tenant: null, count: 4, medianDays: 37.5, meanDays: 39 },
    ]);

    const byTenant = await ok<{ onboardingCycleTime: { key: string; tenant: { id: string }; count: number; medianDays: number }[] }>(CYCLE, { ...window, by: 'TENANT' });
    const perTenant = Object.fromEntries(byTenant.onboardingCycleTime.filter((group) => ids.includes(group.key)).map((group) => [group.key, [group.tenant.id, group.count, group.medianDays]]));
    expect(perTenant).toEqual(Object.fromEntries(tenants.slice(0, 5).map((tenant, index) => [ids[index], [ids[index], 1, tenant.days]])));

    // critical: 30, 21, 10 → median 21, mean 61 / 3 = 20.33; standard: 45; enhanced: 60 (the 90-day critical tenant went live after the window).
    const byTier = await ok<{ onboardingCycleTime: { key: string; tier: string | null; count: number; medianDays: number; meanDays: number }[] }>(CYCLE, { ...window, by: 'TIER' });
    expect(byTier.onboardingCycleTime).toEqual([
      { key: 'critical', tier: 'critical', partnerId: null, tenant: null, count: 3, medianDays: 21, meanDays: 20.33 },
      { key: 'enhanced', tier: 'enhanced', partnerId: null, tenant: null, count: 1, medianDays: 60, meanDays: 60 },
      { key: 'standard', tier: 'standard', partnerId: null, tenant: null, count: 1, medianDays: 45, meanDays: 45 },
    ]);

    // Per segment, through the fleet groups tenancy names: diagnostics 30, 45 → 37.5; home health 21, 60, 10 → median 21, mean 91 / 3 = 30.33.
    const bySegment = await ok<{ fleetGroups: { id: string; onboardingCycleTime: { key: string; count: number; medianDays: number; meanDays: number } | null }[] }>(
      `query G($from: Date!, $to: Date!) { fleetGroups(by: SEGMENT) { id onboardingCycleTime(from: $from, to: $to) { key count medianDays meanDays } } }`,
      window,
    );
    expect(bySegment.fleetGroups.filter((group) => group.onboardingCycleTime)).toEqual([
      { id: 'segment:diagnostics', onboardingCycleTime: { key: 'segment:diagnostics', count: 2, medianDays: 37.5, meanDays: 37.5 } },
      { id: 'segment:home_health', onboardingCycleTime: { key: 'segment:home_health', count: 3, medianDays: 21, meanDays: 30.33 } },
    ]);

    const [last] = await ok<{ onboardingCycleTime: { medianDays: number }[] }>(CYCLE, { from: '2025-04-01', to: '2025-04-01', by: 'PARTNER' }).then((data) =>
      data.onboardingCycleTime.filter((group) => group.medianDays === 90),
    );
    expect(last).toBeDefined();
    const backwards = await graphql(platform.gateway.url, CYCLE, { variables: { from: '2025-03-01', to: '2025-02-01', by: 'TENANT' }, headers: await admin() });
    expect(codesOf(backwards)).toEqual(['BAD_USER_INPUT']);
  });
});
