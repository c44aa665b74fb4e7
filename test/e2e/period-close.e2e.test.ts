/**
 * Billing accuracy and the period close, through the gateway, against figures computed by hand
 * (docs/revenue-recognition.md): a tenant billed in euros over the first half of 2025 — a partial
 * first period, an upgrade with its proration, overage, an add-on, a payment, a credit note on an
 * open invoice, a partner's commission — reconciles exactly; a line changed in the database shows
 * as a difference. A second tenant's annual prepaid invoice (written as the admin: the billing
 * run issues monthly invoices only) is recognised by day over its twelve months.
 */
import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { InProcessPlatform } from '../../scripts/platform.js';
import type { PeriodClose as Close } from '../../subgraphs/erp/period-close.js';
import type { InvoiceReconciliation as Reconciliation } from '../../subgraphs/erp/reconcile.js';
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

const admin = () => bearer(['platform_admin'], { subject: 'close-admin' });

async function call<T>(query: string, variables: Record<string, unknown>, headers?: Record<string, string>) {
  return (await graphql<T>(platform.gateway.url, query, { variables, headers: headers ?? (await admin()) })).body;
}

async function ok<T>(query: string, variables: Record<string, unknown>, headers?: Record<string, string>): Promise<T> {
  const body = await call<T>(query, variables, headers);
  expect(body.errors).toBeUndefined();
  return body.data!;
}

const START = `mutation S($input: StartSubscriptionInput!) { startSubscription(input: $input) { status } }`;
const CHANGE_PLAN = `mutation C($t: ID!, $p: String!, $on: Date) { changePlan(tenantId: $t, planCode: $p, effectiveOn: $on) { status } }`;
const ADD_ADDON = `mutation A($t: ID!, $a: String!, $on: Date) { addAddon(tenantId: $t, addonCode: $a, effectiveOn: $on) { status } }`;
const USAGE = `mutation U($input: RecordUsageInput!) { recordUsage(input: $input) { counted } }`;
const PAY = `mutation P($input: RecordPaymentInput!) { recordPayment(input: $input) { status } }`;
const CREDIT = `mutation N($i: ID!, $a: Int!, $r: String!) { issueCreditNote(invoiceId: $i, amountMinor: $a, reason: $r) { appliedToInvoiceMinor } }`;
const RUN = `mutation R($t: ID, $through: Date) { runInvoices(tenantId: $t, through: $through) { invoicesIssued } }`;
const RECONCILE = `query Q($p: Date!, $t: ID) { reconcileInvoices(period: $p, tenantId: $t) {
  period invoicesChecked invoicesMatching accuracy differences { invoice { id number } tenantId kind item expectedMinor actualMinor note }
} }`;
const CLOSE = `query C($m: Date!, $c: String) { periodClose(month: $m, currency: $c) {
  month currency billedMinor recognisedMinor creditedMinor openingDeferredMinor deferredBalanceMinor collectedMinor commissionsOwedMinor invoiceCount reconciles
  deferredByTenant { tenantId deferredBalanceMinor }
} }`;
const DEFERRED = `query D($id: ID!, $asOf: Date) { tenant(id: $id) { deferredRevenueMinor(asOf: $asOf) } }`;


const reconcile = async (period: string, tenantId?: string) => (await ok<{ reconcileInvoices: Reconciliation }>(RECONCILE, { p: period, t: tenantId })).reconcileInvoices;
const close = async (month: string) => {
  const [only] = (await ok<{ periodClose: Close[] }>(CLOSE, { m: month, c: 'EUR' })).periodClose;
  return only!;
};
const invoiceOf = async (tenantId: string, periodStart: string) =>
  (await adminQuery<{ id: string }>('SELECT id FROM erp.invoices WHERE tenant_id = $1 AND period_start = $2', [tenantId, periodStart]))[0]!.id;

