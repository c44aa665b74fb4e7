import { describe, expect, it } from 'vitest';
import type { Catalog } from './catalog.js';
import { computeInvoiceLines, creditLine, openingState, periodOf, previousPeriod, type HistoryRow } from './invoice-lines.js';

/**
 * A catalog of two versions: v2 (from April 2026) raises Basic from 10 000 to 12 000 a month.
 * Meter `checks`: 100 included on Basic, 1 000 on Pro; 50 per started block of 10 beyond.
 */
const catalog: Catalog = {
  versionOn: (date) => (date >= '2026-04-01' ? 2 : 1),
  planPrice: (plan, version) => ({ basic: version === 2 ? 12_000 : 10_000, pro: 31_000 })[plan]!,
  addonPrice: () => 3_100,
  meterPrice: (plan) => ({ includedQuantity: plan === 'pro' ? 1_000 : 100, blockSize: 10, blockPriceMinor: 50 }),
  planFeatures: () => [],
  addonFeatures: () => [],
  planName: (plan) => plan,
  addonName: (addon) => addon,
  isPlan: () => true,
  isAddon: () => true,
  isMeter: () => true,
  isCurrency: () => true,
  issuerOf: () => 'US',
  bundled: () => [],
};

let seq = 0;
function row(effectiveOn: string, change: string, state: Partial<HistoryRow> = {}): HistoryRow {
  return { seq: ++seq, effectiveOn, change, plan: 'basic', addons: [], status: 'active', currency: 'USD', pendingPlan: null, cancelAtPeriodEnd: false, ...state };
}

const amounts = (lines: { kind: string; item: string | null; amountMinor: number }[]) => lines.map((l) => [l.kind, l.item, l.amountMinor]);

describe('billing periods', () => {
  it('starts with the partial month and then follows calendar months', () => {
    expect(periodOf('2026-01-20', '2026-01-25')).toEqual({ start: '2026-01-20', end: '2026-02-01' });
    expect(periodOf('2026-01-20', '2026-02-14')).toEqual({ start: '2026-02-01', end: '2026-03-01' });
    expect(previousPeriod('2026-01-20', '2026-02-01')).toEqual({ start: '2026-01-20', end: '2026-02-01' });
    expect(previousPeriod('2026-01-20', '2026-01-20')).toBeNull();
  });

  it('opens a period with the changes the run writes on its first day, not with an upgrade on that day', () => {
    const history = [row('2026-01-01', 'started'), row('2026-02-01', 'downgraded', { plan: 'basic' }), row('2026-03-01', 'upgraded', { plan: 'pro' })];
    expect(openingState(history, '2026-02-01')!.change).toBe('downgraded');
    expect(openingState(history, '2026-03-01')!.change).toBe('downgraded');
  });
});

