/**
 * Subscription changes (docs/billing.md): start, plan changes (an upgrade now, prorated; a
 * downgrade at the period's end), add-ons, cancellation at the period's end, renewal. Each change
 * runs the tenant's billing through its effective date first (billing.ts), is checked against the
 * state it finds, and is written as one dated history row with its event — or, refused with a
 * code, writes nothing.
 */
import { randomUUID } from 'node:crypto';
import type { Tx } from '../../lib/db/index.js';
import { BadUserInputError, InvalidTransitionError, NotFoundError, PlanLimitExceededError } from '../../lib/errors.js';
import { requireUuid } from '../../lib/ids.js';
import { actingOn, mayActOnTenant, requirePlatformAdmin, type TenantContext } from '../../lib/tenant-context.js';
import { isIsoDate, todayUtc, type IsoDate } from './billing-math.js';
import { advanceBilling, lastProcessedPeriodStart, loadHistory, recordChange, stateOf, type BillingActor } from './billing.js';
import { loadCatalog, type Catalog } from './catalog.js';
import type { HistoryRow, SubscriptionState } from './invoice-lines.js';
import { fetchSubscriptionsByTenant, type ErpContext } from './subscriptions.js';

/** A date argument: a real `YYYY-MM-DD`, not after today (UTC); today when omitted. */
export function effectiveDate(value: unknown, argument: string, today = todayUtc()): IsoDate {
  if (value == null) return today;
  if (!isIsoDate(value)) throw new BadUserInputError(`${argument} must be a date written YYYY-MM-DD`, { argument });
  if (value > today) throw new BadUserInputError(`${argument} cannot be in the future (today is ${today} UTC)`, { argument });
  return value;
}

/** The tenant a billing mutation acts on, after checking the caller may act on it. */
function billedTenant(ctx: ErpContext, tenantId: unknown): string {
  const id = requireUuid(tenantId, 'tenantId');
  if (!mayActOnTenant(ctx.tenant, id)) throw new NotFoundError('No such tenant');
  return id;
}

const actorOf = (context: TenantContext): BillingActor => ({ context, actor: context.principal.id });

/**
 * Runs `change` on the tenant's subscription in one transaction bound to the tenant: billing
 * advanced through `effectiveOn`, the current state checked to be open to changes at that date.
 */
async function changeSubscription(
  ctx: ErpContext,
  tenantId: string,
  effectiveOn: IsoDate,
  change: (tx: Tx, current: HistoryRow, catalog: Catalog, by: BillingActor) => Promise<void>,
) {
  const acting = actingOn(ctx.tenant, tenantId);
  return ctx.db.withTenant(acting, async (tx) => {
    const [exists] = await tx.query('SELECT 1 FROM subscriptions WHERE tenant_id = $1', [tenantId]);
    if (!exists) throw new NotFoundError('The tenant has no subscription');
    await advanceBilling(tx, acting, tenantId, effectiveOn);
    const history = await loadHistory(tx, tenantId);
    const current = history[history.length - 1]!;
    if (current.status === 'canceled' || current.status === 'expired') {
      throw new InvalidTransitionError(`The subscription is ${current.status}; it can no longer change`, { status: current.status.toUpperCase() });
    }
    if (effectiveOn < current.effectiveOn) {
      throw new BadUserInputError(`effectiveOn must be on or after the subscription's last change (${current.effectiveOn})`, { argument: 'effectiveOn' });
    }
    const invoicedFrom = await lastProcessedPeriodStart(tx, tenantId);
    if (invoicedFrom && effectiveOn < invoicedFrom) {
      throw new BadUserInputError(`effectiveOn falls in a period already invoiced (changes take effect from ${invoicedFrom})`, { argument: 'effectiveOn' });
    }
    await change(tx, current, await loadCatalog(tx), actorOf(acting));
    const [row] = await fetchSubscriptionsByTenant(tx, [tenantId]);
    return row!;
  });
}

function requirePlan(catalog: Catalog, code: unknown): string {
  if (typeof code !== 'string' || !catalog.isPlan(code)) throw new BadUserInputError(`planCode: no plan ${String(code)} in the catalog`, { argument: 'planCode' });
  return code;
}

function requireAddon(catalog: Catalog, code: unknown): string {
  if (typeof code !== 'string' || !catalog.isAddon(code)) throw new BadUserInputError(`addonCode: no add-on ${String(code)} in the catalog`, { argument: 'addonCode' });
  return code;
}

/** A bundle and an add-on it stands for are never held together: that would bill them twice. */
function assertAddonsCompatible(catalog: Catalog, addons: readonly string[]): void {
  for (const addon of addons) {
    const overlap = catalog.bundled(addon).filter((included) => addons.includes(included));
    if (overlap.length > 0) throw new BadUserInputError(`${addon} already includes ${overlap.join(', ')}; hold one or the other`, { argument: 'addonCode' });
  }
}

