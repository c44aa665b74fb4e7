/**
 * Procurement for implementation work (docs/procurement.md): purchase orders for implementation
 * services and third-party connector licences bought for a tenant.
 *
 *   createPurchaseOrder ─► APPROVED (at or below the currency's threshold)
 *                       └► PENDING_APPROVAL ─approveChange (another platform admin)─► APPROVED
 *                                          └─rejectChange─► REJECTED
 *   APPROVED ─receivePurchaseOrder─► RECEIVED ─markPurchaseOrderBilled─► BILLED
 *   PENDING_APPROVAL | APPROVED ─cancelPurchaseOrder─► CANCELED
 *
 * Above the threshold the order names a four-eyes change request it asks tenancy to open
 * (setting `purchase_order`, subgraphs/tenancy/procurement-events.ts); the decision's event comes
 * back to erp's worker (the consumers below). Every state is an `erp.purchase-order.changed`
 * event, which tenancy writes into the tenant's audit chain. A refused call writes nothing.
 */
import { randomUUID } from 'node:crypto';
import type { Tx } from '../../lib/db/index.js';
import { BadUserInputError, InsufficientScopeError, InvalidTransitionError, NotFoundError } from '../../lib/errors.js';
import { consumerContext, defineConsumer } from '../../lib/events/consumer.js';
import { publishEvent } from '../../lib/events/outbox.js';
import { isUuid, requireUuid } from '../../lib/ids.js';
import type { QueueDeclaration } from '../../lib/jobs/queues.js';
import { actingOn, mayActOnTenant, type TenantContext } from '../../lib/tenant-context.js';
import { isIsoDate, type IsoDate } from './billing-math.js';
import { effectiveDate } from './subscription-changes.js';
import type { ErpContext } from './subscriptions.js';

export const PURCHASE_ORDER_CATEGORIES = ['implementation_services', 'connector_licence'] as const;
export type PurchaseOrderCategory = (typeof PURCHASE_ORDER_CATEGORIES)[number];

/** Received and billed orders are costs; the others are not (yet, or ever). */
export const COST_STATUSES = ['received', 'billed'] as const;

export interface PurchaseOrderRow {
  id: string;
  tenant_id: string;
  number: string;
  issuer: string;
  category: PurchaseOrderCategory;
  supplier: string;
  description: string;
  amount_minor: string;
  currency: string;
  status: string;
  change_request_id: string | null;
  requested_by: string;
  created_at: Date;
  submitted_at: Date | null;
  approved_at: Date | null;
  approved_by: string | null;
  received_on: string | null;
  received_at: Date | null;
  billed_at: Date | null;
  supplier_invoice_ref: string | null;
  rejected_at: Date | null;
  canceled_at: Date | null;
}

const COLUMNS = `id, tenant_id, number, issuer, category, supplier, description, amount_minor, currency, status, change_request_id, requested_by,
  created_at, submitted_at, approved_at, approved_by, received_on::text, received_at, billed_at, supplier_invoice_ref, rejected_at, canceled_at`;

/** One tenant's received-or-billed purchase-order costs in one currency. */
export interface TenantCost {
  tenantId: string;
  currency: string;
  costMinor: number;
  purchaseOrders: number;
}

/**
 * Costs per tenant and currency: the amounts of purchase orders RECEIVED or BILLED whose receipt
 * date falls in [from, to] (both included), in minor units. Reads what `tx` may see: every
 * tenant at platform level, the bound tenant's only otherwise.
 */
export async function costsByTenant(tx: Tx, from: IsoDate, to: IsoDate, tenantIds: readonly string[] | null = null): Promise<TenantCost[]> {
  const rows = await tx.query<{ tenant_id: string; currency: string; cost_minor: string; orders: number }>(
    `SELECT tenant_id, currency, sum(amount_minor) AS cost_minor, count(*)::int AS orders
       FROM purchase_orders
      WHERE status = ANY($3::text[]) AND received_on BETWEEN $1::date AND $2::date AND ($4::uuid[] IS NULL OR tenant_id = ANY($4::uuid[]))
      GROUP BY tenant_id, currency ORDER BY tenant_id, currency`,
    [from, to, COST_STATUSES, tenantIds],
  );
  return rows.map((row) => ({ tenantId: row.tenant_id, currency: row.currency, costMinor: Number(row.cost_minor), purchaseOrders: row.orders }));
}

