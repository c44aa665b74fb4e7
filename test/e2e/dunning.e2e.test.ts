/**
 * Dunning through the control plane, with erp's and tenancy's workers running: an invoice unpaid
 * past the grace period moves the subscription to PAST_DUE, past the suspension stage the
 * control plane suspends the tenant for non-payment, and paying it resumes the tenant — but never
 * one an operator suspended for another reason. Every subscription change enters the tenant's
 * audit chain. The default policy (docs/billing.md): due 14 days after issue, PAST_DUE 7 days
 * after that, suspended 30 days after it.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { waitFor } from '../../lib/jobs/test-support.js';
import type { RunningWorker } from '../../lib/services.js';
import type { InProcessPlatform } from '../../scripts/platform.js';
import * as erpWorker from '../../subgraphs/erp/worker.js';
import * as tenancyWorker from '../../subgraphs/tenancy/worker.js';
import { adminQuery, bearer, dropScratchTenants, graphql, scratchTenant, startTestPlatform, startTestWorkers } from '../support/platform.js';

let platform: InProcessPlatform;
let workers: RunningWorker[] = [];
const scratch: string[] = [];

beforeAll(async () => {
  platform = await startTestPlatform();
  workers = await startTestWorkers([tenancyWorker, erpWorker]);
});
afterAll(async () => {
  await Promise.all(workers.map((worker) => worker.close()));
  await platform?.close();
  await dropScratchTenants(scratch);
});

const admin = () => bearer(['platform_admin'], { subject: 'dunning-admin' });

async function ok<T>(query: string, variables: Record<string, unknown>): Promise<T> {
  const response = await graphql<T>(platform.gateway.url, query, { variables, headers: await admin() });
  expect(response.body.errors).toBeUndefined();
  return response.body.data!;
}

const START = `mutation S($input: StartSubscriptionInput!) { startSubscription(input: $input) { status } }`;
const RUN = `mutation R($t: ID, $through: Date) { runInvoices(tenantId: $t, through: $through) { invoicesIssued dunningStages } }`;
const PAY = `mutation P($input: RecordPaymentInput!) { recordPayment(input: $input) { status amountDueMinor } }`;
const SUSPEND = `mutation X($id: ID!) { suspendTenant(id: $id, reason: SECURITY) { status } }`;

const statusOf = async (tenantId: string) => (await adminQuery<{ status: string }>('SELECT status FROM tenancy.tenants WHERE id = $1', [tenantId]))[0]!.status;
const subscriptionStatus = async (tenantId: string) => (await adminQuery<{ status: string }>('SELECT status FROM erp.subscriptions WHERE tenant_id = $1', [tenantId]))[0]!.status;
const auditActions = async (tenantId: string) =>
  (await adminQuery<{ action: string; reason: string | null }>(`SELECT action, detail->>'reason' AS reason FROM tenancy.audit_log WHERE chain = $1 ORDER BY seq`, [`tenant:${tenantId}`])).map(
    (row) => (row.reason ? `${row.action}:${row.reason}` : row.action),
  );

async function activeTenantBilledFromJanuary(name: string): Promise<{ tenantId: string; january: { id: string; total: number } }> {
  const tenantId = await scratchTenant(name);
  scratch.push(tenantId);
  await adminQuery(`UPDATE tenancy.tenants SET status = 'active' WHERE id = $1`, [tenantId]);
  await ok(START, { input: { tenantId, planCode: 'standard', currency: 'USD', startOn: '2026-01-01' } });
  const [january] = await adminQuery<{ id: string; total_minor: string }>(`SELECT id, total_minor FROM erp.invoices WHERE tenant_id = $1 AND period_start = '2026-01-01'`, [tenantId]);
  return { tenantId, january: { id: january!.id, total: Number(january!.total_minor) } };
}

describe('dunning', () => {
  it('moves an unpaid subscription to PAST_DUE, suspends the tenant for non-payment, and resumes it once paid', async () => {
    const { tenantId, january } = await activeTenantBilledFromJanuary('Dunning Clinic');
    // January's invoice is due on the 15th: PAST_DUE from the 22nd.
    const early = await ok<{ runInvoices: { dunningStages: number } }>(RUN, { t: tenantId, through: '2026-01-21' });
    expect(early.runInvoices.dunningStages).toBe(0);
    const pastDue = await ok<{ runInvoices: { dunningStages: number } }>(RUN, { t: tenantId, through: '2026-01-22' });
    expect(pastDue.runInvoices.dunningStages).toBe(1);
    expect(await subscriptionStatus(tenantId)).toBe('past_due');
    expect(await statusOf(tenantId)).toBe('active');

    // Suspended from February 14th (30 days after the due date), once and only once however often the run repeats.
    const suspend = await ok<{ runInvoices: { dunningStages: number } }>(RUN, { t: tenantId, through: '2026-02-14' });
    expect(suspend.runInvoices.dunningStages).toBe(1);
    expect((await ok<{ runInvoices: { dunningStages: number } }>(RUN, { t: tenantId, through: '2026-02-14' })).runInvoices.dunningStages).toBe(0);
    await waitFor('the suspension for non-payment', async () => ((await statusOf(tenantId)) === 'suspended' ? true : undefined));
    await ok(RUN, { t: tenantId, through: '2026-02-20' });

    const pay = { invoiceId: january.id, amountMinor: january.total, receivedOn: '2026-02-21', reference: `dunning-${tenantId.slice(0, 8)}` };
    expect((await ok<{ recordPayment: unknown }>(PAY, { input: pay })).recordPayment).toEqual({ status: 'PAID', amountDueMinor: 0 });
    await waitFor('the resume once paid', async () => ((await statusOf(tenantId)) === 'active' ? true : undefined));
    expect(await subscriptionStatus(tenantId)).toBe('active');

    await waitFor('every change audited', async () => ((await auditActions(tenantId)).includes('subscription.recovered') ? true : undefined));
    // Events are consumed concurrently, so the chain's order is only causal within one event.
    expect((await auditActions(tenantId)).filter((action) => /^(subscription|invoice|tenant)\./.test(action)).sort()).toEqual([
      'subscription.started',
      'subscription.past_due',
      'invoice.past-due',
      'invoice.suspension-due',
      'tenant.suspended:non_payment',
      'subscription.recovered',
      'tenant.resumed:non_payment',
    ].sort());
  });

  it('never resumes a tenant an operator suspended for another reason', async () => {
    const { tenantId, january } = await activeTenantBilledFromJanuary('Dunning Security Clinic');
    await ok(RUN, { t: tenantId, through: '2026-01-25' });
    expect(await ok<{ suspendTenant: unknown }>(SUSPEND, { id: tenantId })).toEqual({ suspendTenant: { status: 'SUSPENDED' } });
    await ok(RUN, { t: tenantId, through: '2026-02-15' });
    await ok(PAY, { input: { invoiceId: january.id, amountMinor: january.total, receivedOn: '2026-02-16', reference: `security-${tenantId.slice(0, 8)}` } });
    await waitFor('the payment’s settlement handled', async () => ((await auditActions(tenantId)).includes('subscription.recovered') ? true : undefined));
    // Give the settled event its turn on the same queue: it has been handled once recorded as processed.
    await waitFor('the settled event consumed', async () => {
      const [row] = await adminQuery<{ n: number }>(`SELECT count(*)::int AS n FROM tenancy.processed_events WHERE consumer = 'settled-invoice' AND tenant_id = $1`, [tenantId]);
      return row!.n > 0 ? true : undefined;
    });
    expect(await statusOf(tenantId)).toBe('suspended');
    expect((await auditActions(tenantId)).filter((action) => action.startsWith('tenant.'))).toEqual(['tenant.suspended:security']);
  });
});