/** Refuses a downgrade to a plan that lacks features the tenant uses: its clinical workflows. */
async function assertPlanCovers(tx: Tx, tenantId: string, catalog: Catalog, plan: string): Promise<void> {
  const [provisioned] = await tx.query<{ workflows: string[] }>('SELECT workflows FROM provisioned_entitlements WHERE tenant_id = $1', [tenantId]);
  const features = new Set(catalog.planFeatures(plan));
  const missing = (provisioned?.workflows ?? []).filter((workflow) => !features.has(workflow));
  if (missing.length > 0) {
    throw new PlanLimitExceededError(`The ${catalog.planName(plan)} plan lacks ${missing.join(', ')}, which the tenant's workflows use`, { missing });
  }
}

interface StartInput {
  tenantId: string;
  planCode: string;
  currency?: string | null;
  startOn?: string | null;
  trialDays?: number | null;
  addons?: string[] | null;
  termMonths?: number | null;
  autoRenew?: boolean | null;
}

/** Starts a subscription for a tenant that has none, with its contract and invoice schedule. */
async function startSubscription(ctx: ErpContext, input: StartInput) {
  requirePlatformAdmin(ctx.tenant, 'start subscriptions');
  const tenantId = billedTenant(ctx, input.tenantId);
  const startOn = effectiveDate(input.startOn, 'startOn');
  const trialDays = input.trialDays ?? 0;
  if (!Number.isInteger(trialDays) || trialDays < 0 || trialDays > 90) throw new BadUserInputError('trialDays must be a whole number from 0 to 90', { argument: 'trialDays' });
  const termMonths = input.termMonths ?? 12;
  if (!Number.isInteger(termMonths) || termMonths < 1 || termMonths > 120) throw new BadUserInputError('termMonths must be a whole number from 1 to 120', { argument: 'termMonths' });
  const acting = actingOn(ctx.tenant, tenantId);
  return ctx.db.withTenant(acting, async (tx) => {
    const catalog = await loadCatalog(tx);
    const plan = requirePlan(catalog, input.planCode);
    const currency = input.currency ?? 'USD';
    if (!catalog.isCurrency(currency)) throw new BadUserInputError(`currency: ${currency} is not a currency the platform bills in`, { argument: 'currency' });
    const addons = [...new Set(input.addons ?? [])].map((code) => requireAddon(catalog, code)).sort();
    assertAddonsCompatible(catalog, addons);
    const [existing] = await tx.query('SELECT 1 FROM subscriptions WHERE tenant_id = $1', [tenantId]);
    if (existing) throw new InvalidTransitionError('The tenant has a subscription already');
    const status = trialDays > 0 ? 'trialing' : 'active';
    const trialEndsOn = trialDays > 0 ? new Date(Date.parse(`${startOn}T00:00:00Z`) + trialDays * 86_400_000).toISOString().slice(0, 10) : null;
    await tx.query(
      `INSERT INTO subscriptions (id, tenant_id, plan_code, status, started_at, currency, trial_ends_on) VALUES ($1, $2, $3, $4, $5::date, $6, $7)`,
      [randomUUID(), tenantId, plan, status, startOn, currency, trialEndsOn],
    );
    await tx.query(
      `INSERT INTO contracts (id, tenant_id, plan_code, term_months, value_minor, currency, auto_renew, signed_at, activated_at, term_start, term_end)
       VALUES ($1, $2, $3, $4::integer, $5::bigint * $4::integer, $6, $7, $8::date, $8::date, $8::date, ($8::date + make_interval(months => $4::integer))::date)
       ON CONFLICT (tenant_id) DO NOTHING`,
      [randomUUID(), tenantId, plan, termMonths, catalog.planPrice(plan, catalog.versionOn(startOn), currency), currency, input.autoRenew ?? true, startOn],
    );
    await tx.query(
      `INSERT INTO invoice_schedules (tenant_id, cadence, next_period_start) VALUES ($1, 'monthly', $2)
       ON CONFLICT (tenant_id) DO UPDATE SET next_period_start = EXCLUDED.next_period_start`,
      [tenantId, startOn],
    );
    const state: SubscriptionState = { plan, addons, status, currency, pendingPlan: null, cancelAtPeriodEnd: false };
    await recordChange(tx, actorOf(acting), tenantId, 'started', startOn, state);
    await advanceBilling(tx, acting, tenantId, startOn);
    const [row] = await fetchSubscriptionsByTenant(tx, [tenantId]);
    return row!;
  });
}

async function changePlan(ctx: ErpContext, args: { tenantId: string; planCode: string; effectiveOn?: string | null }) {
  const tenantId = billedTenant(ctx, args.tenantId);
  const effectiveOn = effectiveDate(args.effectiveOn, 'effectiveOn');
  return changeSubscription(ctx, tenantId, effectiveOn, async (tx, current, catalog, by) => {
    const plan = requirePlan(catalog, args.planCode);
    if (plan === current.plan) {
      if (!current.pendingPlan) throw new BadUserInputError(`The subscription is on the ${catalog.planName(plan)} plan already`, { argument: 'planCode' });
      await recordChange(tx, by, tenantId, 'downgrade_withdrawn', effectiveOn, { ...stateOf(current), pendingPlan: null });
      return;
    }
    const version = catalog.versionOn(effectiveOn);
    const upgrade = catalog.planPrice(plan, version, current.currency) >= catalog.planPrice(current.plan, version, current.currency);
    if (upgrade) {
      await recordChange(tx, by, tenantId, 'upgraded', effectiveOn, { ...stateOf(current), plan, pendingPlan: null });
    } else {
      await assertPlanCovers(tx, tenantId, catalog, plan);
      await recordChange(tx, by, tenantId, 'downgrade_scheduled', effectiveOn, { ...stateOf(current), pendingPlan: plan });
    }
  });
}