/** A `[from, to]` window of dates, checked: both real dates, `from` not after `to`. */
export function dateWindow(from: unknown, to: unknown): { from: IsoDate; to: IsoDate } {
  if (!isIsoDate(from)) throw new BadUserInputError('from must be a date written YYYY-MM-DD', { argument: 'from' });
  if (!isIsoDate(to)) throw new BadUserInputError('to must be a date written YYYY-MM-DD', { argument: 'to' });
  if (from > to) throw new BadUserInputError('from must not be after to', { argument: 'from' });
  return { from, to };
}

/**
 * Purchase orders are the platform's purchases: created and moved at platform level by a
 * holder of `billing:manage` (a platform admin), never by a tenant's own users.
 */
function requireProcurementManager(context: TenantContext): void {
  if (context.access !== 'platform' || !context.scopes.includes('billing:manage')) {
    throw new InsufficientScopeError('Only platform billing managers (billing:manage at platform level) manage purchase orders');
  }
}

function requiredText(value: unknown, argument: string, max: number): string {
  const trimmed = typeof value === 'string' ? value.trim() : '';
  if (!trimmed) throw new BadUserInputError(`${argument} is required (1–${max} characters)`, { argument });
  if (trimmed.length > max) throw new BadUserInputError(`${argument} must be at most ${max} characters`, { argument });
  return trimmed;
}

async function publishChange(tx: Tx, context: TenantContext, row: PurchaseOrderRow): Promise<void> {
  await publishEvent(tx, 'erp.purchase-order.changed', { ...context, access: 'tenant', tenantId: row.tenant_id }, {
    purchaseOrderId: row.id,
    number: row.number,
    category: row.category,
    amountMinor: Number(row.amount_minor),
    currency: row.currency,
    status: row.status as 'approved',
    changeRequestId: row.change_request_id,
  });
}

interface CreateInput {
  tenantId: string;
  category: string;
  supplier: string;
  description: string;
  amountMinor: number;
  currency: string;
}

async function createPurchaseOrder(ctx: ErpContext, input: CreateInput): Promise<PurchaseOrderRow> {
  requireProcurementManager(ctx.tenant);
  const tenantId = requireUuid(input.tenantId, 'input.tenantId');
  const category = String(input.category ?? '').toLowerCase();
  if (!(PURCHASE_ORDER_CATEGORIES as readonly string[]).includes(category)) {
    throw new BadUserInputError(`input.category must be one of ${PURCHASE_ORDER_CATEGORIES.join(', ')}`, { argument: 'input.category' });
  }
  const supplier = requiredText(input.supplier, 'input.supplier', 200);
  const description = requiredText(input.description, 'input.description', 500);
  if (!Number.isSafeInteger(input.amountMinor) || input.amountMinor <= 0) {
    throw new BadUserInputError('input.amountMinor must be a whole, positive number of minor units', { argument: 'input.amountMinor' });
  }
  const acting = actingOn(ctx.tenant, tenantId);
  return ctx.db.withTenant(acting, async (tx) => {
    const [currency] = await tx.query<{ issuer: string; four_eyes_above_minor: string }>(
      `SELECT c.issuer, t.four_eyes_above_minor FROM currencies c JOIN procurement_thresholds t ON t.currency = c.code WHERE c.code = $1`,
      [input.currency],
    );
    if (!currency) throw new BadUserInputError(`input.currency: ${String(input.currency)} is not a currency the platform buys in`, { argument: 'input.currency' });
    // A tenant erp knows commercially: it holds the tenant's contract (provisioning's commercial step, or startSubscription).
    const [known] = await tx.query('SELECT 1 FROM contracts WHERE tenant_id = $1', [tenantId]);
    if (!known) throw new BadUserInputError('input.tenantId: erp holds no contract for this tenant', { argument: 'input.tenantId' });
    const fourEyes = input.amountMinor > Number(currency.four_eyes_above_minor);
    const [row] = await tx.query<PurchaseOrderRow>(
      `INSERT INTO purchase_orders (id, tenant_id, number, issuer, category, supplier, description, amount_minor, currency, status, change_request_id,
                                    requested_by, submitted_at, approved_at, approved_by)
       VALUES ($1, $2, next_purchase_order_number($3), $3, $4, $5, $6, $7, $8, $9, $10, $11, now(), CASE WHEN $12 THEN NULL ELSE now() END, CASE WHEN $12 THEN NULL ELSE $11 END)
       RETURNING ${COLUMNS}`,
      [
        randomUUID(),
        tenantId,
        currency.issuer,
        category,
        supplier,
        description,
        input.amountMinor,
        input.currency,
        fourEyes ? 'pending_approval' : 'approved',
        fourEyes ? randomUUID() : null,
        ctx.tenant.principal.id,
        fourEyes,
      ],
    );
    await publishChange(tx, acting, row!);
    return row!;
  });
}