describe('billing accuracy and the period close', () => {
  let tenantId: string;
  let annualTenant: string;
  const partnerId = randomUUID();

  beforeAll(async () => {
    tenantId = await scratchTenant('Period Close Clinic');
    annualTenant = await scratchTenant('Annual Prepaid Clinic');
    scratch.push(tenantId, annualTenant);
    await adminQuery('INSERT INTO erp.partner_attributions (tenant_id, partner_id) VALUES ($1, $2)', [tenantId, partnerId]);
    await adminQuery(`INSERT INTO erp.commission_rates (partner_id, plan_code, rate_basis_points, updated_by) VALUES ($1, NULL, 1000, 'period-close-test')`, [partnerId]);
  });

  it('bills six months through the gateway', async () => {
    await ok(START, { input: { tenantId, planCode: 'standard', currency: 'EUR', startOn: '2025-01-10' } });
    await ok(CHANGE_PLAN, { t: tenantId, p: 'premium', on: '2025-01-20' });
    await ok(USAGE, { input: { tenantId, eventId: randomUUID(), meter: 'eligibility_checks', quantity: 5500, occurredAt: '2025-01-15T10:00:00Z' } });
    await ok(RUN, { t: tenantId, through: '2025-02-01' });
    await ok(PAY, { input: { invoiceId: await invoiceOf(tenantId, '2025-02-01'), amountMinor: 185900, receivedOn: '2025-02-10', reference: `close-feb-${tenantId.slice(0, 8)}` } });
    await ok(ADD_ADDON, { t: tenantId, a: 'analytics_export', on: '2025-03-16' });
    // March's invoice is still open: the credit note reduces what it owes (nothing goes to the balance).
    const note = await ok<{ issueCreditNote: { appliedToInvoiceMinor: number } }>(CREDIT, { i: await invoiceOf(tenantId, '2025-03-01'), a: 5000, r: 'service credit' });
    expect(note.issueCreditNote.appliedToInvoiceMinor).toBe(5000);
    await ok(RUN, { t: tenantId, through: '2025-06-01' });
    await ok(PAY, { input: { invoiceId: await invoiceOf(tenantId, '2025-05-01'), amountMinor: 149800, receivedOn: '2025-06-05', reference: `close-may-${tenantId.slice(0, 8)}` } });
    const totals = await adminQuery<{ period_start: string; total: number }>(
      `SELECT period_start::text, total_minor::int AS total FROM erp.invoices WHERE tenant_id = $1 AND period_start < '2025-07-01' ORDER BY period_start`,
      [tenantId],
    );
    expect(totals.map((row) => [row.period_start, row.total])).toEqual([
      ['2025-01-10', 33284], // 22 of 31 days of Standard (46 900)
      ['2025-02-01', 185900], // Premium 139 900; 12 days of January: −18 155 Standard, +54 155 Premium; 500 checks over 5 000 at 20
      ['2025-03-01', 139900],
      ['2025-04-01', 154910], // + the add-on 9 900 and its 16 days of March, 5 110
      ['2025-05-01', 149800],
      ['2025-06-01', 149800],
    ]);
  });

  it('reconciles every honest invoice exactly: accuracy 1, no differences', async () => {
    for (const period of ['2025-01-15', '2025-02-01', '2025-03-31', '2025-04-10', '2025-05-01', '2025-06-30']) {
      const result = await reconcile(period, tenantId);
      expect(result, period).toMatchObject({ invoicesChecked: 1, invoicesMatching: 1, accuracy: 1, differences: [] });
    }
    expect(await reconcile('2025-03-20', tenantId)).toMatchObject({ period: '2025-03-01' });
    expect(await reconcile('2024-07-01')).toMatchObject({ invoicesChecked: 0, accuracy: 1, differences: [] });
  });

  it('a line changed in the database shows as a difference, and the close no longer reconciles', async () => {
    const april = await invoiceOf(tenantId, '2025-04-01');
    const tamper = async (amount: number) => {
      const client = await adminClient();
      try {
        await client.query('BEGIN');
        // Invoices are immutable once open (triggers): the tampering steps around them, as an attacker with the owner's rights could.
        await client.query('SET LOCAL session_replication_role = replica');
        await client.query(`UPDATE erp.invoice_lines SET amount_minor = $2 WHERE invoice_id = $1 AND kind = 'addon'`, [april, amount]);
        await client.query('COMMIT');
      } finally {
        await client.end();
      }
    };
    await tamper(9000);
    try {
      const result = await reconcile('2025-04-01', tenantId);
      expect(result.invoicesChecked).toBe(1);
      expect(result.invoicesMatching).toBe(0);
      expect(result.accuracy).toBe(0);
      expect(result.differences).toEqual([
        {
          invoice: { id: april, number: expect.stringMatching(/^CG-EU-INV-\d{6}$/) },
          tenantId,
          kind: 'addon',
          item: 'analytics_export',
          expectedMinor: 9900,
          actualMinor: 9000,
          note: 'line 2: amount 9000, expected 9900',
        },
      ]);
      // The invoice's total (154 910) no longer equals its lines (154 010).
      expect((await close('2025-04-01')).reconciles).toBe(false);
    } finally {
      await tamper(9900);
    }
    expect(await reconcile('2025-04-01', tenantId)).toMatchObject({ accuracy: 1, differences: [] });
    expect((await close('2025-04-01')).reconciles).toBe(true);
  });

  it('closes each month: billed, recognised, collected, deferred', async () => {
    const january = await close('2025-01-31');
    expect(january).toMatchObject({ month: '2025-01-01', currency: 'EUR', billedMinor: 33284, recognisedMinor: 33284, openingDeferredMinor: 0, deferredBalanceMinor: 0, invoiceCount: 1, reconciles: true });
    // The prorations and usage (covering January) are recognised when billed, in February.
    expect(await close('2025-02-01')).toMatchObject({ billedMinor: 185900, recognisedMinor: 185900, collectedMinor: 185900, deferredBalanceMinor: 0, commissionsOwedMinor: 18590, reconciles: true });
    expect(await close('2025-04-01')).toMatchObject({ billedMinor: 154910, recognisedMinor: 154910, deferredBalanceMinor: 0, reconciles: true });
  });

  it('recognises an annual prepaid invoice by day over its twelve months', async () => {
    // Written as the admin through a draft, the way the billing run writes one.
    const id = randomUUID();
    await adminQuery(
      `INSERT INTO erp.invoices (id, tenant_id, issuer, currency, period_start, period_end, catalog_version, issued_on, due_on, status, subtotal_minor, total_minor, usage_cutoff_at)
       VALUES ($1, $2, 'CG-EU', 'EUR', '2025-06-01', '2026-06-01', 1, '2025-06-01', '2025-06-15', 'draft', 1200000, 1200000, now())`,
      [id, annualTenant],
    );
    await adminQuery(
      `INSERT INTO erp.invoice_lines (invoice_id, line_no, tenant_id, kind, item, description, quantity, amount_minor, covers_from, covers_to)
       VALUES ($1, 1, $2, 'recurring', 'premium', 'Premium plan, annual prepaid', 1, 1200000, '2025-06-01', '2026-06-01')`,
      [id, annualTenant],
    );
    await adminQuery(`UPDATE erp.invoices SET status = 'open', number = erp.next_document_number('CG-EU', 'invoice'), opened_at = now() WHERE id = $1`, [id]);

    const june = await close('2025-06-15');
    expect(june).toMatchObject({
      month: '2025-06-01',
      billedMinor: 149800 + 1200000,
      // The tenant's June (149 800), and 30 of the annual invoice's 365 days: round(1 200 000 × 30 / 365) = 98 630.
      recognisedMinor: 149800 + 98630,
      creditedMinor: 0,
      openingDeferredMinor: 0,
      deferredBalanceMinor: 1200000 - 98630,
      collectedMinor: 149800,
      commissionsOwedMinor: 14980, // 10 % of the May invoice paid on June 5th
      invoiceCount: 2,
      reconciles: true,
    });
    expect(june.deferredByTenant).toEqual(
      expect.arrayContaining([
        { tenantId, deferredBalanceMinor: 0 },
        { tenantId: annualTenant, deferredBalanceMinor: 1101370 },
      ]),
    );
    // July opens with June's closing balance and earns 31 days: round(1 200 000 × 61 / 365) − 98 630 = 101 918.
    const july = await ok<{ periodClose: Close[] }>(CLOSE, { m: '2025-07-01', c: 'EUR' });
    expect(july.periodClose[0]!.deferredByTenant).toEqual(expect.arrayContaining([{ tenantId: annualTenant, deferredBalanceMinor: 1101370 - 101918 }]));
    // Through December 31st, 214 days: round(1 200 000 × 214 / 365) = 703 562 earned.
    expect((await ok<{ tenant: { deferredRevenueMinor: number } }>(DEFERRED, { id: annualTenant, asOf: '2025-12-31' })).tenant.deferredRevenueMinor).toBe(1200000 - 703562);
    expect((await ok<{ tenant: { deferredRevenueMinor: number } }>(DEFERRED, { id: annualTenant, asOf: '2026-06-01' })).tenant.deferredRevenueMinor).toBe(0);
    // Mid-June, the monthly tenant has earned 10 of June's 30 days: 46 633 of 139 900 and 3 300 of 9 900.
    expect((await ok<{ tenant: { deferredRevenueMinor: number } }>(DEFERRED, { id: tenantId, asOf: '2025-06-10' })).tenant.deferredRevenueMinor).toBe(139900 - 46633 + (9900 - 3300));

    // The fleet's reconciliation finds the hand-written invoice: no subscription history gives it.
    const fleet = await reconcile('2025-06-01');
    expect(fleet.differences.filter((d) => d.tenantId === tenantId)).toEqual([]);
    expect(fleet.differences.filter((d) => d.tenantId === annualTenant).map((d) => d.note)).toEqual(['no subscription history at issue']);
    expect(fleet.accuracy).toBeLessThan(1);
  });

  it('counts the credit note in the month it is issued', async () => {
    const today = new Date().toISOString().slice(0, 10);
    const now = (await ok<{ periodClose: Close[] }>(CLOSE, { m: today, c: 'EUR' })).periodClose[0]!;
    expect(now.creditedMinor).toBeGreaterThanOrEqual(5000);
    expect(now.reconciles).toBe(true);
  });

  it('reconciles the credit balance an invoice draws against the ledger', async () => {
    // A credit note on the paid February invoice goes to the balance; July's invoice draws on it.
    const note = await ok<{ issueCreditNote: { appliedToInvoiceMinor: number } }>(CREDIT, { i: await invoiceOf(tenantId, '2025-02-01'), a: 10000, r: 'overage disputed' });
    expect(note.issueCreditNote.appliedToInvoiceMinor).toBe(0);
    await ok(RUN, { t: tenantId, through: '2025-07-01' });
    const [july] = await adminQuery<{ total: number }>(`SELECT total_minor::int AS total FROM erp.invoices WHERE tenant_id = $1 AND period_start = '2025-07-01'`, [tenantId]);
    expect(july!.total).toBe(149800 - 10000);
    expect(await reconcile('2025-07-01', tenantId)).toMatchObject({ invoicesChecked: 1, invoicesMatching: 1, accuracy: 1, differences: [] });
    // The credit note is dated today, after July: the balance July drew is owed back until then (deferred −10 000), and the close still reconciles.
    const closed = await close('2025-07-01');
    expect(closed).toMatchObject({ billedMinor: 139800, recognisedMinor: 149800 + 101918, reconciles: true });
    expect(closed.deferredByTenant).toEqual(expect.arrayContaining([{ tenantId, deferredBalanceMinor: -10000 }]));
  });

  it('is for platform staff: an analyst reads it, a tenant’s admin and a partner’s are refused', async () => {
    const analyst = await bearer(['analyst'], { subject: 'close-analyst' });
    expect((await ok<{ periodClose: Close[] }>(CLOSE, { m: '2025-02-01', c: 'EUR' }, analyst)).periodClose[0]!.billedMinor).toBe(185900);
    await adminQuery(`UPDATE tenancy.tenants SET status = 'active' WHERE id = $1`, [tenantId]);
    const tenantAdmin = await bearer(['tenant_admin'], { subject: 'close-tenant-admin', tenantId });
    for (const [query, variables] of [
      [RECONCILE, { p: '2025-02-01', t: tenantId }],
      [CLOSE, { m: '2025-02-01', c: 'EUR' }],
    ] as const) {
      const body = await call(query, variables, tenantAdmin);
      expect(body.data).toBeNull();
      expect(body.errors?.[0]?.extensions?.code).toBe('INSUFFICIENT_SCOPE');
    }
    // A partner's admin holds billing:read too, for its own records: not for the fleet's books.
    const partnerAdmin = await bearer(['partner_admin'], { subject: 'close-partner-admin', partnerId });
    expect((await call(CLOSE, { m: '2025-02-01', c: 'EUR' }, partnerAdmin)).errors?.[0]?.extensions?.code).toBe('INSUFFICIENT_SCOPE');
    // Its own deferred revenue it may read.
    expect((await ok<{ tenant: { deferredRevenueMinor: number } }>(DEFERRED, { id: tenantId, asOf: '2025-06-30' }, tenantAdmin)).tenant.deferredRevenueMinor).toBe(0);
  });
});
