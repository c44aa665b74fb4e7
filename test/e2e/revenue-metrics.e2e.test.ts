/**
 * Revenue metrics through the gateway against figures computed by hand (definitions in
 * docs/billing.md): five tenants of one partner, billed in USD, over March and April 2026 — an
 * upgrade, a new tenant, a downgrade and a cancellation at the period's end, an add-on removed.
 * The same figures by partner and by the federated fleet group; platform level only.
 */
import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { InProcessPlatform } from '../../scripts/platform.js';
import { adminQuery, bearer, dropScratchTenants, graphql, scratchTenant, startTestPlatform } from '../support/platform.js';

let platform: InProcessPlatform;
const scratch: string[] = [];
const partnerId = randomUUID();

const admin = () => bearer(['platform_admin'], { subject: 'revenue-admin' });

async function call<T>(query: string, variables: Record<string, unknown>, headers?: Record<string, string>) {
  return (await graphql<T>(platform.gateway.url, query, { variables, headers: headers ?? (await admin()) })).body;
}
async function ok<T>(query: string, variables: Record<string, unknown>): Promise<T> {
  const body = await call<T>(query, variables);
  expect(body.errors).toBeUndefined();
  return body.data!;
}

const START = `mutation S($input: StartSubscriptionInput!) { startSubscription(input: $input) { status } }`;
const CHANGE_PLAN = `mutation C($t: ID!, $p: String!, $on: Date) { changePlan(tenantId: $t, planCode: $p, effectiveOn: $on) { status } }`;
const ADD_ADDON = `mutation A($t: ID!, $a: String!, $on: Date) { addAddon(tenantId: $t, addonCode: $a, effectiveOn: $on) { status } }`;
const REMOVE_ADDON = `mutation A($t: ID!, $a: String!, $on: Date) { removeAddon(tenantId: $t, addonCode: $a, effectiveOn: $on) { status } }`;
const CANCEL = `mutation X($t: ID!, $on: Date) { cancelSubscription(tenantId: $t, effectiveOn: $on) { cancelAtPeriodEnd } }`;
const RUN = `mutation R($t: ID, $through: Date) { runInvoices(tenantId: $t, through: $through) { invoicesIssued } }`;

const FIGURES = `startingMrrMinor mrrMinor arrMinor newMrrMinor expansionMrrMinor contractionMrrMinor churnedMrrMinor netNewMrrMinor
  tenantsAtStart tenantsAtEnd newTenants churnedTenants nrr grr logoChurn movements { tenant { id } startMrrMinor endMrrMinor kind }`;
const BY_PARTNER = `query M($from: Date!, $to: Date!, $p: ID) { revenueMetrics(from: $from, to: $to, partnerId: $p) { from to currency ${FIGURES} } }`;

interface Metrics {
  startingMrrMinor: number;
  mrrMinor: number;
  movements: { tenant: { id: string }; startMrrMinor: number; endMrrMinor: number; kind: string }[];
  [figure: string]: unknown;
}

const names = ['upgrades', 'downgrades', 'cancels', 'new in March', 'drops its add-on'] as const;
const tenant: Record<(typeof names)[number], string> = {} as never;

beforeAll(async () => {
  platform = await startTestPlatform();
  for (const name of names) {
    tenant[name] = await scratchTenant(`Revenue Clinic that ${name}`);
    scratch.push(tenant[name]);
    await adminQuery('INSERT INTO erp.partner_attributions (tenant_id, partner_id) VALUES ($1, $2)', [tenant[name], partnerId]);
  }
  const start = (t: string, planCode: string, startOn: string) => ok(START, { input: { tenantId: t, planCode, currency: 'USD', startOn } });
  await start(tenant.upgrades, 'standard', '2026-01-05');
  await ok(CHANGE_PLAN, { t: tenant.upgrades, p: 'premium', on: '2026-03-10' });
  await start(tenant.downgrades, 'premium', '2026-01-05');
  await ok(CHANGE_PLAN, { t: tenant.downgrades, p: 'standard', on: '2026-03-05' });
  await start(tenant.cancels, 'standard', '2026-01-05');
  await ok(CANCEL, { t: tenant.cancels, on: '2026-03-03' });
  await start(tenant['new in March'], 'standard', '2026-03-15');
  await start(tenant['drops its add-on'], 'standard', '2026-02-01');
  await ok(ADD_ADDON, { t: tenant['drops its add-on'], a: 'analytics_export', on: '2026-02-01' });
  await ok(REMOVE_ADDON, { t: tenant['drops its add-on'], a: 'analytics_export', on: '2026-04-10' });
  // The downgrade and the cancellation take effect on April 1st, written by the billing run.
  for (const name of names) await ok(RUN, { t: tenant[name], through: '2026-04-30' });
});
afterAll(async () => {
  await platform?.close();
  await dropScratchTenants(scratch);
});

/** Each scenario tenant's move, as [kind, start, end]. */
function movementsOf(metrics: Metrics): Record<string, [string, number, number] | undefined> {
  const found: Record<string, [string, number, number] | undefined> = {};
  for (const name of names) {
    const m = metrics.movements.find((movement) => movement.tenant.id === tenant[name]);
    found[name] = m && [m.kind, m.startMrrMinor, m.endMrrMinor];
  }
  return found;
}