/** Moves the order `id` by `move` in one transaction bound to its tenant, or refuses with INVALID_TRANSITION. */
async function movePurchaseOrder(
  ctx: ErpContext,
  id: unknown,
  allowed: readonly string[],
  to: string,
  move: (tx: Tx, row: PurchaseOrderRow) => Promise<PurchaseOrderRow>,
): Promise<PurchaseOrderRow> {
  requireProcurementManager(ctx.tenant);
  const orderId = requireUuid(id, 'id');
  const [found] = await ctx.db.withTenant(ctx.tenant, (tx) => tx.query<{ tenant_id: string }>('SELECT tenant_id FROM purchase_orders WHERE id = $1', [orderId]));
  if (!found) throw new NotFoundError('No such purchase order');
  const acting = actingOn(ctx.tenant, found.tenant_id);
  return ctx.db.withTenant(acting, async (tx) => {
    const [row] = await tx.query<PurchaseOrderRow>(`SELECT ${COLUMNS} FROM purchase_orders WHERE id = $1 FOR UPDATE`, [orderId]);
    if (!allowed.includes(row!.status)) {
      throw new InvalidTransitionError(`The purchase order is ${row!.status}; it cannot become ${to}`, { from: row!.status.toUpperCase(), to: to.toUpperCase() });
    }
    const moved = await move(tx, row!);
    await publishChange(tx, acting, moved);
    return moved;
  });
}

async function receivePurchaseOrder(ctx: ErpContext, args: { id: string; receivedOn?: string | null }) {
  const receivedOn = effectiveDate(args.receivedOn, 'receivedOn');
  return movePurchaseOrder(ctx, args.id, ['approved'], 'received', async (tx, row) => {
    const approvedOn = row.approved_at!.toISOString().slice(0, 10);
    if (receivedOn < approvedOn) throw new BadUserInputError(`receivedOn must be on or after the day the order was approved (${approvedOn})`, { argument: 'receivedOn' });
    const [moved] = await tx.query<PurchaseOrderRow>(
      `UPDATE purchase_orders SET status = 'received', received_on = $2, received_at = now() WHERE id = $1 RETURNING ${COLUMNS}`,
      [row.id, receivedOn],
    );
    return moved!;
  });
}

async function markPurchaseOrderBilled(ctx: ErpContext, args: { id: string; supplierInvoiceRef?: string | null }) {
  const reference = args.supplierInvoiceRef == null ? null : requiredText(args.supplierInvoiceRef, 'supplierInvoiceRef', 100);
  return movePurchaseOrder(ctx, args.id, ['received'], 'billed', async (tx, row) => {
    const [moved] = await tx.query<PurchaseOrderRow>(
      `UPDATE purchase_orders SET status = 'billed', billed_at = now(), supplier_invoice_ref = $2 WHERE id = $1 RETURNING ${COLUMNS}`,
      [row.id, reference],
    );
    return moved!;
  });
}

async function cancelPurchaseOrder(ctx: ErpContext, args: { id: string }) {
  return movePurchaseOrder(ctx, args.id, ['draft', 'pending_approval', 'approved'], 'canceled', async (tx, row) => {
    const [moved] = await tx.query<PurchaseOrderRow>(`UPDATE purchase_orders SET status = 'canceled', canceled_at = now() WHERE id = $1 RETURNING ${COLUMNS}`, [row.id]);
    return moved!;
  });
}

/**
 * The four-eyes decision, from tenancy's event, in a transaction bound to the order's tenant:
 * an order still PENDING_APPROVAL moves to APPROVED or REJECTED, as the decider's act. An order
 * canceled meanwhile, or a request of another setting, is left alone; redelivery changes nothing.
 */
export function procurementConsumers(queue: QueueDeclaration) {
  const decided = (name: string, type: 'tenancy.change-request.approved' | 'tenancy.change-request.rejected', status: 'approved' | 'rejected') =>
    defineConsumer({
      name,
      queue,
      type,
      async handle(event, tx) {
        if (event.payload.setting !== 'purchase_order') return;
        const decider = event.actor.principalId;
        const [row] =
          status === 'approved'
            ? await tx.query<PurchaseOrderRow>(
                `UPDATE purchase_orders SET status = 'approved', approved_at = now(), approved_by = $2
                  WHERE change_request_id = $1 AND status = 'pending_approval' RETURNING ${COLUMNS}`,
                [event.payload.changeRequestId, decider],
              )
            : await tx.query<PurchaseOrderRow>(
                `UPDATE purchase_orders SET status = 'rejected', rejected_at = now() WHERE change_request_id = $1 AND status = 'pending_approval' RETURNING ${COLUMNS}`,
                [event.payload.changeRequestId],
              );
        if (!row) return;
        await publishChange(tx, { ...consumerContext('erp', event), principal: { id: decider, kind: event.actor.principalKind } }, row);
      },
    });
  return [decided('purchase-order-approval', 'tenancy.change-request.approved', 'approved'), decided('purchase-order-rejection', 'tenancy.change-request.rejected', 'rejected')];
}