describe('invoice lines', () => {
  it('bills the first, partial month pro rata, rounded half up', () => {
    const history = [row('2026-01-20', 'started')];
    // 10 000 × 12 / 31 = 3 870.97 → 3 871
    expect(amounts(computeInvoiceLines(history, { start: '2026-01-20', end: '2026-02-01' }, [], catalog))).toEqual([['recurring', 'basic', 3871]]);
  });

  it('prices each period at the catalog version of its first day and never re-prices an earlier one', () => {
    const history = [row('2026-01-01', 'started')];
    expect(amounts(computeInvoiceLines(history, { start: '2026-03-01', end: '2026-04-01' }, [], catalog))).toEqual([['recurring', 'basic', 10_000]]);
    expect(amounts(computeInvoiceLines(history, { start: '2026-04-01', end: '2026-05-01' }, [], catalog))).toEqual([['recurring', 'basic', 12_000]]);
  });

  it('prorates an upgrade on the next invoice: a credit for the old plan and a charge for the new, day-exact', () => {
    const history = [row('2026-01-01', 'started'), row('2026-02-15', 'upgraded', { plan: 'pro' })];
    const lines = computeInvoiceLines(history, { start: '2026-03-01', end: '2026-04-01' }, [], catalog);
    // 14 of February's 28 days: −5 000 for Basic, +15 500 for Pro.
    expect(amounts(lines)).toEqual([
      ['recurring', 'pro', 31_000],
      ['proration', 'basic', -5_000],
      ['proration', 'pro', 15_500],
    ]);
    expect(lines.filter((l) => l.kind === 'proration').map((l) => [l.quantity, l.coversFrom, l.coversTo])).toEqual([
      [14, '2026-02-15', '2026-03-01'],
      [14, '2026-02-15', '2026-03-01'],
    ]);
  });

  it('prorates an add-on added and removed within a month, and leaves unchanged items alone', () => {
    const history = [row('2026-01-01', 'started'), row('2026-03-11', 'addon_added', { addons: ['export'] }), row('2026-03-21', 'addon_removed', { addons: [] })];
    // 3 100 × 21 / 31 = 2 100, then −3 100 × 11 / 31 = −1 100: ten days of the add-on.
    expect(amounts(computeInvoiceLines(history, { start: '2026-04-01', end: '2026-05-01' }, [], catalog))).toEqual([
      ['recurring', 'basic', 12_000],
      ['proration', 'export', 2_100],
      ['proration', 'export', -1_100],
    ]);
  });

  it('charges usage per started block beyond the allowance, less what earlier invoices charged', () => {
    const history = [row('2026-01-01', 'started')];
    const period = { start: '2026-02-01', end: '2026-03-01' };
    // 131 in January: 31 over the 100 included → 4 blocks of 10 → 200.
    expect(amounts(computeInvoiceLines(history, period, [{ meter: 'checks', month: '2026-01-01', total: 131, billedBefore: 0 }], catalog))).toEqual([
      ['recurring', 'basic', 10_000],
      ['usage', 'checks', 200],
    ]);
    // 9 more arrive late (140 in all): the 4 blocks are already billed, so nothing more is owed …
    const late = computeInvoiceLines(history, period, [{ meter: 'checks', month: '2026-01-01', total: 140, billedBefore: 131 }], catalog);
    expect(amounts(late)).toEqual([
      ['recurring', 'basic', 10_000],
      ['usage', 'checks', 0],
    ]);
    expect(late[1]!.quantity).toBe(9);
    // … and usage already billed in full gives no line at all.
    expect(amounts(computeInvoiceLines(history, period, [{ meter: 'checks', month: '2026-01-01', total: 140, billedBefore: 140 }], catalog))).toEqual([['recurring', 'basic', 10_000]]);
  });

  it('uses the allowance of the plan held on the month’s last day', () => {
    const history = [row('2026-01-01', 'started'), row('2026-01-31', 'upgraded', { plan: 'pro' })];
    const usage = [{ meter: 'checks', month: '2026-01-01', total: 900, billedBefore: 0 }];
    const lines = computeInvoiceLines(history, { start: '2026-02-01', end: '2026-03-01' }, usage, catalog);
    expect(lines.find((l) => l.kind === 'usage')!.amountMinor).toBe(0);
  });

  it('bills nothing recurring while trialing and counts trial usage free', () => {
    const history = [row('2026-01-01', 'started', { status: 'trialing' }), row('2026-01-15', 'trial_ended')];
    const lines = computeInvoiceLines(history, { start: '2026-02-01', end: '2026-03-01' }, [{ meter: 'checks', month: '2025-12-01', total: 500, billedBefore: 0 }], catalog);
    // February in full, and the 17 paid days of January (10 000 × 17 / 31 = 5 483.87 → 5 484) as a proration.
    expect(amounts(lines)).toEqual([
      ['recurring', 'basic', 10_000],
      ['proration', 'basic', 5_484],
      ['usage', 'checks', 0],
    ]);
    expect(amounts(computeInvoiceLines(history, { start: '2026-01-01', end: '2026-02-01' }, [], catalog))).toEqual([]);
  });

  it('bills a downgrade from the period it waited for, with no proration', () => {
    const history = [row('2026-01-01', 'started', { plan: 'pro' }), row('2026-01-20', 'downgrade_scheduled', { plan: 'pro', pendingPlan: 'basic' }), row('2026-02-01', 'downgraded')];
    expect(amounts(computeInvoiceLines(history, { start: '2026-02-01', end: '2026-03-01' }, [], catalog))).toEqual([['recurring', 'basic', 10_000]]);
  });

  it('bills nothing after a cancellation', () => {
    const history = [row('2026-01-01', 'started'), row('2026-02-01', 'canceled', { status: 'canceled' })];
    expect(computeInvoiceLines(history, { start: '2026-02-01', end: '2026-03-01' }, [], catalog)).toEqual([]);
  });
});

describe('credit balance', () => {
  const period = { start: '2026-03-01', end: '2026-04-01' };
  it('draws on the balance up to the subtotal', () => {
    expect(creditLine(10_000, 2_500, period)).toMatchObject({ line: { kind: 'credit', amountMinor: -2_500 }, balanceChange: -2_500 });
    expect(creditLine(1_000, 2_500, period)).toMatchObject({ line: { amountMinor: -1_000 }, balanceChange: -1_000 });
    expect(creditLine(1_000, 0, period)).toEqual({ line: null, balanceChange: 0 });
  });

  it('carries a negative subtotal to the balance, leaving a zero invoice', () => {
    expect(creditLine(-4_000, 0, period)).toMatchObject({ line: { kind: 'credit', amountMinor: 4_000 }, balanceChange: 4_000 });
  });
});