describe('revenue metrics', () => {
  it('March: an upgrade’s expansion and a new tenant, pending changes not yet counted', async () => {
    const { revenueMetrics: march } = await ok<{ revenueMetrics: Metrics }>(BY_PARTNER, { from: '2026-03-01', to: '2026-03-31', p: partnerId });
    expect(movementsOf(march)).toEqual({
      upgrades: ['EXPANSION', 49900, 149900],
      downgrades: ['UNCHANGED', 149900, 149900],
      cancels: ['UNCHANGED', 49900, 49900],
      'new in March': ['NEW', 0, 49900],
      'drops its add-on': ['UNCHANGED', 59800, 59800],
    });
    expect(march).toMatchObject({
      from: '2026-03-01',
      to: '2026-03-31',
      currency: 'USD',
      startingMrrMinor: 309500,
      mrrMinor: 459400,
      arrMinor: 5512800,
      newMrrMinor: 49900,
      expansionMrrMinor: 100000,
      contractionMrrMinor: 0,
      churnedMrrMinor: 0,
      netNewMrrMinor: 149900,
      tenantsAtStart: 4,
      tenantsAtEnd: 5,
      newTenants: 1,
      churnedTenants: 0,
      nrr: 1.323102, // 409 500 / 309 500
      grr: 1,
      logoChurn: 0,
    });
  });

  it('April: the downgrade and the add-on as contraction, the cancellation as churn', async () => {
    const { revenueMetrics: april } = await ok<{ revenueMetrics: Metrics }>(BY_PARTNER, { from: '2026-04-01', to: '2026-04-30', p: partnerId });
    expect(movementsOf(april)).toEqual({
      upgrades: ['UNCHANGED', 149900, 149900],
      downgrades: ['CONTRACTION', 149900, 49900],
      cancels: ['CHURNED', 49900, 0],
      'new in March': ['UNCHANGED', 49900, 49900],
      'drops its add-on': ['CONTRACTION', 59800, 49900],
    });
    expect(april).toMatchObject({
      startingMrrMinor: 459400,
      mrrMinor: 299600,
      newMrrMinor: 0,
      expansionMrrMinor: 0,
      contractionMrrMinor: 109900,
      churnedMrrMinor: 49900,
      netNewMrrMinor: -159800,
      tenantsAtStart: 5,
      tenantsAtEnd: 4,
      churnedTenants: 1,
      nrr: 0.652155, // 299 600 / 459 400
      grr: 0.652155,
      logoChurn: 0.2,
    });
    // Over both months at once: start of March to end of April.
    const { revenueMetrics: both } = await ok<{ revenueMetrics: Metrics }>(BY_PARTNER, { from: '2026-03-01', to: '2026-04-30', p: partnerId });
    expect(both).toMatchObject({ startingMrrMinor: 309500, mrrMinor: 299600, newMrrMinor: 49900, expansionMrrMinor: 100000, contractionMrrMinor: 109900, churnedMrrMinor: 49900 });
  });

  it('gives the same figures by partner and for the fleet group tenancy names', async () => {
    const byPartner = await ok<{ revenueByPartner: { metrics: Metrics }[] }>(
      `query { revenueByPartner(from: "2026-04-01", to: "2026-04-30") { metrics { mrrMinor movements { tenant { id } } } } }`,
      {},
    );
    const ours = byPartner.revenueByPartner.find((p) => p.metrics.movements.some((m) => m.tenant.id === tenant.upgrades));
    expect(ours!.metrics.mrrMinor).toBe(299600);
    const groups = await ok<{ fleetGroups: { id: string; tenantIds: string[]; revenue: Metrics }[] }>(
      `query { fleetGroups(by: SEGMENT) { id tenantIds revenue(from: "2026-04-01", to: "2026-04-30") { movements { tenant { id } startMrrMinor endMrrMinor kind } } } }`,
      {},
    );
    const ambulatory = groups.fleetGroups.find((g) => g.id === 'segment:ambulatory')!;
    expect(ambulatory.tenantIds).toEqual(expect.arrayContaining(Object.values(tenant)));
    const { revenueMetrics: april } = await ok<{ revenueMetrics: Metrics }>(BY_PARTNER, { from: '2026-04-01', to: '2026-04-30', p: partnerId });
    for (const movement of april.movements) expect(ambulatory.revenue.movements).toContainEqual(movement);
    // Every group's tenants are its own: no tenant in two segments.
    const all = groups.fleetGroups.flatMap((g) => g.tenantIds);
    expect(new Set(all).size).toBe(all.length);
  });

  it('refuses bad periods and callers below platform level', async () => {
    const codeOf = async (variables: Record<string, unknown>, headers?: Record<string, string>) => (await call(BY_PARTNER, variables, headers)).errors?.[0]?.extensions?.code;
    expect(await codeOf({ from: '2026-04-30', to: '2026-04-01' })).toBe('BAD_USER_INPUT');
    expect(await codeOf({ from: '2026-02-30', to: '2026-04-01' })).toBe('BAD_USER_INPUT');
    await adminQuery(`UPDATE tenancy.tenants SET status = 'active' WHERE id = $1`, [tenant.upgrades]);
    const biller = await bearer(['biller'], { subject: 'revenue-biller', tenantId: tenant.upgrades });
    expect(await codeOf({ from: '2026-04-01', to: '2026-04-30' }, biller)).toBe('TENANT_FORBIDDEN');
    const groups = await call(`query { fleetGroups(by: TIER) { id } }`, {}, biller);
    expect(groups.errors?.[0]?.extensions?.code).toBe('TENANT_FORBIDDEN');
  });
});
