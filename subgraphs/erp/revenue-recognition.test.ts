import { describe, expect, it } from 'vitest';
import { deferredBalance, recognisedBetween, recognitionOf, spreadEvenly } from './revenue-recognition.js';

const sum = (values: readonly number[]) => values.reduce((a, b) => a + b, 0);

describe('spreadEvenly', () => {
  it('splits an amount into parts that add up to it exactly and differ by at most one', () => {
    for (const [amount, parts] of [
      [149900, 31],
      [100, 3],
      [1, 365],
      [-19316, 12],
      [0, 5],
      [999_999_999_999, 366],
      [7, 7],
    ] as const) {
      const spread = spreadEvenly(amount, parts);
      expect(spread).toHaveLength(parts);
      expect(sum(spread)).toBe(amount);
      expect(Math.max(...spread) - Math.min(...spread)).toBeLessThanOrEqual(1);
    }
  });

  it('rounds cumulatively, half up on the magnitude', () => {
    expect(spreadEvenly(100, 3)).toEqual([33, 34, 33]);
    expect(spreadEvenly(-100, 3)).toEqual([-33, -34, -33]);
    expect(spreadEvenly(2, 4)).toEqual([1, 0, 1, 0]);
  });

  it('refuses fractions and no parts', () => {
    expect(() => spreadEvenly(1.5, 2)).toThrow(RangeError);
    expect(() => spreadEvenly(10, 0)).toThrow(RangeError);
  });
});

describe('recognitionOf', () => {
  it('earns a monthly recurring line by day over its month', () => {
    const line = { kind: 'recurring', amountMinor: 149900, coversFrom: '2026-03-01', coversTo: '2026-04-01' };
    const days = recognitionOf(line, '2026-03-01');
    expect(days).toHaveLength(31);
    expect(sum(days.map((d) => d.amountMinor))).toBe(149900);
    expect(recognisedBetween(line, '2026-03-01', '2026-03-01', '2026-03-31')).toBe(149900);
    // 10 of 31 days: round(149 900 × 10 / 31) = 48 355.
    expect(recognisedBetween(line, '2026-03-01', null, '2026-03-10')).toBe(48355);
  });

  it('earns a line covering twelve months month by month, by the days of each', () => {
    const line = { kind: 'recurring', amountMinor: 1_200_000, coversFrom: '2026-01-01', coversTo: '2027-01-01' };
    const months = ['01', '02', '03', '04', '05', '06', '07', '08', '09', '10', '11', '12'].map((m) => {
      const from = `2026-${m}-01`;
      const last = new Date(Date.UTC(2026, Number(m), 0)).toISOString().slice(0, 10);
      return recognisedBetween(line, '2026-01-01', from, last);
    });
    expect(sum(months)).toBe(1_200_000);
    // January: round(1 200 000 × 31 / 365) = 101 918; February: round(… × 59 / 365) − 101 918 = 92 055.
    expect(months[0]).toBe(101918);
    expect(months[1]).toBe(92055);
  });

  it('recognises on the issue date what covers days before it (a proration, usage)', () => {
    const proration = { kind: 'proration', amountMinor: 58026, coversFrom: '2026-01-20', coversTo: '2026-02-01' };
    expect(recognitionOf(proration, '2026-02-01')).toEqual([{ day: '2026-02-01', amountMinor: 58026 }]);
    const usage = { kind: 'usage', amountMinor: 10000, coversFrom: '2026-01-01', coversTo: '2026-01-31' };
    expect(recognitionOf(usage, '2026-02-01')).toEqual([{ day: '2026-02-01', amountMinor: 10000 }]);
    const partly = { kind: 'recurring', amountMinor: 3100, coversFrom: '2026-03-01', coversTo: '2026-04-01' };
    expect(recognitionOf(partly, '2026-03-11')[0]).toEqual({ day: '2026-03-11', amountMinor: 1100 });
    expect(sum(recognitionOf(partly, '2026-03-11').map((d) => d.amountMinor))).toBe(3100);
  });

  it('does not recognise credit lines', () => {
    expect(recognitionOf({ kind: 'credit', amountMinor: -10000, coversFrom: '2026-04-01', coversTo: '2026-04-01' }, '2026-04-01')).toEqual([]);
  });
});

describe('deferredBalance', () => {
  it('is the unearned part of issued lines plus the credit balance held', () => {
    const invoices = [
      {
        tenantId: 't',
        issuedOn: '2026-01-01',
        totalMinor: 1_200_000,
        lines: [{ kind: 'recurring', amountMinor: 1_200_000, coversFrom: '2026-01-01', coversTo: '2027-01-01' }],
      },
    ];
    expect(deferredBalance(invoices, [], '2025-12-31')).toBe(0);
    expect(deferredBalance(invoices, [], '2026-01-31')).toBe(1_200_000 - 101918);
    expect(deferredBalance(invoices, [], '2026-12-31')).toBe(0);
    expect(deferredBalance(invoices, [{ tenantId: 't', on: '2026-06-15', amountMinor: 500 }], '2026-12-31')).toBe(500);
  });
});
