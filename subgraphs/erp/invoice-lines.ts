/**
 * What an invoice holds, computed from its inputs alone — the subscription's history, the usage
 * known when it was issued, the catalog — so that the invoice run and the reconciliation
 * (reconcile.ts) are the same function. The rules (docs/billing.md):
 *
 * - Periods are calendar months in UTC; the first runs from the subscription's start to the next
 *   1st. The invoice for a period is issued on its first day, in advance.
 * - Recurring lines price the state the period opens with: history rows effective before it, and
 *   the rows the billing run itself writes on its first day (start, trial end, renewal, expiry, a
 *   downgrade or cancellation that waited for the period's end). At the catalog version in effect that day.
 * - Every other change in the previous period (an upgrade, an add-on added or removed, a trial or
 *   term that ended mid-month) is prorated on the next invoice, per item: a credit for what the
 *   old state would have cost from the change to the period's end, a charge for the new state
 *   over the same days, each `price × days / days in the month` rounded half up on its magnitude.
 * - Usage of each month before the period is charged per started block beyond the plan's
 *   included quantity (the plan on the month's last day, the version of that month), less what
 *   earlier invoices charged for the same month.
 */
import { daysBetween, daysInMonth, nextMonthStart, overageCharge, prorate, type IsoDate } from './billing-math.js';
import type { Catalog } from './catalog.js';

export const SUBSCRIPTION_STATUSES = ['trialing', 'active', 'past_due', 'canceled', 'expired'] as const;
export type SubscriptionStatus = (typeof SUBSCRIPTION_STATUSES)[number];
/** Statuses that are billed (and earn recurring revenue). */
export const BILLED_STATUSES: ReadonlySet<string> = new Set(['active', 'past_due']);

export interface SubscriptionState {
  plan: string;
  addons: readonly string[];
  status: SubscriptionStatus;
  currency: string;
  pendingPlan: string | null;
  cancelAtPeriodEnd: boolean;
}

export interface HistoryRow extends SubscriptionState {
  seq: number;
  effectiveOn: IsoDate;
  change: string;
}

/** Rows the billing run writes on a period's first day: part of the state the period opens with. */
export const PERIOD_OPENING_CHANGES: ReadonlySet<string> = new Set(['started', 'recorded', 'trial_ended', 'renewed', 'expired', 'downgraded', 'canceled']);

export type LineKind = 'recurring' | 'addon' | 'proration' | 'usage' | 'credit' | 'tax';

export interface InvoiceLine {
  kind: LineKind;
  item: string | null;
  description: string;
  quantity: number;
  amountMinor: number;
  coversFrom: IsoDate;
  coversTo: IsoDate;
}

export interface UsageMonth {
  meter: string;
  /** The month, as its first day. */
  month: IsoDate;
  /** Everything known for the month when the invoice is made. */
  total: number;
  /** What earlier invoices charged for. */
  billedBefore: number;
}

export interface Period {
  start: IsoDate;
  end: IsoDate;
}

/** The first day of billing: the subscription's first history row. */
export function billingStart(history: readonly HistoryRow[]): IsoDate {
  const first = history[0];
  if (!first) throw new Error('A subscription without history has no billing start');
  return first.effectiveOn;
}

/** The period containing `date` (on or after the billing start). */
export function periodOf(start: IsoDate, date: IsoDate): Period {
  const periodStart = date.slice(0, 7) === start.slice(0, 7) ? start : `${date.slice(0, 7)}-01`;
  return { start: periodStart, end: nextMonthStart(date) };
}

/** The period before the one starting on `start`, or null for the first. */
export function previousPeriod(billing: IsoDate, start: IsoDate): Period | null {
  if (start <= billing) return null;
  const day = new Date(Date.parse(`${start}T00:00:00Z`) - 86_400_000).toISOString().slice(0, 10);
  return periodOf(billing, day);
}

/** The state the history leaves in effect at the end of `date` (every row on or before it). */
export function stateAt(history: readonly HistoryRow[], date: IsoDate): HistoryRow | null {
  let found: HistoryRow | null = null;
  for (const row of history) if (row.effectiveOn <= date) found = row;
  return found;
}

/** The state a period opens with (see the module comment). */
export function openingState(history: readonly HistoryRow[], periodStart: IsoDate): HistoryRow | null {
  let found: HistoryRow | null = null;
  for (const row of history) {
    if (row.effectiveOn < periodStart || (row.effectiveOn === periodStart && PERIOD_OPENING_CHANGES.has(row.change))) found = row;
  }
  return found;
}

/** The monthly price of each billed item of a state: the plan and each add-on, none when not billed. */
function billedItems(state: SubscriptionState | null, catalog: Catalog, version: number): Map<string, { kind: 'plan' | 'addon'; code: string; price: number }> {
  const items = new Map<string, { kind: 'plan' | 'addon'; code: string; price: number }>();
  if (!state || !BILLED_STATUSES.has(state.status)) return items;
  items.set(`plan:${state.plan}`, { kind: 'plan', code: state.plan, price: catalog.planPrice(state.plan, version, state.currency) });
  for (const addon of state.addons) items.set(`addon:${addon}`, { kind: 'addon', code: addon, price: catalog.addonPrice(addon, version, state.currency) });
  return items;
}

const nameOf = (catalog: Catalog, item: { kind: 'plan' | 'addon'; code: string }) =>
  item.kind === 'plan' ? `${catalog.planName(item.code)} plan` : `${catalog.addonName(item.code)} add-on`;

