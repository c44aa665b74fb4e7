/**
 * Procurement through the control plane, with erp's and tenancy's workers running
 * (docs/procurement.md): a purchase order at or below its currency's threshold (USD 5,000.00) is
 * approved at once; above it, it waits for a four-eyes change request (setting `purchase_order`)
 * that its requester cannot approve and a second platform admin can, then is received and billed;
 * a rejected one stays rejected; bad input writes nothing; another tenant's user sees none of it;
 * and the costs and gross margin over this month are the hand-computed figures.
 */
import { randomUUID } from 'node:crypto';
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
let tenantId: string;
let otherTenantId: string;
const partnerId = randomUUID();

const alice = () => bearer(['platform_admin'], { subject: 'procurement-alice' });
const bob = () => bearer(['platform_admin'], { subject: 'procurement-bob' });

const today = new Date().toISOString().slice(0, 10);
const monthStart = `${today.slice(0, 7)}-01`;
const monthEnd = new Date(Date.UTC(Number(today.slice(0, 4)), Number(today.slice(5, 7)), 0)).toISOString().slice(0, 10);

interface Order {
  id: string;
  number: string;
  status: string;
  amountMinor: number;
  requiresFourEyes: boolean;
  changeRequestId: string | null;
  approvedBy: string | null;
  receivedOn: string | null;
}
const ORDER = 'id number status amountMinor requiresFourEyes changeRequestId approvedBy receivedOn';
const CREATE = `mutation C($input: CreatePurchaseOrderInput!) { createPurchaseOrder(input: $input) { ${ORDER} } }`;
const RECEIVE = `mutation R($id: ID!) { receivePurchaseOrder(id: $id) { ${ORDER} } }`;
const BILL = `mutation B($id: ID!) { markPurchaseOrderBilled(id: $id, supplierInvoiceRef: "SUP-2041") { ${ORDER} } }`;
const CANCEL = `mutation X($id: ID!) { cancelPurchaseOrder(id: $id) { ${ORDER} } }`;
const ORDERS = `query O($id: ID!) { tenant(id: $id) { purchaseOrders { ${ORDER} } costs(from: "${monthStart}", to: "${monthEnd}") { currency costMinor purchaseOrders } } }`;

type Response<T> = Awaited<ReturnType<typeof graphql<T>>>;
const call = async <T>(query: string, variables: Record<string, unknown>, headers: Record<string, string>): Promise<Response<T>> =>
  graphql<T>(platform.gateway.url, query, { variables, headers });
const codesOf = (response: { body: { errors?: { extensions?: Record<string, unknown> }[] } }) => (response.body.errors ?? []).map((e) => e.extensions?.code);

async function ok<T>(query: string, variables: Record<string, unknown>, headers?: Record<string, string>): Promise<T> {
  const response = await call<T>(query, variables, headers ?? (await alice()));
  expect(response.body.errors).toBeUndefined();
  return response.body.data!;
}

const order = (amountMinor: number, category = 'IMPLEMENTATION_SERVICES') => ({
  tenantId,
  category,
  supplier: 'Interop Partners Ltd',
  description: 'EHR connector set-up and go-live support',
  amountMinor,
  currency: 'USD',
});
const create = async (amountMinor: number, category?: string) => (await ok<{ createPurchaseOrder: Order }>(CREATE, { input: order(amountMinor, category) })).createPurchaseOrder;
const ordersOf = async () => (await ok<{ tenant: { purchaseOrders: Order[] } }>(ORDERS, { id: tenantId })).tenant.purchaseOrders;
const statusOf = async (id: string) => (await ordersOf()).find((o) => o.id === id)?.status;

const changeRequest = async (id: string) => {
  const response = await call<{ changeRequests: { id: string; setting: string; status: string; requestedBy: string }[] }>(
    'query L($t: ID!) { changeRequests(tenantId: $t) { id setting status requestedBy } }',
    { t: tenantId },
    await bob(),
  );
  return response.body.data?.changeRequests.find((request) => request.id === id);
};
const decide = (mutation: 'approveChange' | 'rejectChange', id: string, headers: Record<string, string>) =>
  call<Record<string, { status: string }>>(`mutation D($id: ID!) { ${mutation}(id: $id) { status } }`, { id }, headers);

const auditActions = async () =>
  (await adminQuery<{ action: string }>(`SELECT action FROM tenancy.audit_log WHERE chain = $1 ORDER BY seq`, [`tenant:${tenantId}`])).map((row) => row.action);

