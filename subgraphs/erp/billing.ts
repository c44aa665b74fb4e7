/**
 * The billing run of one tenant: it walks the tenant's calendar from where it last stopped up to a
 * date, writing the transitions that fall due (a trial's end, the contract term's end, a downgrade
 * or cancellation at the period's end) and issuing each period's invoice on its first day
 * (invoice-lines.ts says what goes on it). Everything happens in the caller's transaction, under a
 * per-tenant lock: two runs at once, or a run and a usage event, wait for each other, and a crash
 * leaves either the whole invoice or none.
 *
 * Every subscription change runs the billing through its effective date first, so the history is
 * always written in date order and a change never lands in a period already invoiced.
 */
import { randomUUID } from 'node:crypto';
import type { Tx } from '../../lib/db/index.js';
import { publishEvent } from '../../lib/events/outbox.js';
import type { TenantContext } from '../../lib/tenant-context.js';
import { addDays, addMonths, nextMonthStart, type IsoDate } from './billing-math.js';
import { loadCatalog, type Catalog } from './catalog.js';
import {
  BILLED_STATUSES,
  computeInvoiceLines,
  creditLine,
  periodOf,
  type HistoryRow,
  type InvoiceLine,
  type Period,
  type SubscriptionState,
  type UsageMonth,
} from './invoice-lines.js';

/** Takes the tenant's billing lock for the rest of the transaction. */
export async function lockTenantBilling(tx: Tx, tenantId: string): Promise<void> {
  await tx.query(`SELECT pg_advisory_xact_lock(hashtextextended('erp.billing:' || $1::text, 0))`, [tenantId]);
}

/** A subscription_history row as the database answers it (HISTORY_COLUMNS). */
export interface HistoryRecord {
  seq: string;
  effective_on: string;
  change: string;
  plan_code: string;
  addons: string[];
  status: HistoryRow['status'];
  currency: string;
  pending_plan_code: string | null;
  cancel_at_period_end: boolean;
}

export const HISTORY_COLUMNS = 'seq, effective_on::text, change, plan_code, addons, status, currency, pending_plan_code, cancel_at_period_end';

export const toHistoryRow = (row: HistoryRecord): HistoryRow => ({
  seq: Number(row.seq),
  effectiveOn: row.effective_on,
  change: row.change,
  plan: row.plan_code,
  addons: [...row.addons].sort(),
  status: row.status,
  currency: row.currency,
  pendingPlan: row.pending_plan_code,
  cancelAtPeriodEnd: row.cancel_at_period_end,
});

export async function loadHistory(tx: Tx, tenantId: string): Promise<HistoryRow[]> {
  const rows = await tx.query<HistoryRecord>(`SELECT ${HISTORY_COLUMNS} FROM subscription_history WHERE tenant_id = $1 ORDER BY effective_on, seq`, [tenantId]);
  return rows.map(toHistoryRow);
}

export interface BillingActor {
  context: TenantContext;
  /** Recorded on history rows: who made the change (the billing run records itself). */
  actor: string;
}

/**
 * Appends one history row and brings the subscription (and its add-ons) to the state it records,
 * with the event that tells the other domains. The caller has checked the change.
 */
