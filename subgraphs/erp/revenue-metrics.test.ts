import { describe, expect, it } from 'vitest';
import type { Catalog } from './catalog.js';
import type { HistoryRow } from './invoice-lines.js';
import { mrrOn, revenueSummary } from './revenue-metrics.js';

/** Basic costs 10 000 a month in USD and 9 000 in EUR, 12 000 in USD from catalog version 2 (May 2026). */
const catalog = {
  versionOn: (date: string) => (date >= '2026-05-01' ? 2 : 1),
  planPrice: (_plan: string, version: number, currency: string) => (currency === 'EUR' ? 9_000 : version === 2 ? 12_000 : 10_000),
  addonPrice: () => 1_000,
} as unknown as Catalog;

const row = (effectiveOn: string, change: string, state: Partial<HistoryRow> = {}): HistoryRow => ({
  seq: 0,
  effectiveOn,
  change,
  plan: 'basic',
  addons: [],
  status: 'active',
  currency: 'USD',
  pendingPlan: null,
  cancelAtPeriodEnd: false,
  ...state,
});

describe('MRR', () => {
  it('counts billed subscriptions only, at the day’s catalog version', () => {
    const history = [row('2026-01-01', 'started', { status: 'trialing' }), row('2026-01-15', 'trial_ended', { addons: ['x'] }), row('2026-03-01', 'past_due', { status: 'past_due', addons: ['x'] })];
    expect(mrrOn(history, '2026-01-14', catalog).mrrMinor).toBe(0);
    expect(mrrOn(history, '2026-01-15', catalog).mrrMinor).toBe(11_000);
    expect(mrrOn(history, '2026-03-31', catalog).mrrMinor).toBe(11_000);
    // A price change is an expansion of every tenant on the plan, from the version's first day.
    expect(mrrOn(history, '2026-05-01', catalog).mrrMinor).toBe(13_000);
  });

  it('leaves the ratios null when nobody was billed at the start, and other currencies out', () => {
    const histories = new Map([
      ['a', [row('2026-04-10', 'started')]],
      ['b', [row('2026-01-01', 'started', { currency: 'EUR' })]],
    ]);
    const summary = revenueSummary(histories, '2026-04-01', '2026-04-30', 'USD', catalog);
    expect(summary).toMatchObject({ startingMrrMinor: 0, mrrMinor: 10_000, newMrrMinor: 10_000, nrr: null, grr: null, logoChurn: null });
    expect(summary.movements.map((m) => m.tenantId)).toEqual(['a']);
    expect(revenueSummary(histories, '2026-04-01', '2026-04-30', 'EUR', catalog)).toMatchObject({ startingMrrMinor: 9_000, mrrMinor: 9_000, nrr: 1 });
  });
});
