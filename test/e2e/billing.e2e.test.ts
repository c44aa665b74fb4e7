/**
 * The billing of one tenant over seven months, through the gateway, against figures computed by
 * hand (docs/billing.md has the rules): a first prorated period, a mid-period upgrade, usage
 * with a redelivered event, a payment and a credit note carried to the next invoice, an add-on,
 * a downgrade at the period's end and a cancellation; its MRR movements and NRR month by month.
 * The run repeated changes nothing; bad input is refused with a code and writes nothing; numbers
 * run without gaps.
 */
import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { InProcessPlatform } from '../../scripts/platform.js';
import { adminClient, adminQuery, bearer, dropScratchTenants, graphql, scratchTenant, startTestPlatform } from '../support/platform.js';

let platform: InProcessPlatform;
const scratch: string[] = [];

beforeAll(async () => {
  platform = await startTestPlatform();
});
afterAll(async () => {
  await platform?.close();
  await dropScratchTenants(scratch);
});

const admin = () => bearer(['platform_admin'], { subject: 'billing-admin' });

async function call<T>(query: string, variables: Record<string, unknown>, headers?: Record<string, string>) {
  const response = await graphql<T>(platform.gateway.url, query, { variables, headers: headers ?? (await admin()) });
  return response.body;
}

async function ok<T>(query: string, variables: Record<string, unknown>): Promise<T> {
  const body = await call<T>(query, variables);
  expect(body.errors).toBeUndefined();
  return body.data!;
}

const INVOICES = `query I($id: ID!) { tenant(id: $id) {
  invoices(first: 50) { id number periodStart periodEnd status totalMinor amountDueMinor lines { kind item amountMinor quantity } }
  creditBalanceMinor
  subscription { status plan { code } pendingPlan { code } cancelAtPeriodEnd history { change effectiveOn planCode status } }
} }`;

interface InvoiceView {
  id: string;
  number: string;
  periodStart: string;
  periodEnd: string;
  status: string;
  totalMinor: number;
  amountDueMinor: number;
  lines: { kind: string; item: string | null; amountMinor: number; quantity: number }[];
}

async function tenantBilling(tenantId: string) {
  const invoices = await adminQuery<{ period_start: string; number: string; status: string; total_minor: string }>(
    `SELECT period_start::text, number, status, total_minor FROM erp.invoices WHERE tenant_id = $1 ORDER BY period_start`,
    [tenantId],
  );
  return invoices.map((row) => ({ periodStart: row.period_start, number: row.number, status: row.status, total: Number(row.total_minor) }));
}

async function linesOf(tenantId: string, periodStart: string) {
  const rows = await adminQuery<{ kind: string; item: string | null; amount_minor: string; quantity: string }>(
    `SELECT l.kind, l.item, l.amount_minor, l.quantity FROM erp.invoice_lines l JOIN erp.invoices i ON i.id = l.invoice_id
      WHERE i.tenant_id = $1 AND i.period_start = $2 ORDER BY l.line_no`,
    [tenantId, periodStart],
  );
  return rows.map((row) => ({ kind: row.kind, item: row.item, amount: Number(row.amount_minor), quantity: Number(row.quantity) }));
}

const START = `mutation S($input: StartSubscriptionInput!) { startSubscription(input: $input) { status plan { code } } }`;
const CHANGE_PLAN = `mutation C($t: ID!, $p: String!, $on: Date) { changePlan(tenantId: $t, planCode: $p, effectiveOn: $on) { status plan { code } pendingPlan { code } } }`;
const ADD_ADDON = `mutation A($t: ID!, $a: String!, $on: Date) { addAddon(tenantId: $t, addonCode: $a, effectiveOn: $on) { addons { code } } }`;
const CANCEL = `mutation X($t: ID!, $on: Date) { cancelSubscription(tenantId: $t, effectiveOn: $on) { cancelAtPeriodEnd } }`;
const USAGE = `mutation U($input: RecordUsageInput!) { recordUsage(input: $input) { counted monthTotal } }`;
const PAY = `mutation P($input: RecordPaymentInput!) { recordPayment(input: $input) { status amountDueMinor } }`;
const CREDIT = `mutation N($i: ID!, $a: Int!, $r: String!) { issueCreditNote(invoiceId: $i, amountMinor: $a, reason: $r) { number amountMinor appliedToInvoiceMinor } }`;
const RUN = `mutation R($t: ID, $through: Date) { runInvoices(tenantId: $t, through: $through) { invoicesIssued transitions invoiceNumbers } }`;