export async function recordChange(
  tx: Tx,
  by: BillingActor,
  tenantId: string,
  change: string,
  effectiveOn: IsoDate,
  state: SubscriptionState,
): Promise<HistoryRow> {
  const addons = [...state.addons].sort();
  const [row] = await tx.query<{ seq: string }>(
    `INSERT INTO subscription_history (tenant_id, effective_on, change, plan_code, addons, status, currency, pending_plan_code, cancel_at_period_end, actor)
     VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10) RETURNING seq`,
    [tenantId, effectiveOn, change, state.plan, addons, state.status, state.currency, state.pendingPlan, state.cancelAtPeriodEnd, by.actor],
  );
  const ended = state.status === 'canceled' || state.status === 'expired';
  await tx.query(
    `UPDATE subscriptions SET plan_code = $2, status = $3, currency = $4, pending_plan_code = $5, cancel_at_period_end = $6,
            ended_on = CASE WHEN $7 THEN coalesce(ended_on, $8::date) ELSE NULL END, updated_at = now()
      WHERE tenant_id = $1`,
    [tenantId, state.plan, state.status, state.currency, state.pendingPlan, state.cancelAtPeriodEnd, ended, effectiveOn],
  );
  await tx.query('DELETE FROM subscription_addons WHERE tenant_id = $1 AND NOT (addon_code = ANY($2::text[]))', [tenantId, addons]);
  await tx.query(
    `INSERT INTO subscription_addons (tenant_id, addon_code, added_on) SELECT $1, code, $3 FROM unnest($2::text[]) AS code
     ON CONFLICT DO NOTHING`,
    [tenantId, addons, effectiveOn],
  );
  await publishEvent(tx, 'erp.subscription.changed', { ...by.context, access: 'tenant', tenantId }, {
    change,
    effectiveOn,
    planCode: state.plan,
    addons,
    status: state.status,
    pendingPlanCode: state.pendingPlan,
    cancelAtPeriodEnd: state.cancelAtPeriodEnd,
  });
  return { seq: Number(row!.seq), effectiveOn, change, ...state, addons };
}

/** A history row's state, without its bookkeeping. */
export const stateOf = (row: HistoryRow): SubscriptionState => ({
  plan: row.plan,
  addons: row.addons,
  status: row.status,
  currency: row.currency,
  pendingPlan: row.pendingPlan,
  cancelAtPeriodEnd: row.cancelAtPeriodEnd,
});

interface Schedule {
  nextPeriodStart: IsoDate;
}

interface Contract {
  term_months: number;
  auto_renew: boolean;
  term_end: string | null;
}

/** The usage of the tenant's months before `before` that invoices have not charged for yet. */
async function unbilledUsage(tx: Tx, tenantId: string, before: IsoDate): Promise<UsageMonth[]> {
  const rows = await tx.query<{ meter: string; period_start: string; quantity: string; billed_quantity: string }>(
    `SELECT meter, period_start::text, quantity, billed_quantity FROM usage_totals
      WHERE tenant_id = $1 AND period_start < $2 AND quantity > billed_quantity FOR UPDATE`,
    [tenantId, before],
  );
  return rows.map((row) => ({ meter: row.meter, month: row.period_start, total: Number(row.quantity), billedBefore: Number(row.billed_quantity) }));
}

async function creditBalance(tx: Tx, tenantId: string): Promise<number> {
  const [row] = await tx.query<{ balance: string }>('SELECT coalesce(sum(amount_minor), 0) AS balance FROM credit_balance_entries WHERE tenant_id = $1', [tenantId]);
  return Number(row!.balance);
}

async function paymentTermsDays(tx: Tx): Promise<number> {
  const [row] = await tx.query<{ payment_terms_days: number }>(`SELECT payment_terms_days FROM dunning_policy WHERE policy = 'default'`);
  return row!.payment_terms_days;
}

export interface IssuedInvoice {
  id: string;
  number: string;
  totalMinor: number;
  periodStart: IsoDate;
}