const iso = (value: Date | null) => value?.toISOString() ?? null;

export const procurementResolvers = {
  Mutation: {
    createPurchaseOrder: (_: unknown, args: { input: CreateInput }, ctx: ErpContext) => createPurchaseOrder(ctx, args.input),
    receivePurchaseOrder: (_: unknown, args: { id: string; receivedOn?: string | null }, ctx: ErpContext) => receivePurchaseOrder(ctx, args),
    markPurchaseOrderBilled: (_: unknown, args: { id: string; supplierInvoiceRef?: string | null }, ctx: ErpContext) => markPurchaseOrderBilled(ctx, args),
    cancelPurchaseOrder: (_: unknown, args: { id: string }, ctx: ErpContext) => cancelPurchaseOrder(ctx, args),
  },
  Query: {
    costsByTenant: async (_: unknown, args: { from: string; to: string }, ctx: ErpContext) => {
      const { from, to } = dateWindow(args.from, args.to);
      return ctx.db.withTenant(ctx.tenant, (tx) => costsByTenant(tx, from, to));
    },
  },
  Tenant: {
    purchaseOrders: async (tenant: { id: string }, args: { status?: string | null; first?: number | null }, ctx: ErpContext) => {
      if (!isUuid(tenant.id) || !mayActOnTenant(ctx.tenant, tenant.id)) return [];
      const first = args.first ?? 50;
      if (!Number.isInteger(first) || first < 1 || first > 200) throw new BadUserInputError('first must be 1–200', { argument: 'first' });
      return ctx.db.withTenant(ctx.tenant, (tx) =>
        tx.query<PurchaseOrderRow>(
          `SELECT ${COLUMNS} FROM purchase_orders WHERE tenant_id = $1 AND ($2::text IS NULL OR status = $2) ORDER BY created_at DESC, number DESC LIMIT ${first}`,
          [tenant.id, args.status?.toLowerCase() ?? null],
        ),
      );
    },
    costs: async (tenant: { id: string }, args: { from: string; to: string }, ctx: ErpContext) => {
      const { from, to } = dateWindow(args.from, args.to);
      if (!isUuid(tenant.id) || !mayActOnTenant(ctx.tenant, tenant.id)) return [];
      return ctx.db.withTenant(ctx.tenant, (tx) => costsByTenant(tx, from, to, [tenant.id]));
    },
  },
  TenantCost: {
    tenant: (row: TenantCost) => ({ __typename: 'Tenant', id: row.tenantId }),
  },
  PurchaseOrder: {
    tenant: (row: PurchaseOrderRow) => ({ __typename: 'Tenant', id: row.tenant_id }),
    category: (row: PurchaseOrderRow) => row.category.toUpperCase(),
    status: (row: PurchaseOrderRow) => row.status.toUpperCase(),
    amountMinor: (row: PurchaseOrderRow) => Number(row.amount_minor),
    requiresFourEyes: (row: PurchaseOrderRow) => row.change_request_id !== null,
    changeRequestId: (row: PurchaseOrderRow) => row.change_request_id,
    requestedBy: (row: PurchaseOrderRow) => row.requested_by,
    createdAt: (row: PurchaseOrderRow) => row.created_at.toISOString(),
    submittedAt: (row: PurchaseOrderRow) => iso(row.submitted_at),
    approvedAt: (row: PurchaseOrderRow) => iso(row.approved_at),
    approvedBy: (row: PurchaseOrderRow) => row.approved_by,
    receivedOn: (row: PurchaseOrderRow) => row.received_on,
    billedAt: (row: PurchaseOrderRow) => iso(row.billed_at),
    supplierInvoiceRef: (row: PurchaseOrderRow) => row.supplier_invoice_ref,
    rejectedAt: (row: PurchaseOrderRow) => iso(row.rejected_at),
    canceledAt: (row: PurchaseOrderRow) => iso(row.canceled_at),
  },
};
