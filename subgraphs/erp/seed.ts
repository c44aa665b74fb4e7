/**
 * The demo fleet's commercial history, written through the billing engine itself so that every
 * figure (invoices, MRR movements, NRR) is what the platform would have produced: up to twelve
 * months per tenant of monthly invoices, usage per meter, upgrades, a downgrade at a period's
 * end, an add-on held for a few months, one churned tenant, payments for what fell due, and the
 * past-due tenants' last two invoices left unpaid. Deterministic per tenant index.
 *
 * The history is written as having happened: its events are not published (the outbox rows the
 * engine writes are removed in the same transaction), so the control plane does not act on a
 * year of past changes at start — the demo tenants keep the statuses the fleet gives them.
 * Idempotent: a tenant with a subscription history is left as it is.
 */
import type pg from 'pg';
import { demoUuid, type DemoFleet, type DemoTenant } from '../../lib/demo/fleet.js';
import { clientTx, type Tx } from '../../lib/db/index.js';
import { actingOn, serviceContext, type TenantContext } from '../../lib/tenant-context.js';
import { addDays, addMonths, daysInMonth, monthStart, nextMonthStart, type IsoDate } from './billing-math.js';
import { advanceBilling, loadHistory, recordChange, stateOf } from './billing.js';
import { loadCatalog, type Catalog } from './catalog.js';
import type { SubscriptionState } from './invoice-lines.js';
import { applyPayment, INVOICE_COLUMNS, runDunning, type InvoiceRow } from './invoices.js';
import { countUsage } from './usage.js';

/** How far back the demo's billing goes. */
const HISTORY_MONTHS = 12;
/**
 * Tenants beyond the first this many (the larger fleets of the benchmark and the scale tests)
 * get their subscription as it stands, billed from next month: a year of history each would make
 * seeding thousands of tenants take minutes and adds nothing those fleets measure.
 */
export const TENANTS_WITH_HISTORY = 40;
const ADDON = 'analytics_export';
const CHEAPER: Record<string, string> = { premium: 'standard', enterprise: 'premium' };

interface PlannedChange {
  on: IsoDate;
  change: string;
  apply: (state: SubscriptionState) => SubscriptionState;
}

/** A 0–1 number from the tenant's index and a salt: the same fleet gives the same history. */
const unit = (index: number, salt: number) => (((index + 1) * 2654435761 + salt * 40503) % 1000) / 1000;

/** The tenant's story from `start`, ending on the plan the fleet gives it. */
function planOf(tenant: DemoTenant, start: IsoDate, churned: boolean): { initialPlan: string; changes: PlannedChange[] } {
  const changes: PlannedChange[] = [];
  const at = (months: number, day: number) => {
    const month = addMonths(monthStart(start), months);
    return addDays(month, Math.min(day, daysInMonth(month)) - 1);
  };
  let initialPlan: string = tenant.planCode;
  if (tenant.index % 7 === 1 && CHEAPER[tenant.planCode]) {
    initialPlan = CHEAPER[tenant.planCode]!;
    changes.push({ on: at(4, 3 + (tenant.index % 20)), change: 'upgraded', apply: (s) => ({ ...s, plan: tenant.planCode }) });
  } else if (tenant.index % 9 === 4 && tenant.planCode === 'standard') {
    initialPlan = 'premium';
    changes.push({ on: at(6, 10), change: 'downgrade_scheduled', apply: (s) => ({ ...s, pendingPlan: 'standard' }) });
  }
  if (tenant.index % 6 === 3) {
    changes.push({ on: at(3, 5), change: 'addon_added', apply: (s) => ({ ...s, addons: [...s.addons, ADDON] }) });
    changes.push({ on: at(8, 20), change: 'addon_removed', apply: (s) => ({ ...s, addons: s.addons.filter((a) => a !== ADDON) }) });
  }
  if (churned) changes.push({ on: at(9, 12), change: 'cancellation_scheduled', apply: (s) => ({ ...s, cancelAtPeriodEnd: true }) });
  return { initialPlan, changes: changes.sort((a, b) => a.on.localeCompare(b.on)) };
}

/** The owner's client as the engine's transaction, on erp's tables. */
const asTx = (client: pg.ClientBase): Tx => clientTx(client);

