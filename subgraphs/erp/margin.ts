/**
 * Gross margin per tenant or partner (docs/procurement.md): revenue, the totals of the tenant's
 * invoices OPEN or PAID whose service period starts in the window, minus costs, its purchase
 * orders RECEIVED or BILLED with their receipt in the window (procurement.ts) — per currency,
 * never converted. The platform's own figures: read at platform level only.
 */
import type { Tx } from '../../lib/db/index.js';
import { InsufficientScopeError } from '../../lib/errors.js';
import type { IsoDate } from './billing-math.js';
import { costsByTenant, dateWindow } from './procurement.js';
import type { ErpContext } from './subscriptions.js';

/** Invoices that count as revenue: issued and not voided. */
export const REVENUE_STATUSES = ['open', 'paid'] as const;

export interface MarginLine {
  tenantId: string | null;
  partnerId: string | null;
  currency: string;
  revenueMinor: number;
  costMinor: number;
  marginMinor: number;
  /** Margin over revenue; null without revenue. */
  marginShare: number | null;
}

/** Revenue per tenant and currency in [from, to], by invoice period start. */
export async function revenueByTenant(tx: Tx, from: IsoDate, to: IsoDate): Promise<{ tenantId: string; currency: string; revenueMinor: number }[]> {
  const rows = await tx.query<{ tenant_id: string; currency: string; revenue_minor: string }>(
    `SELECT tenant_id, currency, sum(total_minor) AS revenue_minor FROM invoices
      WHERE status = ANY($3::text[]) AND period_start BETWEEN $1::date AND $2::date
      GROUP BY tenant_id, currency`,
    [from, to, REVENUE_STATUSES],
  );
  return rows.map((row) => ({ tenantId: row.tenant_id, currency: row.currency, revenueMinor: Number(row.revenue_minor) }));
}

/** Per tenant and currency: what `combineMargin` sums. */
export interface TenantAmount {
  tenantId: string;
  currency: string;
  amountMinor: number;
}

/**
 * Revenue less costs per tenant (or per partner: the tenants `partnerOf` attributes to it, those
 * without one on the `partnerId` null line) and currency; `marginShare` is margin over revenue,
 * null without revenue. Sorted by tenant (or partner) and currency.
 */
export function combineMargin(
  revenue: readonly TenantAmount[],
  costs: readonly TenantAmount[],
  partnerOf: ReadonlyMap<string, string>,
  groupBy: 'tenant' | 'partner',
): MarginLine[] {
  const lines = new Map<string, MarginLine>();
  const lineOf = (tenantId: string, currency: string): MarginLine => {
    const partnerId = partnerOf.get(tenantId) ?? null;
    const key = `${groupBy === 'tenant' ? tenantId : (partnerId ?? '-')}|${currency}`;
    let line = lines.get(key);
    if (!line) {
      line = { tenantId: groupBy === 'tenant' ? tenantId : null, partnerId, currency, revenueMinor: 0, costMinor: 0, marginMinor: 0, marginShare: null };
      lines.set(key, line);
    }
    return line;
  };
  for (const row of revenue) lineOf(row.tenantId, row.currency).revenueMinor += row.amountMinor;
  for (const row of costs) lineOf(row.tenantId, row.currency).costMinor += row.amountMinor;
  return [...lines.values()]
    .map((line) => {
      const marginMinor = line.revenueMinor - line.costMinor;
      return { ...line, marginMinor, marginShare: line.revenueMinor > 0 ? marginMinor / line.revenueMinor : null };
    })
    .sort((a, b) => (a.tenantId ?? a.partnerId ?? '').localeCompare(b.tenantId ?? b.partnerId ?? '') || a.currency.localeCompare(b.currency));
}

/** Revenue, costs and margin per tenant or partner and currency over [from, to], as `tx` may see them. */
export async function grossMargin(tx: Tx, from: IsoDate, to: IsoDate, groupBy: 'tenant' | 'partner'): Promise<MarginLine[]> {
  const revenue = await revenueByTenant(tx, from, to);
  const costs = await costsByTenant(tx, from, to);
  const attributions = await tx.query<{ tenant_id: string; partner_id: string }>('SELECT tenant_id, partner_id FROM partner_attributions');
  return combineMargin(
    revenue.map((row) => ({ tenantId: row.tenantId, currency: row.currency, amountMinor: row.revenueMinor })),
    costs.map((row) => ({ tenantId: row.tenantId, currency: row.currency, amountMinor: row.costMinor })),
    new Map(attributions.map((row) => [row.tenant_id, row.partner_id])),
    groupBy,
  );
}

export const marginResolvers = {
  Query: {
    grossMargin: async (_: unknown, args: { from: string; to: string; groupBy: 'TENANT' | 'PARTNER' }, ctx: ErpContext) => {
      const { from, to } = dateWindow(args.from, args.to);
      if (ctx.tenant.access !== 'platform') throw new InsufficientScopeError('Gross margin is read at platform level only');
      return ctx.db.withTenant(ctx.tenant, (tx) => grossMargin(tx, from, to, args.groupBy === 'PARTNER' ? 'partner' : 'tenant'));
    },
  },
  GrossMargin: {
    tenant: (line: MarginLine) => (line.tenantId ? { __typename: 'Tenant', id: line.tenantId } : null),
  },
};
