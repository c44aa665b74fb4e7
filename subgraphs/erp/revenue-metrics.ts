/**
 * Revenue metrics from the subscription history (docs/billing.md, "Revenue metrics"), for any
 * period and any set of tenants: the fleet, a partner's attributed tenants, or a group tenancy
 * names (a segment, a tier) through the federated `FleetGroup` entity.
 *
 * - A tenant's MRR on a day is the monthly price of its plan and add-ons, at the catalog version
 *   in effect that day, when its subscription is billed (ACTIVE or PAST_DUE) at the day's end;
 *   0 while trialing, canceled or expired. A downgrade counts from the day it takes effect.
 * - For a period `from`–`to` (both days included), each tenant moves from its MRR at the end of
 *   the day before `from` (start) to its MRR at the end of `to` (end): new (0 → more), expansion
 *   (up), contraction (down), churned (more → 0). A tenant returning from 0 counts as new.
 * - NRR = (start + expansion − contraction − churned) / start, GRR = (start − contraction −
 *   churned) / start, both over the tenants billed at the start; logo churn = churned tenants /
 *   tenants billed at the start. Null when nobody was billed at the start.
 *
 * Amounts are integers in one currency's minor units: tenants billed in another currency are
 * left out (each currency is asked for separately).
 */
import { TenantForbiddenError, BadUserInputError } from '../../lib/errors.js';
import type { Tx } from '../../lib/db/index.js';
import type { TenantContext } from '../../lib/tenant-context.js';
import { addDays, isIsoDate, type IsoDate } from './billing-math.js';
import { HISTORY_COLUMNS, toHistoryRow, type HistoryRecord } from './billing.js';
import { loadCatalog, type Catalog } from './catalog.js';
import { BILLED_STATUSES, stateAt, type HistoryRow } from './invoice-lines.js';
import type { ErpContext } from './subscriptions.js';

export type MovementKind = 'new' | 'expansion' | 'contraction' | 'churned' | 'unchanged' | 'none';

export interface TenantMovement {
  tenantId: string;
  startMrrMinor: number;
  endMrrMinor: number;
  kind: MovementKind;
}

export interface RevenueSummary {
  from: IsoDate;
  to: IsoDate;
  currency: string;
  startingMrrMinor: number;
  mrrMinor: number;
  arrMinor: number;
  newMrrMinor: number;
  expansionMrrMinor: number;
  contractionMrrMinor: number;
  churnedMrrMinor: number;
  netNewMrrMinor: number;
  tenantsAtStart: number;
  tenantsAtEnd: number;
  newTenants: number;
  churnedTenants: number;
  nrr: number | null;
  grr: number | null;
  logoChurn: number | null;
  movements: TenantMovement[];
}

/** The tenant's MRR at the end of `date`, in its subscription's currency (see the module comment). */
export function mrrOn(history: readonly HistoryRow[], date: IsoDate, catalog: Catalog): { currency: string | null; mrrMinor: number } {
  const state = stateAt(history, date);
  if (!state || !BILLED_STATUSES.has(state.status)) return { currency: state?.currency ?? null, mrrMinor: 0 };
  const version = catalog.versionOn(date);
  const addons = state.addons.reduce((sum, addon) => sum + catalog.addonPrice(addon, version, state.currency), 0);
  return { currency: state.currency, mrrMinor: catalog.planPrice(state.plan, version, state.currency) + addons };
}

function kindOf(start: number, end: number): MovementKind {
  if (start === 0 && end === 0) return 'none';
  if (start === 0) return 'new';
  if (end === 0) return 'churned';
  if (end > start) return 'expansion';
  if (end < start) return 'contraction';
  return 'unchanged';
}

/** Ratios are kept to six decimals: enough for a percentage to two, and stable to compare. */
const ratio = (numerator: number, denominator: number) => (denominator === 0 ? null : Math.round((numerator / denominator) * 1e6) / 1e6);

/** The metrics of a period over the given tenants' histories (pure: the resolvers load the inputs). */
export function revenueSummary(histories: ReadonlyMap<string, readonly HistoryRow[]>, from: IsoDate, to: IsoDate, currency: string, catalog: Catalog): RevenueSummary {
  const dayBefore = addDays(from, -1);
  const movements: TenantMovement[] = [];
  for (const [tenantId, history] of histories) {
    if (history.length === 0 || history[history.length - 1]!.currency !== currency) continue;
    const before = mrrOn(history, dayBefore, catalog);
    const after = mrrOn(history, to, catalog);
    const startMrrMinor = before.currency === currency ? before.mrrMinor : 0;
    const endMrrMinor = after.currency === currency ? after.mrrMinor : 0;
    const kind = kindOf(startMrrMinor, endMrrMinor);
    if (kind !== 'none') movements.push({ tenantId, startMrrMinor, endMrrMinor, kind });
  }
  movements.sort((a, b) => a.tenantId.localeCompare(b.tenantId));
  const sum = (kind: MovementKind, pick: (m: TenantMovement) => number) => movements.filter((m) => m.kind === kind).reduce((total, m) => total + pick(m), 0);
  const startingMrrMinor = movements.reduce((total, m) => total + m.startMrrMinor, 0);
  const mrrMinor = movements.reduce((total, m) => total + m.endMrrMinor, 0);
  const expansionMrrMinor = sum('expansion', (m) => m.endMrrMinor - m.startMrrMinor);
  const contractionMrrMinor = sum('contraction', (m) => m.startMrrMinor - m.endMrrMinor);
  const churnedMrrMinor = sum('churned', (m) => m.startMrrMinor);
  const newMrrMinor = sum('new', (m) => m.endMrrMinor);
  const tenantsAtStart = movements.filter((m) => m.startMrrMinor > 0).length;
  const churnedTenants = movements.filter((m) => m.kind === 'churned').length;
  return {
    from,
    to,
    currency,
    startingMrrMinor,
    mrrMinor,
    arrMinor: 12 * mrrMinor,
    newMrrMinor,
    expansionMrrMinor,
    contractionMrrMinor,
    churnedMrrMinor,
    netNewMrrMinor: mrrMinor - startingMrrMinor,
    tenantsAtStart,
    tenantsAtEnd: movements.filter((m) => m.endMrrMinor > 0).length,
    newTenants: movements.filter((m) => m.kind === 'new').length,
    churnedTenants,
    nrr: ratio(startingMrrMinor + expansionMrrMinor - contractionMrrMinor - churnedMrrMinor, startingMrrMinor),
    grr: ratio(startingMrrMinor - contractionMrrMinor - churnedMrrMinor, startingMrrMinor),
    logoChurn: ratio(churnedTenants, tenantsAtStart),
    movements,
  };
}

