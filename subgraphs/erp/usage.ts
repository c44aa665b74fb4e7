/**
 * Usage metering: each usage event counts once, by its id, toward its tenant's total for the
 * meter and the UTC month it occurred in. Events arrive from clinical-ops (`clinical-ops.usage.recorded`,
 * consumed by erp's worker) or through `recordUsage` (for usage measured elsewhere, e.g. by a
 * partner's integration); both go through `countUsage`.
 */
import type { Tx } from '../../lib/db/index.js';
import { defineConsumer, type EventConsumer } from '../../lib/events/consumer.js';
import type { QueueDeclaration } from '../../lib/jobs/queues.js';
import { BadUserInputError } from '../../lib/errors.js';
import { isUuid, requireUuid } from '../../lib/ids.js';
import { actingOn, mayActOnTenant } from '../../lib/tenant-context.js';
import { NotFoundError } from '../../lib/errors.js';
import { lockTenantBilling } from './billing.js';
import type { ErpContext } from './subscriptions.js';

export interface UsageEvent {
  eventId: string;
  tenantId: string;
  meter: string;
  quantity: number;
  occurredAt: Date;
}

/**
 * Counts one usage event; answers false when its id was counted before (nothing changes). The
 * billing lock is taken first and the event stamped after it, so an invoice charges exactly the
 * events received before its cutoff (billing.ts).
 */
export async function countUsage(tx: Tx, event: UsageEvent): Promise<boolean> {
  await lockTenantBilling(tx, event.tenantId);
  const inserted = await tx.query(
    `INSERT INTO usage_events (event_id, tenant_id, meter, quantity, occurred_at, received_at) VALUES ($1, $2, $3, $4, $5, clock_timestamp())
     ON CONFLICT (event_id) DO NOTHING RETURNING event_id`,
    [event.eventId, event.tenantId, event.meter, event.quantity, event.occurredAt],
  );
  if (inserted.length === 0) return false;
  await tx.query(
    `INSERT INTO usage_totals (tenant_id, meter, period_start, quantity)
     VALUES ($1, $2, date_trunc('month', $3::timestamptz AT TIME ZONE 'UTC')::date, $4)
     ON CONFLICT (tenant_id, meter, period_start) DO UPDATE SET quantity = usage_totals.quantity + EXCLUDED.quantity`,
    [event.tenantId, event.meter, event.occurredAt, event.quantity],
  );
  return true;
}

/** Clinical-ops' usage events, counted in erp. */
export function usageConsumer(queue: QueueDeclaration): EventConsumer<'clinical-ops.usage.recorded'> {
  return defineConsumer({
    name: 'usage-metering',
    queue,
    type: 'clinical-ops.usage.recorded',
    async handle(event, tx) {
      await countUsage(tx, {
        eventId: event.id,
        tenantId: event.tenantId,
        meter: event.payload.meter,
        quantity: event.payload.quantity,
        occurredAt: new Date(event.payload.occurredAt),
      });
    },
  });
}

interface RecordUsageInput {
  tenantId: string;
  eventId: string;
  meter: string;
  quantity: number;
  occurredAt: string;
}

async function recordUsage(ctx: ErpContext, input: RecordUsageInput) {
  const tenantId = requireUuid(input.tenantId, 'tenantId');
  if (!mayActOnTenant(ctx.tenant, tenantId)) throw new NotFoundError('No such tenant');
  if (!isUuid(input.eventId)) throw new BadUserInputError('eventId must be a UUID (the same id twice is counted once)', { argument: 'eventId' });
  if (!Number.isSafeInteger(input.quantity) || input.quantity < 1) throw new BadUserInputError('quantity must be a whole number of at least 1', { argument: 'quantity' });
  const occurredAt = new Date(input.occurredAt);
  if (typeof input.occurredAt !== 'string' || Number.isNaN(occurredAt.getTime())) throw new BadUserInputError('occurredAt must be an ISO-8601 date-time', { argument: 'occurredAt' });
  if (occurredAt.getTime() > Date.now() + 5 * 60_000) throw new BadUserInputError('occurredAt cannot be in the future', { argument: 'occurredAt' });
  return ctx.db.withTenant(actingOn(ctx.tenant, tenantId), async (tx) => {
    const [meter] = await tx.query('SELECT 1 FROM meters WHERE code = $1', [input.meter]);
    if (!meter) throw new BadUserInputError(`meter: no meter ${input.meter}`, { argument: 'meter' });
    const counted = await countUsage(tx, { eventId: input.eventId.toLowerCase(), tenantId, meter: input.meter, quantity: input.quantity, occurredAt });
    const [total] = await tx.query<{ quantity: string }>(
      `SELECT quantity FROM usage_totals WHERE tenant_id = $1 AND meter = $2 AND period_start = date_trunc('month', $3::timestamptz AT TIME ZONE 'UTC')::date`,
      [tenantId, input.meter, occurredAt],
    );
    return { counted, monthTotal: Number(total?.quantity ?? 0) };
  });
}

export const usageResolvers = {
  Mutation: {
    recordUsage: (_: unknown, args: { input: RecordUsageInput }, ctx: ErpContext) => recordUsage(ctx, args.input),
  },
  Tenant: {
    usage: async (tenant: { id: string }, args: { month?: string | null }, ctx: ErpContext) => {
      if (!mayActOnTenant(ctx.tenant, tenant.id)) return [];
      if (args.month != null && !/^\d{4}-(0[1-9]|1[0-2])$/.test(args.month)) throw new BadUserInputError('month must be written YYYY-MM', { argument: 'month' });
      return ctx.db.withTenant(ctx.tenant, (tx) =>
        tx.query<{ meter: string; month: string; quantity: string; billed_quantity: string }>(
          `SELECT meter, to_char(period_start, 'YYYY-MM') AS month, quantity, billed_quantity FROM usage_totals
            WHERE tenant_id = $1 AND ($2::date IS NULL OR period_start = $2::date) ORDER BY period_start, meter`,
          [tenant.id, args.month ? `${args.month}-01` : null],
        ),
      );
    },
  },
  UsageTotal: {
    quantity: (row: { quantity: string }) => Number(row.quantity),
    billedQuantity: (row: { billed_quantity: string }) => Number(row.billed_quantity),
  },
};
