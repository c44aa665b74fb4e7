/** Gross margin's arithmetic (margin.ts): revenue less costs per tenant or partner and currency, never converted. */
import { describe, expect, it } from 'vitest';
import { combineMargin } from './margin.js';

const A = '00000000-0000-4000-8000-00000000000a';
const B = '00000000-0000-4000-8000-00000000000b';
const C = '00000000-0000-4000-8000-00000000000c';
const P = '00000000-0000-4000-8000-0000000000ff';

const revenue = [
  { tenantId: A, currency: 'USD', amountMinor: 100_000 },
  { tenantId: B, currency: 'USD', amountMinor: 50_000 },
  { tenantId: B, currency: 'EUR', amountMinor: 40_000 },
];
const costs = [
  { tenantId: A, currency: 'USD', amountMinor: 25_000 },
  { tenantId: C, currency: 'USD', amountMinor: 10_000 },
];
const partners = new Map([
  [A, P],
  [B, P],
]);

describe('combineMargin', () => {
  it('subtracts costs from revenue per tenant and currency, with the share of revenue', () => {
    expect(combineMargin(revenue, costs, partners, 'tenant')).toEqual([
      { tenantId: A, partnerId: P, currency: 'USD', revenueMinor: 100_000, costMinor: 25_000, marginMinor: 75_000, marginShare: 0.75 },
      { tenantId: B, partnerId: P, currency: 'EUR', revenueMinor: 40_000, costMinor: 0, marginMinor: 40_000, marginShare: 1 },
      { tenantId: B, partnerId: P, currency: 'USD', revenueMinor: 50_000, costMinor: 0, marginMinor: 50_000, marginShare: 1 },
      // Costs without revenue: a negative margin and no share.
      { tenantId: C, partnerId: null, currency: 'USD', revenueMinor: 0, costMinor: 10_000, marginMinor: -10_000, marginShare: null },
    ]);
  });

  it('sums a partner’s tenants per currency, and puts tenants without a partner on one line', () => {
    expect(combineMargin(revenue, costs, partners, 'partner')).toEqual([
      { tenantId: null, partnerId: null, currency: 'USD', revenueMinor: 0, costMinor: 10_000, marginMinor: -10_000, marginShare: null },
      { tenantId: null, partnerId: P, currency: 'EUR', revenueMinor: 40_000, costMinor: 0, marginMinor: 40_000, marginShare: 1 },
      { tenantId: null, partnerId: P, currency: 'USD', revenueMinor: 150_000, costMinor: 25_000, marginMinor: 125_000, marginShare: 125_000 / 150_000 },
    ]);
  });
});
