/**
 * The control plane's side of procurement (docs/procurement.md): every state of erp's purchase
 * orders enters the tenant's audit chain, and an order above its currency's threshold becomes a
 * four-eyes change request of the governed setting `purchase_order` (governance.ts). A second,
 * different platform admin approves or rejects it with approveChange / rejectChange; the
 * decision's event (`tenancy.change-request.approved` / `.rejected`) moves the order in erp.
 * Applying an approved `purchase_order` request writes nothing in tenancy: the order is erp's.
 */
import { z } from 'zod';
import type { Tx } from '../../lib/db/index.js';
import { defineConsumer } from '../../lib/events/consumer.js';
import type { QueueDeclaration } from '../../lib/jobs/queues.js';
import type { JobDefinition, JobRun } from '../../lib/jobs/worker.js';
import { appendAudit } from './audit.js';
import { domainOwnedSetting, domainRequestQueue, openDomainRequest, type DomainRequest } from './domain-requests.js';

/** How long a purchase order's request stays open for a decision (the longest a change request may). */
const REQUEST_HOURS = 720;

/** The request's value: which order, and what the approver is asked to approve. */
const purchaseOrderValue = z
  .object({
    purchaseOrderId: z.uuid(),
    number: z.string(),
    category: z.enum(['implementation_services', 'connector_licence']),
    amountMinor: z.number().int().min(1),
    currency: z.string().regex(/^[A-Z]{3}$/),
  })
  .strict();

/**
 * The governed setting `purchase_order`: its requests are opened by erp's createPurchaseOrder
 * (through the job below), never by requestChange, and applying one only marks it applied.
 */
export const purchaseOrderSetting = domainOwnedSetting('purchase_order', 'createPurchaseOrder (erp)');

type OpenRequest = DomainRequest & { value: z.infer<typeof purchaseOrderValue> };

/** Opens the change request at platform level (change requests are written by the platform only). */
export const openPurchaseOrderRequestQueue = domainRequestQueue('tenancy.open-purchase-order-request');

/** The request with erp's id, once however often the job runs. */
function openRequest(tx: Tx, key: Buffer, data: OpenRequest): Promise<void> {
  const value = purchaseOrderValue.parse(data.value);
  const justification = `Purchase order ${value.number}: ${value.category}, ${value.amountMinor} ${value.currency} minor units, above the four-eyes threshold`;
  return openDomainRequest(tx, key, { ...data, setting: 'purchase_order', value, justification, hours: REQUEST_HOURS });
}

export const openPurchaseOrderRequestJob: JobDefinition = {
  queue: openPurchaseOrderRequestQueue,
  handle: (job: JobRun<OpenRequest>, tx) => openRequest(tx, job.deriveKey('audit'), job.data),
};

interface WithdrawRequest {
  changeRequestId: string;
  tenantId: string;
  withdrawnBy: DomainRequest['requestedBy'];
  requestId: string;
}

/** Withdraws the request of an order canceled in erp, at platform level like the opening. */
export const withdrawPurchaseOrderRequestQueue = domainRequestQueue('tenancy.withdraw-purchase-order-request');

/**
 * An order canceled while its request is pending withdraws the request, as the canceller's act.
 * A request already decided (or expired) is left as it is. One not opened yet (its job has not
 * run) is waited for: the job fails and is retried until the request exists.
 */
async function withdrawRequest(tx: Tx, key: Buffer, data: WithdrawRequest): Promise<void> {
  const [request] = await tx.query<{ status: string; expired: boolean }>('SELECT status, expires_at <= now() AS expired FROM change_requests WHERE id = $1 FOR UPDATE', [
    data.changeRequestId,
  ]);
  if (!request) throw new Error(`change request ${data.changeRequestId} of a canceled purchase order is not open yet`);
  if (request.status !== 'pending' || request.expired) return;
  const [tenant] = await tx.query<{ partner_id: string | null }>('SELECT partner_id FROM tenants WHERE id = $1', [data.tenantId]);
  await tx.query(`UPDATE change_requests SET status = 'withdrawn', decided_by = $2, decided_at = now(), decision_note = 'the purchase order was canceled' WHERE id = $1`, [
    data.changeRequestId,
    data.withdrawnBy.id,
  ]);
  await appendAudit(
    tx,
    key,
    { principal: data.withdrawnBy, roles: [], requestId: data.requestId },
    {
      owner: { tenantId: data.tenantId, partnerId: tenant?.partner_id ?? null },
      action: 'change.withdrawn',
      target: `change_request:${data.changeRequestId}`,
      detail: { setting: 'purchase_order' },
    },
  );
}

export const withdrawPurchaseOrderRequestJob: JobDefinition = {
  queue: withdrawPurchaseOrderRequestQueue,
  handle: (job: JobRun<WithdrawRequest>, tx) => withdrawRequest(tx, job.deriveKey('audit'), job.data),
};

/** The consumer, on tenancy's events queue. */
export function procurementConsumers(queue: QueueDeclaration) {
  const audit = defineConsumer({
    name: 'purchase-order-audit',
    queue,
    type: 'erp.purchase-order.changed',
    async handle(event, tx, tools) {
      const { purchaseOrderId, number, category, amountMinor, currency, status, changeRequestId } = event.payload;
      const [tenant] = await tx.query<{ partner_id: string | null }>('SELECT partner_id FROM tenants WHERE id = $1', [event.tenantId]);
      const principal = { id: event.actor.principalId, kind: event.actor.principalKind };
      await appendAudit(
        tx,
        tools.deriveKey('audit'),
        { principal, roles: [], requestId: event.actor.requestId },
        {
          owner: { tenantId: event.tenantId, partnerId: tenant?.partner_id ?? null },
          action: `purchase_order.${status}`,
          target: `purchase_order:${purchaseOrderId}`,
          detail: { number, category, amountMinor, currency, ...(changeRequestId ? { changeRequestId } : {}) },
        },
      );
      if (status === 'canceled' && changeRequestId) {
        const data: WithdrawRequest = { changeRequestId, tenantId: event.tenantId, withdrawnBy: principal, requestId: event.actor.requestId };
        await tools.enqueue(withdrawPurchaseOrderRequestQueue, data, { platform: true });
      }
      if (status === 'pending_approval' && changeRequestId) {
        const data: OpenRequest = {
          changeRequestId,
          tenantId: event.tenantId,
          requestedBy: principal,
          requestId: event.actor.requestId,
          value: { purchaseOrderId, number, category, amountMinor, currency },
        };
        await tools.enqueue(openPurchaseOrderRequestQueue, data, { platform: true });
      }
    },
  });
  return [audit];
}