beforeAll(async () => {
  platform = await startTestPlatform();
  workers = await startTestWorkers([tenancyWorker, erpWorker]);
  tenantId = await scratchTenant('Procurement Clinic');
  otherTenantId = await scratchTenant('Procurement Other Clinic');
  scratch.push(tenantId, otherTenantId);
  await adminQuery(`UPDATE tenancy.tenants SET status = 'active' WHERE id = ANY($1::uuid[])`, [[tenantId, otherTenantId]]);
  // Standard, USD, from this month's first day: this month's invoice is 499.00 (no tax).
  await ok(`mutation S($input: StartSubscriptionInput!) { startSubscription(input: $input) { status } }`, {
    input: { tenantId, planCode: 'standard', currency: 'USD', startOn: monthStart },
  });
  await adminQuery('INSERT INTO erp.partner_attributions (tenant_id, partner_id) VALUES ($1, $2)', [tenantId, partnerId]);
});
afterAll(async () => {
  await Promise.all(workers.map((worker) => worker.close()));
  await platform?.close();
  await dropScratchTenants(scratch);
});

describe('procurement', () => {
  let fourEyes: Order;

  it('approves an order at or below the threshold at once, numbered per issuer', async () => {
    const small = await create(120_000);
    expect(small).toMatchObject({ status: 'APPROVED', requiresFourEyes: false, changeRequestId: null, amountMinor: 120_000 });
    expect(small.number).toMatch(/^CG-US-PO-\d{6}$/);
    expect(small.approvedBy).toContain('procurement-alice');
    // Exactly the threshold is still approved at once; the next order takes the next number.
    const atThreshold = await create(500_000, 'CONNECTOR_LICENCE');
    expect(atThreshold.status).toBe('APPROVED');
    expect(Number(atThreshold.number.slice(-6))).toBe(Number(small.number.slice(-6)) + 1);
    expect((await ok<{ receivePurchaseOrder: Order }>(RECEIVE, { id: small.id })).receivePurchaseOrder).toMatchObject({ status: 'RECEIVED', receivedOn: today });
    // Approved but never received: canceled, never a cost.
    expect((await ok<{ cancelPurchaseOrder: Order }>(CANCEL, { id: atThreshold.id })).cancelPurchaseOrder.status).toBe('CANCELED');
    expect(codesOf(await call(RECEIVE, { id: atThreshold.id }, await alice()))).toEqual(['INVALID_TRANSITION']);
  });

  it('holds an order above the threshold until a second platform admin approves it, then receives and bills it', async () => {
    fourEyes = await create(750_000, 'CONNECTOR_LICENCE');
    expect(fourEyes).toMatchObject({ status: 'PENDING_APPROVAL', requiresFourEyes: true, approvedBy: null });
    const requestId = fourEyes.changeRequestId!;
    const request = await waitFor('the four-eyes request opened', () => changeRequest(requestId));
    expect(request).toMatchObject({ setting: 'purchase_order', status: 'PENDING', requestedBy: expect.stringContaining('procurement-alice') as unknown });
    expect(codesOf(await call(RECEIVE, { id: fourEyes.id }, await alice()))).toEqual(['INVALID_TRANSITION']);

    expect(codesOf(await decide('approveChange', requestId, await alice()))).toEqual(['SELF_APPROVAL_FORBIDDEN']);
    expect(await statusOf(fourEyes.id)).toBe('PENDING_APPROVAL');
    expect((await decide('approveChange', requestId, await bob())).body.data!.approveChange!.status).toBe('APPROVED');
    await waitFor('the order approved', async () => ((await statusOf(fourEyes.id)) === 'APPROVED' ? true : undefined));
    expect((await ordersOf()).find((o) => o.id === fourEyes.id)!.approvedBy).toContain('procurement-bob');

    expect((await ok<{ receivePurchaseOrder: Order }>(RECEIVE, { id: fourEyes.id })).receivePurchaseOrder.status).toBe('RECEIVED');
    expect((await ok<{ markPurchaseOrderBilled: Order }>(BILL, { id: fourEyes.id })).markPurchaseOrderBilled.status).toBe('BILLED');
    expect(codesOf(await call(BILL, { id: fourEyes.id }, await alice()))).toEqual(['INVALID_TRANSITION']);
    expect(codesOf(await call(CANCEL, { id: fourEyes.id }, await alice()))).toEqual(['INVALID_TRANSITION']);
    await waitFor('the request applied', async () => ((await changeRequest(requestId))?.status === 'APPLIED' ? true : undefined));
  });

  it('keeps a rejected order rejected', async () => {
    const rejected = await create(900_000);
    await waitFor('the four-eyes request opened', () => changeRequest(rejected.changeRequestId!));
    expect((await decide('rejectChange', rejected.changeRequestId!, await bob())).body.data!.rejectChange!.status).toBe('REJECTED');
    await waitFor('the order rejected', async () => ((await statusOf(rejected.id)) === 'REJECTED' ? true : undefined));
    expect(codesOf(await decide('approveChange', rejected.changeRequestId!, await bob()))).toEqual(['INVALID_TRANSITION']);
    for (const mutation of [RECEIVE, CANCEL]) expect(codesOf(await call(mutation, { id: rejected.id }, await alice()))).toEqual(['INVALID_TRANSITION']);
    expect(await statusOf(rejected.id)).toBe('REJECTED');
  });

  it('withdraws the request of an order canceled while it awaited approval', async () => {
    const canceled = await create(650_000);
    await waitFor('the four-eyes request opened', () => changeRequest(canceled.changeRequestId!));
    expect((await ok<{ cancelPurchaseOrder: Order }>(CANCEL, { id: canceled.id })).cancelPurchaseOrder.status).toBe('CANCELED');
    await waitFor('the request withdrawn', async () => ((await changeRequest(canceled.changeRequestId!))?.status === 'WITHDRAWN' ? true : undefined));
    for (const mutation of ['approveChange', 'rejectChange'] as const) expect(codesOf(await decide(mutation, canceled.changeRequestId!, await bob()))).toEqual(['INVALID_TRANSITION']);
    expect(await statusOf(canceled.id)).toBe('CANCELED');
  });

  it('refuses bad input and writes nothing', async () => {
    const count = async () => (await adminQuery<{ n: number }>('SELECT count(*)::int AS n FROM erp.purchase_orders')).at(0)!.n;
    const sequence = async () => (await adminQuery<{ next_number: string }>(`SELECT next_number FROM erp.purchase_order_sequences WHERE issuer = 'CG-US'`)).at(0)!.next_number;
    const [before, numberBefore] = [await count(), await sequence()];
    const bad: Record<string, unknown>[] = [
      { amountMinor: 1200.5 },
      { amountMinor: -100 },
      { amountMinor: 0 },
      { currency: 'XYZ' },
      { tenantId: randomUUID() },
      { tenantId: otherTenantId },
      { supplier: '   ' },
      { description: '' },
    ];
    for (const change of bad) {
      const response = await call(CREATE, { input: { ...order(1000), ...change } }, await alice());
      expect(codesOf(response), JSON.stringify(change)).toEqual(['BAD_USER_INPUT']);
    }
    // A tenant's own admin holds billing:manage, but purchase orders are the platform's.
    const tenantAdmin = await bearer(['tenant_admin'], { tenantId, subject: 'procurement-tenant-admin' });
    expect(codesOf(await call(CREATE, { input: order(1000) }, tenantAdmin))).toEqual(['INSUFFICIENT_SCOPE']);
    expect(await count()).toBe(before);
    expect(await sequence()).toBe(numberBefore);
  });

  it('shows another tenant’s user none of the orders or costs', async () => {
    const outsider = await bearer(['tenant_admin'], { tenantId: otherTenantId, subject: 'procurement-outsider' });
    const foreign = await call<{ tenant: { purchaseOrders: Order[]; costs: unknown[] } | null }>(ORDERS, { id: tenantId }, outsider);
    expect(foreign.body.data?.tenant?.purchaseOrders ?? []).toEqual([]);
    expect(foreign.body.data?.tenant?.costs ?? []).toEqual([]);
    const costs = await call<{ costsByTenant: { tenant: { id: string } }[] }>(
      `query { costsByTenant(from: "${monthStart}", to: "${monthEnd}") { tenant { id } } }`,
      {},
      outsider,
    );
    expect((costs.body.data?.costsByTenant ?? []).filter((row) => row.tenant.id === tenantId)).toEqual([]);
    expect(codesOf(await call(`query { grossMargin(from: "${monthStart}", to: "${monthEnd}") { currency } }`, {}, outsider))).toEqual(['INSUFFICIENT_SCOPE']);
    const [rows] = await adminQuery<{ n: number }>('SELECT count(*)::int AS n FROM erp.purchase_orders WHERE tenant_id = $1', [otherTenantId]);
    expect(rows!.n).toBe(0);
  });

  it('reads costs and gross margin per tenant and partner as computed by hand', async () => {
    // Costs this month: 1,200.00 received + 7,500.00 billed; the canceled, rejected orders are none.
    const cost = 120_000 + 750_000;
    // Revenue this month: the standard plan's 499.00 invoice, open.
    const revenue = 49_900;
    const [invoice] = await adminQuery<{ total_minor: string; status: string }>(`SELECT total_minor, status FROM erp.invoices WHERE tenant_id = $1 AND period_start = $2`, [tenantId, monthStart]);
    expect({ total: Number(invoice!.total_minor), status: invoice!.status }).toEqual({ total: revenue, status: 'open' });

    const own = await ok<{ tenant: { costs: unknown[] } }>(ORDERS, { id: tenantId });
    expect(own.tenant.costs).toEqual([{ currency: 'USD', costMinor: cost, purchaseOrders: 2 }]);
    const all = await ok<{ costsByTenant: { tenant: { id: string }; currency: string; costMinor: number }[] }>(
      `query { costsByTenant(from: "${monthStart}", to: "${monthEnd}") { tenant { id } currency costMinor } }`,
      {},
    );
    expect(all.costsByTenant.filter((row) => row.tenant.id === tenantId)).toEqual([{ tenant: { id: tenantId }, currency: 'USD', costMinor: cost }]);
    // A window that ends before this month's first day holds neither.
    const before = await ok<{ costsByTenant: { tenant: { id: string } }[] }>(`query { costsByTenant(from: "2020-01-01", to: "2020-12-31") { tenant { id } } }`, {});
    expect(before.costsByTenant.filter((row) => row.tenant.id === tenantId)).toEqual([]);

    const MARGIN = `query M($g: MarginGrouping!) { grossMargin(from: "${monthStart}", to: "${monthEnd}", groupBy: $g) { tenant { id } partnerId currency revenueMinor costMinor marginMinor marginShare } }`;
    const byTenant = await ok<{ grossMargin: { tenant: { id: string } | null; marginShare: number }[] }>(MARGIN, { g: 'TENANT' });
    const line = byTenant.grossMargin.find((row) => row.tenant?.id === tenantId);
    expect(line).toMatchObject({ partnerId, currency: 'USD', revenueMinor: revenue, costMinor: cost, marginMinor: revenue - cost });
    expect(line!.marginShare).toBeCloseTo((49_900 - 870_000) / 49_900, 10);
    const byPartner = await ok<{ grossMargin: { tenant: unknown; partnerId: string | null }[] }>(MARGIN, { g: 'PARTNER' });
    expect(byPartner.grossMargin.filter((row) => row.partnerId === partnerId)).toEqual([
      { tenant: null, partnerId, currency: 'USD', revenueMinor: revenue, costMinor: cost, marginMinor: -820_100, marginShare: -820_100 / 49_900 },
    ]);
    expect(codesOf(await call(`query { grossMargin(from: "${monthEnd}", to: "${monthStart}") { currency } }`, {}, await alice()))).toEqual(['BAD_USER_INPUT']);
  });

  it('writes every state into the tenant’s audit chain', async () => {
    const expected = ['purchase_order.approved', 'purchase_order.received', 'purchase_order.canceled', 'purchase_order.pending_approval', 'change.requested', 'change.approved', 'change.applied', 'purchase_order.billed', 'purchase_order.rejected', 'change.rejected', 'change.withdrawn'];
    await waitFor('every state audited', async () => {
      const actions = await auditActions();
      return expected.every((action) => actions.includes(action)) ? actions : undefined;
    });
    const counts = (await auditActions()).reduce<Record<string, number>>((all, action) => ({ ...all, [action]: (all[action] ?? 0) + 1 }), {});
    // Two approved at once and one by four eyes; three orders went to a second admin, one of them withdrawn.
    expect(counts).toMatchObject({ 'purchase_order.approved': 3, 'purchase_order.pending_approval': 3, 'change.requested': 3, 'change.withdrawn': 1, 'purchase_order.canceled': 2, 'purchase_order.received': 2, 'purchase_order.billed': 1 });
  });
});