/** Writes an invoice: draft, its lines, then open with its number (paid at once when it totals zero). */
async function issueInvoice(
  tx: Tx,
  tenantId: string,
  period: Period,
  state: SubscriptionState,
  lines: InvoiceLine[],
  usage: readonly UsageMonth[],
  catalog: Catalog,
): Promise<IssuedInvoice> {
  const id = randomUUID();
  const subtotalBeforeCredit = lines.reduce((sum, line) => sum + line.amountMinor, 0);
  const credit = creditLine(subtotalBeforeCredit, await creditBalance(tx, tenantId), period);
  const all = credit.line ? [...lines, credit.line] : lines;
  const total = all.reduce((sum, line) => sum + line.amountMinor, 0);
  const issuer = catalog.issuerOf(state.currency);
  const [cutoff] = await tx.query<{ at: Date }>('SELECT clock_timestamp() AS at');
  await tx.query(
    `INSERT INTO invoices (id, tenant_id, issuer, currency, period_start, period_end, catalog_version, issued_on, due_on, status,
                           subtotal_minor, tax_minor, total_minor, usage_cutoff_at, history_seq)
     VALUES ($1, $2, $3, $4, $5, $6, $7, $5, $8, 'draft', $9, 0, $9, $10, (SELECT max(seq) FROM subscription_history WHERE tenant_id = $2))`,
    [id, tenantId, issuer, state.currency, period.start, period.end, catalog.versionOn(period.start), addDays(period.start, await paymentTermsDays(tx)), total, cutoff!.at],
  );
  await tx.query(
    `INSERT INTO invoice_lines (invoice_id, line_no, tenant_id, kind, item, description, quantity, amount_minor, covers_from, covers_to)
     SELECT $1, n, $2, kind, item, description, quantity, amount, covers_from, covers_to
       FROM unnest($3::text[], $4::text[], $5::text[], $6::bigint[], $7::bigint[], $8::date[], $9::date[]) WITH ORDINALITY
            AS l (kind, item, description, quantity, amount, covers_from, covers_to, n)`,
    [
      id,
      tenantId,
      all.map((l) => l.kind),
      all.map((l) => l.item),
      all.map((l) => l.description),
      all.map((l) => l.quantity),
      all.map((l) => l.amountMinor),
      all.map((l) => l.coversFrom),
      all.map((l) => l.coversTo),
    ],
  );
  if (credit.balanceChange !== 0) {
    await tx.query('INSERT INTO credit_balance_entries (tenant_id, amount_minor, currency, invoice_id, created_on) VALUES ($1, $2, $3, $4, $5)', [
      tenantId,
      credit.balanceChange,
      state.currency,
      id,
      period.start,
    ]);
  }
  for (const month of usage) {
    await tx.query('UPDATE usage_totals SET billed_quantity = quantity WHERE tenant_id = $1 AND meter = $2 AND period_start = $3', [tenantId, month.meter, month.month]);
  }
  const [opened] = await tx.query<{ number: string }>(
    `UPDATE invoices SET status = CASE WHEN total_minor = 0 THEN 'paid' ELSE 'open' END, number = next_document_number(issuer, 'invoice'),
            opened_at = now(), paid_at = CASE WHEN total_minor = 0 THEN now() END
      WHERE id = $1 RETURNING number`,
    [id],
  );
  return { id, number: opened!.number, totalMinor: total, periodStart: period.start };
}

/** What the run did. */
export interface BillingAdvance {
  invoices: IssuedInvoice[];
  transitions: string[];
}

/**
 * Runs the tenant's billing through `through` (inclusive): due transitions and invoices, in date
 * order. Idempotent: run again, it finds nothing left to do. Answers what it did.
 */