function recurringLines(history: readonly HistoryRow[], period: Period, catalog: Catalog): InvoiceLine[] {
  const state = openingState(history, period.start);
  const version = catalog.versionOn(period.start);
  const days = daysBetween(period.start, period.end);
  const monthDays = daysInMonth(period.start);
  return [...billedItems(state, catalog, version).values()].map((item) => ({
    kind: item.kind === 'plan' ? 'recurring' : 'addon',
    item: item.code,
    description: days === monthDays ? nameOf(catalog, item) : `${nameOf(catalog, item)}, ${days} of ${monthDays} days`,
    quantity: 1,
    amountMinor: prorate(item.price, days, monthDays),
    coversFrom: period.start,
    coversTo: period.end,
  }));
}

function prorationLines(history: readonly HistoryRow[], previous: Period, catalog: Catalog): InvoiceLine[] {
  const version = catalog.versionOn(previous.start);
  const monthDays = daysInMonth(previous.start);
  const lines: InvoiceLine[] = [];
  let before: HistoryRow | null = null;
  for (const row of history) {
    const inPeriod = row.effectiveOn >= previous.start && row.effectiveOn < previous.end;
    const opening = row.effectiveOn === previous.start && PERIOD_OPENING_CHANGES.has(row.change);
    if (inPeriod && !opening) {
      const days = daysBetween(row.effectiveOn, previous.end);
      const old = billedItems(before, catalog, version);
      const now = billedItems(row, catalog, version);
      for (const [key, item] of old) {
        if (now.get(key)?.price === item.price) continue;
        lines.push({
          kind: 'proration',
          item: item.code,
          description: `${nameOf(catalog, item)}: credit for ${days} unused days from ${row.effectiveOn} (${row.change})`,
          quantity: days,
          amountMinor: -prorate(item.price, days, monthDays),
          coversFrom: row.effectiveOn,
          coversTo: previous.end,
        });
      }
      for (const [key, item] of now) {
        if (old.get(key)?.price === item.price) continue;
        lines.push({
          kind: 'proration',
          item: item.code,
          description: `${nameOf(catalog, item)}: ${days} days from ${row.effectiveOn} (${row.change})`,
          quantity: days,
          amountMinor: prorate(item.price, days, monthDays),
          coversFrom: row.effectiveOn,
          coversTo: previous.end,
        });
      }
    }
    before = row;
  }
  return lines;
}

function usageLines(history: readonly HistoryRow[], usage: readonly UsageMonth[], catalog: Catalog): InvoiceLine[] {
  const lines: InvoiceLine[] = [];
  const ordered = [...usage].sort((a, b) => a.month.localeCompare(b.month) || a.meter.localeCompare(b.meter));
  for (const month of ordered) {
    if (month.total <= month.billedBefore) continue;
    const monthEnd = nextMonthStart(month.month);
    const lastDay = new Date(Date.parse(`${monthEnd}T00:00:00Z`) - 86_400_000).toISOString().slice(0, 10);
    const state = stateAt(history, lastDay);
    const fresh = month.total - month.billedBefore;
    let amount = 0;
    let allowance = '';
    // Usage while on trial (or before the subscription) is free.
    if (state && state.status !== 'trialing') {
      const price = catalog.meterPrice(state.plan, month.meter, catalog.versionOn(month.month), state.currency);
      amount =
        overageCharge(month.total, price.includedQuantity, price.blockSize, price.blockPriceMinor) -
        overageCharge(month.billedBefore, price.includedQuantity, price.blockSize, price.blockPriceMinor);
      allowance = `, ${price.includedQuantity} included on ${catalog.planName(state.plan)}`;
    }
    lines.push({
      kind: 'usage',
      item: month.meter,
      description: `${month.meter} in ${month.month.slice(0, 7)}: ${fresh} (${month.total} in the month${allowance})`,
      quantity: fresh,
      amountMinor: amount,
      coversFrom: month.month,
      coversTo: lastDay,
    });
  }
  return lines;
}

/**
 * The lines of the invoice for `period`, before any credit balance is applied: recurring and
 * add-ons for the period, prorations for the previous one, usage of earlier months.
 */
export function computeInvoiceLines(history: readonly HistoryRow[], period: Period, usage: readonly UsageMonth[], catalog: Catalog): InvoiceLine[] {
  const previous = previousPeriod(billingStart(history), period.start);
  return [...recurringLines(history, period, catalog), ...(previous ? prorationLines(history, previous, catalog) : []), ...usageLines(history, usage, catalog)];
}

/**
 * The credit line that settles a subtotal against the tenant's credit balance: a negative
 * subtotal is carried to the balance (the invoice totals zero), a positive one draws on it.
 * Answers the line (or null) and the change to the balance.
 */
export function creditLine(subtotalMinor: number, balanceMinor: number, period: Period): { line: InvoiceLine | null; balanceChange: number } {
  if (subtotalMinor < 0) {
    return {
      line: { kind: 'credit', item: null, description: 'Credit carried to your balance', quantity: 1, amountMinor: -subtotalMinor, coversFrom: period.start, coversTo: period.start },
      balanceChange: -subtotalMinor,
    };
  }
  const applied = Math.min(subtotalMinor, Math.max(0, balanceMinor));
  if (applied === 0) return { line: null, balanceChange: 0 };
  return {
    line: { kind: 'credit', item: null, description: 'Credit balance applied', quantity: 1, amountMinor: -applied, coversFrom: period.start, coversTo: period.start },
    balanceChange: -applied,
  };
}
