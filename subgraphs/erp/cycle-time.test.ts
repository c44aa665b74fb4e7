import { describe, expect, it } from 'vitest';
import { DIRECT, groupCycles, mean, median, UNKNOWN_TIER } from './cycle-time.js';

describe('cycle-time figures', () => {
  it('takes the middle value, or the mean of the two middle values', () => {
    expect(median([30])).toBe(30);
    expect(median([40, 10, 20])).toBe(20);
    expect(median([10, 40, 20, 31])).toBe(25.5);
    expect(median([])).toBeNaN();
    expect(mean([10, 20, 31])).toBeCloseTo(20.333, 3);
    expect(mean([])).toBeNaN();
  });

  it('groups by tenant, partner or tier, direct tenants and unknown tiers together, rounded to two decimals', () => {
    const cycles = [
      { tenantId: 'b', partnerId: 'p1', tier: 'standard', days: 10 },
      { tenantId: 'a', partnerId: 'p1', tier: 'critical', days: 20 },
      { tenantId: 'c', partnerId: 'p1', tier: 'standard', days: 31 },
      { tenantId: 'd', partnerId: null, tier: null, days: 45 },
    ];
    expect(groupCycles(cycles, 'partner')).toEqual([
      { key: DIRECT, tenantId: null, partnerId: null, tier: null, count: 1, medianDays: 45, meanDays: 45 },
      { key: 'p1', tenantId: null, partnerId: 'p1', tier: null, count: 3, medianDays: 20, meanDays: 20.33 },
    ]);
    expect(groupCycles(cycles, 'tier').map((group) => [group.key, group.tier, group.count, group.medianDays, group.meanDays])).toEqual([
      ['critical', 'critical', 1, 20, 20],
      ['standard', 'standard', 2, 20.5, 20.5],
      [UNKNOWN_TIER, null, 1, 45, 45],
    ]);
    expect(groupCycles(cycles, 'tenant').map((group) => [group.key, group.tenantId, group.count, group.medianDays])).toEqual([
      ['a', 'a', 1, 20],
      ['b', 'b', 1, 10],
      ['c', 'c', 1, 31],
      ['d', 'd', 1, 45],
    ]);
    expect(groupCycles([], 'tenant')).toEqual([]);
  });
});