export async function advanceBilling(tx: Tx, context: TenantContext, tenantId: string, through: IsoDate): Promise<BillingAdvance> {
  await lockTenantBilling(tx, tenantId);
  const done: BillingAdvance = { invoices: [], transitions: [] };
  const [subscription] = await tx.query<{ trial_ends_on: string | null }>('SELECT trial_ends_on::text FROM subscriptions WHERE tenant_id = $1 FOR UPDATE', [tenantId]);
  if (!subscription) return done;
  const [schedule] = await tx.query<{ next_period_start: string }>('SELECT next_period_start::text FROM invoice_schedules WHERE tenant_id = $1 FOR UPDATE', [tenantId]);
  if (!schedule) return done;
  const [contract] = await tx.query<Contract>('SELECT term_months, auto_renew, term_end::text FROM contracts WHERE tenant_id = $1 FOR UPDATE', [tenantId]);
  const history = await loadHistory(tx, tenantId);
  if (history.length === 0) return done;
  const billing = history[0]!.effectiveOn;
  const catalog = await loadCatalog(tx);
  const by: BillingActor = { context, actor: 'billing-run' };
  const cursor: Schedule = { nextPeriodStart: schedule.next_period_start };
  let termEnd = contract?.term_end ?? null;

  const current = () => history[history.length - 1]!;
  const transition = async (change: string, on: IsoDate, state: SubscriptionState) => {
    history.push(await recordChange(tx, by, tenantId, change, on, state));
    done.transitions.push(`${change}@${on}`);
  };

  for (;;) {
    const state = current();
    const terminal = state.status === 'canceled' || state.status === 'expired';
    // After the subscription ends, one more invoice (its last prorations and usage), then none.
    if (terminal && cursor.nextPeriodStart > nextMonthStart(state.effectiveOn)) break;
    const candidates = [cursor.nextPeriodStart];
    if (state.status === 'trialing' && subscription.trial_ends_on) candidates.push(subscription.trial_ends_on);
    if (!terminal && termEnd) candidates.push(termEnd);
    const on = candidates.sort()[0]!;
    if (on > through) break;

    if (state.status === 'trialing' && subscription.trial_ends_on === on) {
      await transition('trial_ended', on, { ...stateOf(current()), status: 'active' });
    }
    const periodOpens = on === cursor.nextPeriodStart;
    if (periodOpens && current().cancelAtPeriodEnd && !isTerminal(current())) {
      await transition('canceled', on, { ...stateOf(current()), status: 'canceled', cancelAtPeriodEnd: false, pendingPlan: null });
    }
    if (termEnd === on && !isTerminal(current())) {
      if (contract!.auto_renew) {
        termEnd = addMonths(termEnd, contract!.term_months);
        await tx.query('UPDATE contracts SET term_start = term_end, term_end = $2 WHERE tenant_id = $1', [tenantId, termEnd]);
        await transition('renewed', on, stateOf(current()));
      } else {
        await transition('expired', on, { ...stateOf(current()), status: 'expired', cancelAtPeriodEnd: false, pendingPlan: null });
      }
    }
    if (periodOpens && current().pendingPlan && !isTerminal(current())) {
      await transition('downgraded', on, { ...stateOf(current()), plan: current().pendingPlan!, pendingPlan: null });
    }
    if (!periodOpens) continue;

    const period = periodOf(billing, on);
    const usage = await unbilledUsage(tx, tenantId, period.start);
    const lines = computeInvoiceLines(history, period, usage, catalog);
    if (lines.length > 0) done.invoices.push(await issueInvoice(tx, tenantId, period, current(), lines, usage, catalog));
    cursor.nextPeriodStart = period.end;
    await tx.query('UPDATE invoice_schedules SET next_period_start = $2 WHERE tenant_id = $1', [tenantId, period.end]);
  }
  return done;
}

const isTerminal = (state: SubscriptionState) => state.status === 'canceled' || state.status === 'expired';

/** The first day of the latest period the run has invoiced (or passed), or null before the first. */
export async function lastProcessedPeriodStart(tx: Tx, tenantId: string): Promise<IsoDate | null> {
  const history = await loadHistory(tx, tenantId);
  const [schedule] = await tx.query<{ next_period_start: string }>('SELECT next_period_start::text FROM invoice_schedules WHERE tenant_id = $1', [tenantId]);
  if (!schedule || history.length === 0) return null;
  const billing = history[0]!.effectiveOn;
  if (schedule.next_period_start <= billing) return null;
  const dayBefore = addDays(schedule.next_period_start, -1);
  return periodOf(billing, dayBefore).start;
}

/** Whether a state is billed: for metrics and entitlements. */
export const isBilled = (state: Pick<SubscriptionState, 'status'>) => BILLED_STATUSES.has(state.status);
