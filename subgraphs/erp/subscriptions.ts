/** Subscriptions and the plan catalog. A subscription is loaded with its plan in one statement. */
import type { Database, Tx } from '../../lib/db/index.js';
import { isUuid } from '../../lib/ids.js';
import { rowLoader } from '../../lib/loaders.js';
import type { SubgraphContext } from '../../lib/subgraph/index.js';
import { mayActOnTenant, type TenantContext } from '../../lib/tenant-context.js';
import { loadHistory } from './billing.js';
import { BILLED_STATUSES, type HistoryRow } from './invoice-lines.js';

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
  currency: string;
  addons: string[];
  pending_plan_code: string | null;
  cancel_at_period_end: boolean;
  trial_ends_on: string | null;
  ended_on: string | null;
  /** Features of the plan and of every add-on held. */
  features: string[];
}

/** Subscriptions that produce revenue (a trial does not). */
const BILLABLE_STATUSES = BILLED_STATUSES;
/** Subscriptions whose plan features the tenant holds. */
export const ENTITLING_STATUSES = new Set(['trialing', 'active', 'past_due']);

/** The catalog version in effect today, as SQL. */
const CURRENT_VERSION = `(SELECT version FROM catalog_versions WHERE effective_from <= (now() AT TIME ZONE 'UTC')::date ORDER BY effective_from DESC LIMIT 1)`;

const PLAN_COLUMNS = 'p.code, p.name, p.features, p.limits, p.monthly_price_minor, p.currency';

export async function fetchSubscriptionsByTenant(tx: Tx, tenantIds: readonly string[]): Promise<SubscriptionRow[]> {
  const valid = tenantIds.filter(isUuid);
  if (valid.length === 0) return [];
  return tx.query<SubscriptionRow>(
    `SELECT s.id, s.tenant_id, s.status, s.started_at, row_to_json(p.*) AS plan, s.currency, s.pending_plan_code, s.cancel_at_period_end,
            s.trial_ends_on::text, s.ended_on::text,
            coalesce(a.addons, '{}') AS addons,
            ARRAY(SELECT DISTINCT f FROM unnest(p.features || coalesce(a.features, '{}')) AS f ORDER BY f) AS features
       FROM subscriptions s JOIN plans p ON p.code = s.plan_code
       LEFT JOIN LATERAL (
         SELECT array_agg(sa.addon_code ORDER BY sa.addon_code) AS addons, array_agg(DISTINCT af) AS features
           FROM subscription_addons sa JOIN addons ad ON ad.code = sa.addon_code, unnest(ad.features) AS af
          WHERE sa.tenant_id = s.tenant_id
       ) a ON true
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
    addons: (_: unknown, __: unknown, ctx: ErpContext) =>
      ctx.db.withTenant(ctx.tenant, (tx) =>
        tx.query(
          `SELECT a.code, a.name, upper(a.kind) AS kind, a.features, a.includes,
                  (SELECT json_agg(json_build_object('currency', p.currency, 'monthlyPriceMinor', p.monthly_price_minor) ORDER BY p.currency)
                     FROM addon_prices p WHERE p.addon_code = a.code AND p.version = ${CURRENT_VERSION}) AS prices
             FROM addons a ORDER BY a.code`,
        ),
      ),
    meters: (_: unknown, __: unknown, ctx: ErpContext) =>
      ctx.db.withTenant(ctx.tenant, (tx) =>
        tx.query(
          `SELECT m.code, m.unit, m.description,
                  (SELECT json_agg(json_build_object('planCode', p.plan_code, 'currency', p.currency, 'includedQuantity', p.included_quantity,
                                                     'blockSize', p.block_size, 'blockPriceMinor', p.block_price_minor) ORDER BY p.included_quantity)
                     FROM plan_meter_prices p WHERE p.meter = m.code AND p.currency = 'USD' AND p.version = ${CURRENT_VERSION}) AS allowances
             FROM meters m ORDER BY m.code`,
        ),
      ),
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
    addons: (row: SubscriptionRow, _: unknown, ctx: ErpContext) =>
      row.addons.length === 0
        ? []
        : ctx.db.withTenant(ctx.tenant, (tx) => tx.query(`SELECT code, name, upper(kind) AS kind, features, includes, '[]'::json AS prices FROM addons WHERE code = ANY($1) ORDER BY code`, [row.addons])),
    pendingPlan: (row: SubscriptionRow, _: unknown, ctx: ErpContext) =>
      row.pending_plan_code ? ctx.db.withTenant(ctx.tenant, async (tx) => (await fetchPlans(tx)).find((plan) => plan.code === row.pending_plan_code)) : null,
    cancelAtPeriodEnd: (row: SubscriptionRow) => row.cancel_at_period_end,
    trialEndsOn: (row: SubscriptionRow) => row.trial_ends_on,
    endedOn: (row: SubscriptionRow) => row.ended_on,
    history: (row: SubscriptionRow, _: unknown, ctx: ErpContext) => ctx.db.withTenant(ctx.tenant, (tx) => loadHistory(tx, row.tenant_id)),
  },
  SubscriptionChange: {
    planCode: (row: HistoryRow) => row.plan,
    status: (row: HistoryRow) => row.status.toUpperCase(),
    pendingPlanCode: (row: HistoryRow) => row.pendingPlan,
  },
  Price: {
    monthlyPriceMinor: (row: { monthlyPriceMinor: string | number }) => Number(row.monthlyPriceMinor),
  },
  MeterAllowance: {
    includedQuantity: (row: { includedQuantity: string | number }) => Number(row.includedQuantity),
    blockPriceMinor: (row: { blockPriceMinor: string | number }) => Number(row.blockPriceMinor),
  },
  Plan: {
    limits: (plan: PlanRow) => Object.entries(plan.limits).map(([key, value]) => ({ key, value })),
    monthlyPriceMinor: (plan: PlanRow) => Number(plan.monthly_price_minor),
    prices: (plan: PlanRow, _: unknown, ctx: ErpContext) =>
      ctx.db.withTenant(ctx.tenant, (tx) =>
        tx.query(
          `SELECT currency, monthly_price_minor AS "monthlyPriceMinor" FROM plan_prices WHERE plan_code = $1 AND version = ${CURRENT_VERSION} ORDER BY currency`,
          [plan.code],
        ),
      ),
  },
};
