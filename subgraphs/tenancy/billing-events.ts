/**
 * The control plane's side of billing (docs/billing.md): erp's subscription changes enter the
 * tenant's audit chain, an invoice unpaid past the dunning policy's suspension stage suspends
 * the tenant for non-payment, and settling the last such invoice resumes a tenant that was
 * suspended for non-payment — never one an operator suspended for another reason.
 */
import { consumerContext, defineConsumer } from '../../lib/events/consumer.js';
import type { QueueDeclaration } from '../../lib/jobs/queues.js';
import type { EventEnvelope } from '../../lib/events/catalog.js';
import type { TenantContext } from '../../lib/tenant-context.js';
import type { Tx } from '../../lib/db/index.js';
import { appendAudit } from './audit.js';
import { applyMove } from './lifecycle.js';

/** The event's producer acts: the audit entry names erp's billing run or the billing user. */
function actingFor(event: EventEnvelope): TenantContext {
  return { ...consumerContext('tenancy', event), principal: { id: event.actor.principalId, kind: event.actor.principalKind } };
}

async function tenantOf(tx: Tx, tenantId: string): Promise<{ status: string; partner_id: string | null } | undefined> {
  const [tenant] = await tx.query<{ status: string; partner_id: string | null }>('SELECT status, partner_id FROM tenants WHERE id = $1', [tenantId]);
  return tenant;
}

/** Why the tenant was last suspended, from its audit chain (null when it never was). */
async function lastSuspensionReason(tx: Tx, tenantId: string): Promise<string | null> {
  const [row] = await tx.query<{ reason: string | null }>(
    `SELECT detail->>'reason' AS reason FROM audit_log
      WHERE chain = $1 AND action = 'tenant.suspended' ORDER BY seq DESC LIMIT 1`,
    [`tenant:${tenantId}`],
  );
  return row?.reason ?? null;
}

/** The consumers, on tenancy's events queue. */
export function billingConsumers(queue: QueueDeclaration) {
  const subscriptionAudit = defineConsumer({
    name: 'subscription-change-audit',
    queue,
    type: 'erp.subscription.changed',
    async handle(event, tx, tools) {
      const tenant = await tenantOf(tx, event.tenantId);
      const { change, effectiveOn, planCode, addons, status, pendingPlanCode, cancelAtPeriodEnd } = event.payload;
      await appendAudit(
        tx,
        tools.deriveKey('audit'),
        actingFor(event),
        {
          owner: { tenantId: event.tenantId, partnerId: tenant?.partner_id ?? null },
          action: `subscription.${change}`,
          target: `tenant:${event.tenantId}`,
          detail: { effectiveOn, planCode, addons, status, pendingPlanCode, cancelAtPeriodEnd },
        },
      );
    },
  });

  const overdue = defineConsumer({
    name: 'overdue-invoice',
    queue,
    type: 'erp.invoice.overdue',
    async handle(event, tx, tools) {
      const tenant = await tenantOf(tx, event.tenantId);
      const { invoiceId, number, stage, dueOn, amountDueMinor, currency } = event.payload;
      await appendAudit(
        tx,
        tools.deriveKey('audit'),
        actingFor(event),
        {
          owner: { tenantId: event.tenantId, partnerId: tenant?.partner_id ?? null },
          action: `invoice.${stage === 'suspend' ? 'suspension-due' : 'past-due'}`,
          target: `invoice:${invoiceId}`,
          detail: { number, dueOn, amountDueMinor, currency },
        },
      );
      // Only an active tenant is suspended: one already suspended, offboarding or still
      // provisioning keeps its status (the audit entry above still records the stage).
      if (stage === 'suspend' && tenant?.status === 'active') await applyMove(tx, tools.deriveKey('audit'), actingFor(event), 'suspendTenant', 'non_payment');
    },
  });

  const settled = defineConsumer({
    name: 'settled-invoice',
    queue,
    type: 'erp.invoice.settled',
    async handle(event, tx, tools) {
      const tenant = await tenantOf(tx, event.tenantId);
      if (event.payload.overdueInvoicesLeft > 0 || tenant?.status !== 'suspended') return;
      if ((await lastSuspensionReason(tx, event.tenantId)) !== 'non_payment') return;
      await applyMove(tx, tools.deriveKey('audit'), actingFor(event), 'resumeTenant', 'non_payment');
    },
  });

  return [subscriptionAudit, overdue, settled];
}
