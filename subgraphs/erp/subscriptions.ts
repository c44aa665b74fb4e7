/** Subscriptions and the plan catalog. A subscription is loaded with its plan in one statement. */
import type { Database, Tx } from '../../lib/db/index.js';
import { isUuid } from '../../lib/ids.js';
import { rowLoader } from '../../lib/loaders.js';
import type { SubgraphContext } from '../../lib/subgraph/index.js';
import { mayActOnTenant, type TenantContext } from '../../lib/tenant-context.js';

export interface PlanRow {
  code: string;
  name: string;
  features: string[];
  limits: Record<string, number>;
  monthly_price_minor: string;
  currency: string;
}

export interface SubscriptionRow {
  id: string;
  tenant_id: string;
  status: string;
  started_at: Date;
  plan: PlanRow;
}

/** Subscriptions that produce revenue (a trial does not). */
const BILLABLE_STATUSES = new Set(['active', 'past_due']);
/** Subscriptions whose plan features the tenant holds. */
export const ENTITLING_STATUSES = new Set(['trialing', 'active', 'past_due']);

const PLAN_COLUMNS = 'p.code, p.name, p.features, p.limits, p.monthly_price_minor, p.currency';

export async function fetchSubscriptionsByTenant(tx: Tx, tenantIds: readonly string[]): Promise<SubscriptionRow[]> {
  const valid = tenantIds.filter(isUuid);
  if (valid.length === 0) return [];
  return tx.query<SubscriptionRow>(
    `SELECT s.id, s.tenant_id, s.status, s.started_at, row_to_json(p.*) AS plan
       FROM subscriptions s JOIN plans p ON p.code = s.plan_code
      WHERE s.tenant_id = ANY($1::uuid[])`,
    [valid],
  );
}

export async function fetchPlans(tx: Tx): Promise<PlanRow[]> {
  return tx.query<PlanRow>(`SELECT ${PLAN_COLUMNS} FROM plans p ORDER BY p.monthly_price_minor`);
}

export function createErpLoaders(db: Database, tenant: TenantContext) {
  return {
    subscriptionByTenant: rowLoader(db, tenant, fetchSubscriptionsByTenant, (row) => row.tenant_id),
  };
}

export type ErpContext = SubgraphContext<ReturnType<typeof createErpLoaders>>;

export const subscriptionResolvers = {
  Query: {
    plans: (_: unknown, __: unknown, ctx: ErpContext) => ctx.db.withTenant(ctx.tenant, fetchPlans),
  },
  Tenant: {
    subscription: (tenant: { id: string }, _: unknown, ctx: ErpContext) =>
      mayActOnTenant(ctx.tenant, tenant.id) ? ctx.loaders.subscriptionByTenant.load(tenant.id) : null,
    billingInsights: async (tenant: { id: string }, _: unknown, ctx: ErpContext) => {
      if (!mayActOnTenant(ctx.tenant, tenant.id)) return null;
      const subscription = await ctx.loaders.subscriptionByTenant.load(tenant.id);
      if (!subscription) return null;
      const billable = BILLABLE_STATUSES.has(subscription.status);
      return {
        tenureDays: Math.floor((Date.now() - subscription.started_at.getTime()) / 86_400_000),
        monthlyRecurringRevenueMinor: billable ? Number(subscription.plan.monthly_price_minor) : 0,
        currency: subscription.plan.currency,
      };
    },
  },
  TenantSubscription: {
    tenant: (row: SubscriptionRow) => ({ __typename: 'Tenant', id: row.tenant_id }),
    status: (row: SubscriptionRow) => row.status.toUpperCase(),
    startedAt: (row: SubscriptionRow) => row.started_at.toISOString(),
  },
  Plan: {
    limits: (plan: PlanRow) => Object.entries(plan.limits).map(([key, value]) => ({ key, value })),
    monthlyPriceMinor: (plan: PlanRow) => Number(plan.monthly_price_minor),
  },
};