async function recordMonthUsage(tx: Tx, catalog: Catalog, tenant: DemoTenant, plan: string, month: IsoDate, currency: string): Promise<void> {
  const version = catalog.versionOn(month);
  for (const [salt, meter] of ['eligibility_checks', 'claims_submitted', 'reminders_sent'].entries()) {
    const { includedQuantity } = catalog.meterPrice(plan, meter, version, currency);
    // Between 50% and 130% of what the plan includes: some months go over.
    const quantity = Math.max(1, Math.round(includedQuantity * (0.5 + 0.8 * unit(tenant.index, salt * 97 + Number(month.slice(5, 7))))));
    await countUsage(tx, { tenantId: tenant.id, eventId: demoUuid(`usage:${tenant.index}:${month}:${meter}`), meter, quantity, occurredAt: new Date(`${month.slice(0, 8)}15T12:00:00Z`) });
  }
}

async function seedTenant(client: pg.ClientBase, catalog: Catalog, tenant: DemoTenant, today: IsoDate, churned: boolean): Promise<void> {
  const tx = asTx(client);
  const context: TenantContext = actingOn(serviceContext('erp', `seed-${tenant.index}`), tenant.id);
  const by = { context, actor: 'demo-seed' };
  const currency = 'USD';
  const trialing = tenant.subscriptionStatus === 'trialing';
  const earliest = addMonths(monthStart(today), -HISTORY_MONTHS);
  const startedOn = addDays(today, -(trialing ? Math.min(tenant.ageDays, 12) : tenant.ageDays));
  const start = startedOn < earliest ? earliest : startedOn;
  const { initialPlan, changes } = trialing ? { initialPlan: tenant.planCode, changes: [] } : planOf(tenant, start, churned);

  await client.query(
    `UPDATE subscriptions SET plan_code = $2, status = $3, currency = $4, started_at = $5::date, trial_ends_on = $6 WHERE tenant_id = $1`,
    [tenant.id, initialPlan, trialing ? 'trialing' : 'active', currency, startedOn, trialing ? addDays(startedOn, 30) : null],
  );
  const monthly = catalog.planPrice(tenant.planCode, catalog.versionOn(start), currency);
  await client.query(
    `INSERT INTO contracts (id, tenant_id, plan_code, term_months, value_minor, currency, auto_renew, signed_at, activated_at, term_start, term_end)
     VALUES ($1, $2, $3, 12, $4::bigint * 12, $5, true, $6::date - 14, $6::date, $6::date, ($6::date + interval '12 months')::date)
     ON CONFLICT (tenant_id) DO NOTHING`,
    [demoUuid(`contract:${tenant.index}`), tenant.id, initialPlan, monthly, currency, start],
  );
  await client.query(`INSERT INTO invoice_schedules (tenant_id, cadence, next_period_start) VALUES ($1, 'monthly', $2) ON CONFLICT (tenant_id) DO NOTHING`, [tenant.id, start]);
  const opening: SubscriptionState = { plan: initialPlan, addons: [], status: trialing ? 'trialing' : 'active', currency, pendingPlan: null, cancelAtPeriodEnd: false };
  await recordChange(tx, by, tenant.id, startedOn < earliest ? 'recorded' : 'started', start, opening);

  // Month by month: the changes that fall in it, then its usage, then the next month's invoice.
  for (let month = monthStart(start); month <= today; month = nextMonthStart(month)) {
    for (const planned of changes.filter((c) => c.on >= month && c.on < nextMonthStart(month) && c.on <= today)) {
      await advanceBilling(tx, context, tenant.id, planned.on);
      const history = await loadHistory(tx, tenant.id);
      const current = stateOf(history[history.length - 1]!);
      if (current.status === 'canceled') continue;
      await recordChange(tx, by, tenant.id, planned.change, planned.on, planned.apply(current));
    }
    const next = nextMonthStart(month);
    if (next > today) break;
    const history = await loadHistory(tx, tenant.id);
    const state = history[history.length - 1]!;
    if (state.status !== 'canceled') await recordMonthUsage(tx, catalog, tenant, state.plan, month, currency);
    await advanceBilling(tx, context, tenant.id, next);
  }
  await advanceBilling(tx, context, tenant.id, today);

  // What fell due is paid a few days early, except a past-due tenant's last two invoices.
  const due = await tx.query<InvoiceRow>(
    `SELECT ${INVOICE_COLUMNS} FROM invoices WHERE tenant_id = $1 AND status = 'open' AND due_on <= $2 ORDER BY period_start`,
    [tenant.id, today],
  );
  const unpaid = tenant.subscriptionStatus === 'past_due' ? due.slice(-2).map((invoice) => invoice.id) : [];
  for (const invoice of due) {
    if (unpaid.includes(invoice.id)) continue;
    const receivedOn = addDays(invoice.due_on, -3);
    await applyPayment(tx, context, invoice, { amount: Number(invoice.total_minor) - Number(invoice.paid_minor) - Number(invoice.credited_minor), receivedOn, reference: `demo-${invoice.number}` });
  }
  await runDunning(tx, context, tenant.id, today);
  await client.query('DELETE FROM outbox WHERE tenant_id = $1 AND occurred_at = now() AND relayed_at IS NULL', [tenant.id]);
}

