import { describe, expect, it } from 'vitest';
import { addDays, addMonths, daysBetween, daysInMonth, isIsoDate, monthStart, nextMonthStart, overageCharge, prorate } from './billing-math.js';

describe('billing dates', () => {
  it('counts calendar days in UTC, leap years included', () => {
    expect(daysInMonth('2026-02-10')).toBe(28);
    expect(daysInMonth('2028-02-01')).toBe(29);
    expect(daysInMonth('2026-12-31')).toBe(31);
    expect(nextMonthStart('2026-12-15')).toBe('2027-01-01');
    expect(monthStart('2026-03-31')).toBe('2026-03-01');
    expect(daysBetween('2026-03-15', '2026-04-01')).toBe(17);
    expect(daysBetween('2026-04-01', '2026-03-15')).toBe(-17);
    expect(addDays('2026-02-27', 2)).toBe('2026-03-01');
    expect(addMonths('2026-01-31', 1)).toBe('2026-02-28');
    expect(addMonths('2026-03-15', 12)).toBe('2027-03-15');
  });

  it('takes only real dates written YYYY-MM-DD', () => {
    expect(isIsoDate('2026-02-28')).toBe(true);
    for (const bad of ['2026-02-30', '2026-2-28', '2026-02-28T00:00:00Z', 20260228, null, '']) expect(isIsoDate(bad), String(bad)).toBe(false);
  });
});

describe('proration', () => {
  it('rounds half up to the minor unit', () => {
    // 149900 × 17 / 31 = 82203.2258… → 82203; 49900 × 16 / 30 = 26613.33… → 26613.
    expect(prorate(149900, 17, 31)).toBe(82203);
    expect(prorate(49900, 16, 30)).toBe(26613);
    // Exactly half: 1 × 1 / 2 = 0.5 → 1; 3 × 1 / 2 = 1.5 → 2.
    expect(prorate(1, 1, 2)).toBe(1);
    expect(prorate(3, 1, 2)).toBe(2);
    // Just under half goes down: 1 × 1 / 3 = 0.33… → 0.
    expect(prorate(1, 1, 3)).toBe(0);
    // A credit rounds by its size, as the charge it reverses does.
    expect(prorate(-149900, 17, 31)).toBe(-82203);
    expect(prorate(149900, 31, 31)).toBe(149900);
    expect(prorate(149900, 0, 31)).toBe(0);
  });

  it('stays exact beyond 2^53 intermediate products', () => {
    expect(prorate(900_000_000_000_000, 31, 31)).toBe(900_000_000_000_000);
  });

  it('refuses fractions and empty periods', () => {
    expect(() => prorate(10.5, 1, 2)).toThrow(RangeError);
    expect(() => prorate(10, 1, 0)).toThrow(RangeError);
    expect(() => prorate(10, -1, 30)).toThrow(RangeError);
  });
});

describe('overage', () => {
  it('charges per started block beyond the allowance', () => {
    expect(overageCharge(500, 500, 1, 25)).toBe(0);
    expect(overageCharge(503, 500, 1, 25)).toBe(75);
    expect(overageCharge(1001, 1000, 100, 200)).toBe(200);
    expect(overageCharge(1100, 1000, 100, 200)).toBe(200);
    expect(overageCharge(1101, 1000, 100, 200)).toBe(400);
    expect(overageCharge(10, 1000, 100, 200)).toBe(0);
  });
});