async function addAddon(ctx: ErpContext, args: { tenantId: string; addonCode: string; effectiveOn?: string | null }) {
  const tenantId = billedTenant(ctx, args.tenantId);
  const effectiveOn = effectiveDate(args.effectiveOn, 'effectiveOn');
  return changeSubscription(ctx, tenantId, effectiveOn, async (tx, current, catalog, by) => {
    const addon = requireAddon(catalog, args.addonCode);
    if (current.addons.includes(addon)) throw new BadUserInputError(`The subscription holds ${addon} already`, { argument: 'addonCode' });
    const addons = [...current.addons, addon].sort();
    assertAddonsCompatible(catalog, addons);
    await recordChange(tx, by, tenantId, 'addon_added', effectiveOn, { ...stateOf(current), addons });
  });
}

async function removeAddon(ctx: ErpContext, args: { tenantId: string; addonCode: string; effectiveOn?: string | null }) {
  const tenantId = billedTenant(ctx, args.tenantId);
  const effectiveOn = effectiveDate(args.effectiveOn, 'effectiveOn');
  return changeSubscription(ctx, tenantId, effectiveOn, async (tx, current, catalog, by) => {
    const addon = requireAddon(catalog, args.addonCode);
    if (!current.addons.includes(addon)) throw new BadUserInputError(`The subscription does not hold ${addon}`, { argument: 'addonCode' });
    await recordChange(tx, by, tenantId, 'addon_removed', effectiveOn, { ...stateOf(current), addons: current.addons.filter((a) => a !== addon) });
  });
}

async function cancelSubscription(ctx: ErpContext, args: { tenantId: string; effectiveOn?: string | null }) {
  const tenantId = billedTenant(ctx, args.tenantId);
  const effectiveOn = effectiveDate(args.effectiveOn, 'effectiveOn');
  return changeSubscription(ctx, tenantId, effectiveOn, async (tx, current, _catalog, by) => {
    if (current.cancelAtPeriodEnd) throw new BadUserInputError('The subscription is to be canceled at the period’s end already');
    await recordChange(tx, by, tenantId, 'cancellation_scheduled', effectiveOn, { ...stateOf(current), cancelAtPeriodEnd: true, pendingPlan: null });
  });
}

/** Withdraws a scheduled cancellation; without one, starts the contract's next term now. */
async function renewSubscription(ctx: ErpContext, args: { tenantId: string; effectiveOn?: string | null }) {
  const tenantId = billedTenant(ctx, args.tenantId);
  const effectiveOn = effectiveDate(args.effectiveOn, 'effectiveOn');
  return changeSubscription(ctx, tenantId, effectiveOn, async (tx, current, _catalog, by) => {
    if (current.cancelAtPeriodEnd) {
      await recordChange(tx, by, tenantId, 'cancellation_withdrawn', effectiveOn, { ...stateOf(current), cancelAtPeriodEnd: false });
      return;
    }
    const [contract] = await tx.query<{ term_months: number }>(
      `UPDATE contracts SET term_start = $2::date, term_end = ($2::date + make_interval(months => term_months))::date WHERE tenant_id = $1 RETURNING term_months`,
      [tenantId, effectiveOn],
    );
    if (!contract) throw new InvalidTransitionError('The tenant has no contract to renew');
    await recordChange(tx, by, tenantId, 'renewed', effectiveOn, stateOf(current));
  });
}

export const subscriptionChangeResolvers = {
  Mutation: {
    startSubscription: (_: unknown, args: { input: StartInput }, ctx: ErpContext) => startSubscription(ctx, args.input),
    changePlan: (_: unknown, args: { tenantId: string; planCode: string; effectiveOn?: string | null }, ctx: ErpContext) => changePlan(ctx, args),
    addAddon: (_: unknown, args: { tenantId: string; addonCode: string; effectiveOn?: string | null }, ctx: ErpContext) => addAddon(ctx, args),
    removeAddon: (_: unknown, args: { tenantId: string; addonCode: string; effectiveOn?: string | null }, ctx: ErpContext) => removeAddon(ctx, args),
    cancelSubscription: (_: unknown, args: { tenantId: string; effectiveOn?: string | null }, ctx: ErpContext) => cancelSubscription(ctx, args),
    renewSubscription: (_: unknown, args: { tenantId: string; effectiveOn?: string | null }, ctx: ErpContext) => renewSubscription(ctx, args),
  },
};