/** The subscriptions as they stand, in one statement each: a history row, billed from next month. */
async function seedStandingSubscriptions(client: pg.ClientBase, tenants: readonly DemoTenant[], today: IsoDate): Promise<void> {
  if (tenants.length === 0) return;
  const ids = tenants.map((t) => t.id);
  await client.query(
    `INSERT INTO erp.subscription_history (tenant_id, effective_on, change, plan_code, addons, status, currency, pending_plan_code, cancel_at_period_end, actor)
     SELECT tenant_id, (started_at AT TIME ZONE 'UTC')::date, 'recorded', plan_code, '{}', status, currency, NULL, false, 'demo-seed'
       FROM erp.subscriptions WHERE tenant_id = ANY($1::uuid[])`,
    [ids],
  );
  await client.query(
    `INSERT INTO erp.invoice_schedules (tenant_id, cadence, next_period_start) SELECT unnest($1::uuid[]), 'monthly', $2 ON CONFLICT (tenant_id) DO NOTHING`,
    [ids, nextMonthStart(today)],
  );
}

export async function seedErp(client: pg.ClientBase, fleet: DemoFleet, anchor: Date): Promise<void> {
  const { tenants } = fleet;
  await client.query(
    `INSERT INTO erp.subscriptions (id, tenant_id, plan_code, status, started_at)
     SELECT id, tenant_id, plan_code, status, $5::timestamptz - make_interval(days => age)
       FROM unnest($1::uuid[], $2::uuid[], $3::text[], $4::text[], $6::int[]) AS s(id, tenant_id, plan_code, status, age)
     ON CONFLICT (tenant_id) DO NOTHING`,
    [
      tenants.map((t) => demoUuid(`subscription:${t.index}`)),
      tenants.map((t) => t.id),
      tenants.map((t) => t.planCode),
      tenants.map((t) => t.subscriptionStatus),
      anchor,
      tenants.map((t) => t.ageDays),
    ],
  );
  const seeded = new Set(
    (await client.query<{ tenant_id: string }>('SELECT DISTINCT tenant_id FROM erp.subscription_history WHERE tenant_id = ANY($1::uuid[])', [tenants.map((t) => t.id)])).rows.map((r) => r.tenant_id),
  );
  const today = anchor.toISOString().slice(0, 10);
  await seedStandingSubscriptions(client, tenants.filter((t) => t.index >= TENANTS_WITH_HISTORY && !seeded.has(t.id)), today);
  // The churned tenant: the last standard-tier tenant without a partner, active in the fleet.
  const churned = [...tenants.filter((t) => t.index < TENANTS_WITH_HISTORY)].reverse().find((t) => t.tier === 'standard' && !t.partnerId && t.subscriptionStatus === 'active');
  for (const tenant of tenants) {
    if (seeded.has(tenant.id) || tenant.index >= TENANTS_WITH_HISTORY) continue;
    await client.query('BEGIN');
    try {
      await client.query('SET LOCAL search_path = erp, pg_catalog');
      await seedTenant(client, await loadCatalog(asTx(client)), tenant, today, tenant === churned);
      await client.query('COMMIT');
    } catch (error) {
      await client.query('ROLLBACK');
      throw error;
    }
  }
}