describe('a tenant billed over seven months', () => {
  let tenantId: string;
  const redelivered = randomUUID();
  const partnerId = randomUUID();

  beforeAll(async () => {
    tenantId = await scratchTenant('Billing Scenario Clinic');
    scratch.push(tenantId);
  });

  it('bills the first, partial period pro rata and changes the plan mid-period', async () => {
    await ok(START, { input: { tenantId, planCode: 'standard', currency: 'USD', startOn: '2026-01-10' } });
    // 22 of January's 31 days of Standard (49 900): 35 412.90 → 35 413.
    expect(await tenantBilling(tenantId)).toEqual([{ periodStart: '2026-01-10', number: expect.stringMatching(/^CG-US-INV-\d{6}$/), status: 'open', total: 35413 }]);
    const upgraded = await ok<{ changePlan: { plan: { code: string } } }>(CHANGE_PLAN, { t: tenantId, p: 'premium', on: '2026-01-20' });
    expect(upgraded.changePlan.plan.code).toBe('premium');
  });

  it('counts a redelivered usage event once', async () => {
    const first = await ok<{ recordUsage: { counted: boolean; monthTotal: number } }>(USAGE, {
      input: { tenantId, eventId: randomUUID(), meter: 'eligibility_checks', quantity: 3000, occurredAt: '2026-01-15T10:00:00Z' },
    });
    expect(first.recordUsage).toEqual({ counted: true, monthTotal: 3000 });
    const event = { tenantId, eventId: redelivered, meter: 'eligibility_checks', quantity: 2500, occurredAt: '2026-01-25T10:00:00Z' };
    expect((await ok<{ recordUsage: unknown }>(USAGE, { input: event })).recordUsage).toEqual({ counted: true, monthTotal: 5500 });
    expect((await ok<{ recordUsage: unknown }>(USAGE, { input: event })).recordUsage).toEqual({ counted: false, monthTotal: 5500 });
    expect(await adminQuery('SELECT count(*)::int AS n FROM erp.usage_events WHERE tenant_id = $1', [tenantId])).toEqual([{ n: 2 }]);
  });

  it('prorates the upgrade and charges the overage on the next invoice', async () => {
    await ok(ADD_ADDON, { t: tenantId, a: 'analytics_export', on: '2026-03-16' });
    const invoices = await tenantBilling(tenantId);
    expect(invoices.map((i) => [i.periodStart, i.total])).toEqual([
      ['2026-01-10', 35413],
      // Premium 149 900; for 12 days of January: −19 316 (Standard) +58 026 (Premium); 500 checks over 5 000 at 20.
      ['2026-02-01', 198610],
      ['2026-03-01', 149900],
    ]);
    expect(await linesOf(tenantId, '2026-02-01')).toEqual([
      { kind: 'recurring', item: 'premium', amount: 149900, quantity: 1 },
      { kind: 'proration', item: 'standard', amount: -19316, quantity: 12 },
      { kind: 'proration', item: 'premium', amount: 58026, quantity: 12 },
      { kind: 'usage', item: 'eligibility_checks', amount: 10000, quantity: 5500 },
    ]);
  });

  it('a payment settles an invoice; a credit note on a paid invoice goes to the next one', async () => {
    const [february] = await adminQuery<{ id: string }>(`SELECT id FROM erp.invoices WHERE tenant_id = $1 AND period_start = '2026-02-01'`, [tenantId]);
    const pay = { invoiceId: february!.id, amountMinor: 198610, receivedOn: '2026-02-10', reference: `wire-${tenantId.slice(0, 8)}` };
    expect((await ok<{ recordPayment: unknown }>(PAY, { input: pay })).recordPayment).toEqual({ status: 'PAID', amountDueMinor: 0 });
    // The same reference again records nothing more.
    expect((await ok<{ recordPayment: unknown }>(PAY, { input: pay })).recordPayment).toEqual({ status: 'PAID', amountDueMinor: 0 });
    expect(await adminQuery('SELECT count(*)::int AS n FROM erp.payments WHERE tenant_id = $1', [tenantId])).toEqual([{ n: 1 }]);
    const note = await ok<{ issueCreditNote: { number: string; amountMinor: number; appliedToInvoiceMinor: number } }>(CREDIT, {
      i: february!.id,
      a: 10000,
      r: 'overage disputed',
    });
    expect(note.issueCreditNote).toEqual({ number: expect.stringMatching(/^CG-US-CN-\d{6}$/), amountMinor: 10000, appliedToInvoiceMinor: 0 });
    expect(await adminQuery('SELECT sum(amount_minor)::int AS balance FROM erp.credit_balance_entries WHERE tenant_id = $1', [tenantId])).toEqual([{ balance: 10000 }]);
  });

  it('schedules a downgrade and a cancellation for the period’s end', async () => {
    const downgrade = await ok<{ changePlan: { plan: { code: string }; pendingPlan: { code: string } } }>(CHANGE_PLAN, { t: tenantId, p: 'standard', on: '2026-05-10' });
    expect(downgrade.changePlan).toEqual({ status: 'ACTIVE', plan: { code: 'premium' }, pendingPlan: { code: 'standard' } });
    expect((await ok<{ cancelSubscription: unknown }>(CANCEL, { t: tenantId, on: '2026-07-05' })).cancelSubscription).toEqual({ cancelAtPeriodEnd: true });
    const run = await ok<{ runInvoices: { invoicesIssued: number } }>(RUN, { t: tenantId, through: '2026-12-01' });
    expect(run.runInvoices.invoicesIssued).toBe(0);
    expect((await tenantBilling(tenantId)).map((i) => [i.periodStart, i.total])).toEqual([
      ['2026-01-10', 35413],
      ['2026-02-01', 198610],
      ['2026-03-01', 149900], // issued before the credit note, by the add-on's change on March 16th
      // 149 900 + 9 900 + 16 of March's 31 days of the add-on (5 110), less the 10 000 credit balance
      ['2026-04-01', 154910],
      ['2026-05-01', 159800],
      ['2026-06-01', 59800], // downgraded on June 1st: 49 900 + 9 900
      ['2026-07-01', 59800],
      // Canceled on August 1st: nothing left to bill, no invoice.
    ]);
    expect(await adminQuery('SELECT coalesce(sum(amount_minor), 0)::int AS balance FROM erp.credit_balance_entries WHERE tenant_id = $1', [tenantId])).toEqual([{ balance: 0 }]);
    const view = await ok<{ tenant: { subscription: { status: string; history: { change: string; effectiveOn: string }[] } } }>(INVOICES, { id: tenantId });
    expect(view.tenant.subscription.status).toBe('CANCELED');
    expect(view.tenant.subscription.history.map((h) => `${h.change}@${h.effectiveOn}`)).toEqual([
      'started@2026-01-10',
      'upgraded@2026-01-20',
      'addon_added@2026-03-16',
      'downgrade_scheduled@2026-05-10',
      'downgraded@2026-06-01',
      'cancellation_scheduled@2026-07-05',
      'canceled@2026-08-01',
    ]);
  });

  it('moves its MRR and NRR month by month as hand-computed, the canceled tenant as churn', async () => {
    // Alone under a partner of its own, so revenueMetrics(partnerId) is this tenant's figures.
    await adminQuery('INSERT INTO erp.partner_attributions (tenant_id, partner_id) VALUES ($1, $2)', [tenantId, partnerId]);
    const metrics = async (from: string, to: string) =>
      (
        await ok<{ revenueMetrics: Record<string, unknown> }>(
          `query M($from: Date!, $to: Date!, $p: ID) { revenueMetrics(from: $from, to: $to, partnerId: $p) {
            startingMrrMinor mrrMinor arrMinor newMrrMinor expansionMrrMinor contractionMrrMinor churnedMrrMinor nrr grr logoChurn } }`,
          { from, to, p: partnerId },
        )
      ).revenueMetrics;
    const none = { newMrrMinor: 0, expansionMrrMinor: 0, contractionMrrMinor: 0, churnedMrrMinor: 0 };
    // MRR: Standard 49 900 from Jan 10th, Premium 149 900 from Jan 20th, + the add-on 9 900 from Mar 16th,
    // Standard + add-on 59 800 from Jun 1st, 0 from Aug 1st.
    expect(await metrics('2026-01-01', '2026-01-31')).toEqual({ ...none, startingMrrMinor: 0, mrrMinor: 149900, arrMinor: 1798800, newMrrMinor: 149900, nrr: null, grr: null, logoChurn: null });
    expect(await metrics('2026-02-01', '2026-02-28')).toEqual({ ...none, startingMrrMinor: 149900, mrrMinor: 149900, arrMinor: 1798800, nrr: 1, grr: 1, logoChurn: 0 });
    // 159 800 / 149 900 = 1.066044…
    expect(await metrics('2026-03-01', '2026-03-31')).toEqual({ ...none, startingMrrMinor: 149900, mrrMinor: 159800, arrMinor: 1917600, expansionMrrMinor: 9900, nrr: 1.066044, grr: 1, logoChurn: 0 });
    // 59 800 / 159 800 = 0.374218…
    expect(await metrics('2026-04-01', '2026-06-30')).toEqual({ ...none, startingMrrMinor: 159800, mrrMinor: 59800, arrMinor: 717600, contractionMrrMinor: 100000, nrr: 0.374218, grr: 0.374218, logoChurn: 0 });
    expect(await metrics('2026-07-01', '2026-08-31')).toEqual({ ...none, startingMrrMinor: 59800, mrrMinor: 0, arrMinor: 0, churnedMrrMinor: 59800, nrr: 0, grr: 0, logoChurn: 1 });
    // Over the whole year it came and went: no MRR at either end.
    expect(await metrics('2026-01-01', '2026-12-31')).toEqual({ ...none, startingMrrMinor: 0, mrrMinor: 0, arrMinor: 0, nrr: null, grr: null, logoChurn: null });
  });

  it('running the invoices again changes nothing', async () => {
    const before = await tenantBilling(tenantId);
    const lines = await adminQuery('SELECT count(*)::int AS n FROM erp.invoice_lines WHERE tenant_id = $1', [tenantId]);
    const run = await ok<{ runInvoices: { invoicesIssued: number; transitions: number } }>(RUN, { t: tenantId });
    expect(run.runInvoices).toMatchObject({ invoicesIssued: 0, transitions: 0 });
    expect(await tenantBilling(tenantId)).toEqual(before);
    expect(await adminQuery('SELECT count(*)::int AS n FROM erp.invoice_lines WHERE tenant_id = $1', [tenantId])).toEqual(lines);
  });

  it('numbers each issuer’s invoices without gaps, under concurrency and after a rollback', async () => {
    // The UK issuer, which no other suite bills: its numbers are this test's alone.
    const [{ next }] = (await adminQuery<{ next: string }>(`SELECT next_number AS next FROM erp.document_sequences WHERE issuer = 'CG-UK' AND kind = 'invoice'`)) as [{ next: string }];
    // A transaction that takes a number and rolls back gives it back.
    const client = await adminClient();
    try {
      await client.query('BEGIN');
      expect((await client.query(`SELECT erp.next_document_number('CG-UK', 'invoice') AS n`)).rows[0].n).toBe(`CG-UK-INV-${String(next).padStart(6, '0')}`);
      await client.query('ROLLBACK');
    } finally {
      await client.end();
    }
    const tenants = await Promise.all([1, 2, 3, 4].map((n) => scratchTenant(`Billing Numbering Clinic ${n}`)));
    scratch.push(...tenants);
    // Four first invoices at once, and one refused (no such plan) meanwhile: numbers follow on.
    const refused = call(START, { input: { tenantId: tenants[0], planCode: 'platinum', currency: 'GBP' } });
    await Promise.all(tenants.map((id) => ok(START, { input: { tenantId: id, planCode: 'standard', currency: 'GBP', startOn: '2026-11-01' } })));
    expect((await refused).errors?.[0]?.extensions?.code).toBe('BAD_USER_INPUT');
    const rows = await adminQuery<{ number: string }>(`SELECT number FROM erp.invoices WHERE tenant_id = ANY($1::uuid[]) ORDER BY number`, [tenants]);
    expect(rows.map((row) => Number(row.number.slice(-6)))).toEqual([0, 1, 2, 3].map((i) => Number(next) + i));
  });

  it('refuses bad input with a code, writing nothing', async () => {
    const history = await adminQuery('SELECT count(*)::int AS n FROM erp.subscription_history WHERE tenant_id = $1', [tenantId]);
    const codeOf = async (query: string, variables: Record<string, unknown>) => (await call(query, variables)).errors?.[0]?.extensions?.code;
    expect(await codeOf(CHANGE_PLAN, { t: tenantId, p: 'enterprise', on: '2026-09-01' })).toBe('INVALID_TRANSITION'); // canceled
    expect(await codeOf(USAGE, { input: { tenantId, eventId: randomUUID(), meter: 'claims_submitted', quantity: -3, occurredAt: '2026-02-01T00:00:00Z' } })).toBe('BAD_USER_INPUT');
    expect(await codeOf(USAGE, { input: { tenantId, eventId: randomUUID(), meter: 'claims_submitted', quantity: 1.5, occurredAt: '2026-02-01T00:00:00Z' } })).toBe('BAD_USER_INPUT');
    expect(await codeOf(USAGE, { input: { tenantId, eventId: randomUUID(), meter: 'teleportations', quantity: 1, occurredAt: '2026-02-01T00:00:00Z' } })).toBe('BAD_USER_INPUT');
    const other = await scratchTenant('Billing Bad Input Clinic');
    scratch.push(other);
    expect(await codeOf(START, { input: { tenantId: other, planCode: 'standard', currency: 'XAU' } })).toBe('BAD_USER_INPUT');
    expect(await codeOf(START, { input: { tenantId: other, planCode: 'platinum' } })).toBe('BAD_USER_INPUT');
    expect(await codeOf(START, { input: { tenantId: other, planCode: 'standard', startOn: '2999-01-01' } })).toBe('BAD_USER_INPUT');
    expect(await adminQuery('SELECT count(*)::int AS n FROM erp.subscriptions WHERE tenant_id = $1', [other])).toEqual([{ n: 0 }]);
    expect(await adminQuery('SELECT count(*)::int AS n FROM erp.subscription_history WHERE tenant_id = $1', [tenantId])).toEqual(history);
    expect(await adminQuery('SELECT count(*)::int AS n FROM erp.usage_events WHERE tenant_id = $1', [tenantId])).toEqual([{ n: 2 }]);
  });

  it('an open invoice cannot be changed in the database', async () => {
    await expect(adminQuery(`UPDATE erp.invoices SET total_minor = total_minor + 1 WHERE tenant_id = $1 AND status = 'open'`, [tenantId])).rejects.toThrow(/cannot change/);
    const [open] = await adminQuery<{ id: string }>(`SELECT id FROM erp.invoices WHERE tenant_id = $1 AND status = 'open' LIMIT 1`, [tenantId]);
    await expect(
      adminQuery(`INSERT INTO erp.invoice_lines (invoice_id, line_no, tenant_id, kind, description, quantity, amount_minor, covers_from, covers_to) VALUES ($1, 99, $2, 'credit', 'x', 1, -1, '2026-01-01', '2026-01-01')`, [open!.id, tenantId]),
    ).rejects.toThrow(/draft invoices only/);
  });

  it('a tenant’s biller sees its own invoices and no other tenant’s', async () => {
    const [someone] = await adminQuery<{ tenant_id: string }>(`SELECT tenant_id FROM erp.subscriptions WHERE tenant_id <> $1 LIMIT 1`, [tenantId]);
    const biller = await bearer(['biller'], { subject: 'billing-scenario-biller', tenantId });
    await adminQuery(`UPDATE tenancy.tenants SET status = 'active' WHERE id = $1`, [tenantId]);
    const own = await call<{ tenant: { invoices: InvoiceView[]; creditBalanceMinor: number } }>(INVOICES, { id: tenantId }, biller);
    expect(own.errors).toBeUndefined();
    expect(own.data!.tenant.invoices.map((i) => i.totalMinor)).toEqual([59800, 59800, 159800, 154910, 149900, 198610, 35413]);
    expect(own.data!.tenant.creditBalanceMinor).toBe(0);
    const foreign = await call<{ tenant: { invoices: InvoiceView[] } | null }>(INVOICES, { id: someone!.tenant_id }, biller);
    expect(foreign.data?.tenant?.invoices ?? []).toEqual([]);
  });
});