/** Every history of the given tenants (all with a subscription when null), in one statement. */
export async function loadHistories(tx: Tx, tenantIds: readonly string[] | null): Promise<Map<string, HistoryRow[]>> {
  const rows = await tx.query<HistoryRecord & { tenant_id: string }>(
    `SELECT tenant_id, ${HISTORY_COLUMNS} FROM subscription_history
      WHERE ($1::uuid[] IS NULL OR tenant_id = ANY($1::uuid[])) ORDER BY tenant_id, effective_on, seq`,
    [tenantIds],
  );
  const histories = new Map<string, HistoryRow[]>();
  for (const row of rows) {
    const history = histories.get(row.tenant_id);
    if (history) history.push(toHistoryRow(row));
    else histories.set(row.tenant_id, [toHistoryRow(row)]);
  }
  return histories;
}

interface PeriodArgs {
  from: string;
  to: string;
  currency?: string | null;
}

function checkPeriod(args: PeriodArgs, catalog: Catalog): { from: IsoDate; to: IsoDate; currency: string } {
  if (!isIsoDate(args.from)) throw new BadUserInputError('from must be a date, YYYY-MM-DD', { argument: 'from' });
  if (!isIsoDate(args.to)) throw new BadUserInputError('to must be a date, YYYY-MM-DD', { argument: 'to' });
  if (args.to < args.from) throw new BadUserInputError('to must not be before from', { argument: 'to' });
  const currency = args.currency ?? 'USD';
  if (!catalog.isCurrency(currency)) throw new BadUserInputError(`No currency ${currency} is billed`, { argument: 'currency' });
  return { from: args.from, to: args.to, currency };
}

/** Revenue metrics read the whole fleet's subscriptions: platform staff only. */
function requirePlatformLevel(tenant: TenantContext): void {
  if (tenant.access !== 'platform') throw new TenantForbiddenError('Revenue metrics are read at platform level (platform staff)');
}

async function summarise(ctx: ErpContext, args: PeriodArgs, tenantIds: (tx: Tx) => Promise<readonly string[] | null>): Promise<RevenueSummary> {
  requirePlatformLevel(ctx.tenant);
  return ctx.db.withTenant(ctx.tenant, async (tx) => {
    const catalog = await loadCatalog(tx);
    const period = checkPeriod(args, catalog);
    const histories = await loadHistories(tx, await tenantIds(tx));
    return revenueSummary(histories, period.from, period.to, period.currency, catalog);
  });
}

const toGraph = (summary: RevenueSummary) => ({
  ...summary,
  movements: summary.movements.map((m) => ({ ...m, kind: m.kind.toUpperCase(), tenant: { __typename: 'Tenant', id: m.tenantId } })),
});

export const revenueMetricResolvers = {
  Query: {
    async revenueMetrics(_: unknown, args: PeriodArgs & { partnerId?: string | null }, ctx: ErpContext) {
      return toGraph(
        await summarise(ctx, args, async (tx) => {
          if (!args.partnerId) return null;
          const rows = await tx.query<{ tenant_id: string }>('SELECT tenant_id FROM partner_attributions WHERE partner_id = $1', [args.partnerId]);
          return rows.map((row) => row.tenant_id);
        }),
      );
    },
    async revenueByPartner(_: unknown, args: PeriodArgs, ctx: ErpContext) {
      requirePlatformLevel(ctx.tenant);
      return ctx.db.withTenant(ctx.tenant, async (tx) => {
        const catalog = await loadCatalog(tx);
        const period = checkPeriod(args, catalog);
        const attributions = await tx.query<{ partner_id: string; tenant_ids: string[] }>(
          'SELECT partner_id, array_agg(tenant_id ORDER BY tenant_id) AS tenant_ids FROM partner_attributions GROUP BY partner_id ORDER BY partner_id',
        );
        const histories = await loadHistories(tx, null);
        return attributions.map((row) => ({
          partner: { __typename: 'Partner', id: row.partner_id },
          metrics: toGraph(
            revenueSummary(new Map(row.tenant_ids.filter((id) => histories.has(id)).map((id) => [id, histories.get(id)!])), period.from, period.to, period.currency, catalog),
          ),
        }));
      });
    },
  },
  FleetGroup: {
    async revenue(group: { tenantIds: string[] }, args: PeriodArgs, ctx: ErpContext) {
      return toGraph(await summarise(ctx, args, async () => group.tenantIds));
    },
  },
};
