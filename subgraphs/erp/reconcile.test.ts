import { describe, expect, it } from 'vitest';
import { accuracyOf, compareInvoice, type StoredLine } from './reconcile.js';

const lines: StoredLine[] = [
  { kind: 'recurring', item: 'premium', quantity: 1, amountMinor: 149900 },
  { kind: 'proration', item: 'standard', quantity: 12, amountMinor: -19316 },
  { kind: 'usage', item: 'eligibility_checks', quantity: 5500, amountMinor: 10000 },
];
const total = 149900 - 19316 + 10000;

describe('compareInvoice', () => {
  it('finds nothing when lines and total agree', () => {
    expect(compareInvoice(lines, lines.map((l) => ({ ...l })), total)).toEqual([]);
  });

  it('names a changed amount and quantity, line by line', () => {
    const actual = lines.map((l, i) => (i === 2 ? { ...l, quantity: 5400, amountMinor: 8000 } : l));
    expect(compareInvoice(lines, actual, total)).toEqual([
      { kind: 'usage', item: 'eligibility_checks', expectedMinor: 10000, actualMinor: 8000, note: 'line 3: quantity 5400, expected 5500; amount 8000, expected 10000' },
    ]);
  });

  it('names missing and unexpected lines, another item, and a total that differs', () => {
    expect(compareInvoice(lines, lines.slice(0, 2), total)).toEqual([
      { kind: 'usage', item: 'eligibility_checks', expectedMinor: 10000, actualMinor: null, note: 'line 3 missing' },
    ]);
    const extra = { kind: 'credit', item: null, quantity: 1, amountMinor: -500 };
    expect(compareInvoice(lines, [...lines, extra], total)).toEqual([{ kind: 'credit', item: null, expectedMinor: null, actualMinor: -500, note: 'line 4 not expected' }]);
    const swapped = [{ ...lines[0]!, item: 'enterprise' }, lines[1]!, lines[2]!];
    expect(compareInvoice(lines, swapped, total)[0]).toMatchObject({ kind: 'recurring', item: 'enterprise', note: 'line 1 is recurring enterprise, expected recurring premium' });
    expect(compareInvoice(lines, lines, total + 1)).toEqual([{ kind: 'total', item: null, expectedMinor: total, actualMinor: total + 1, note: 'invoice total' }]);
  });
});

describe('accuracyOf', () => {
  it('is the share of invoices that reconcile, 1 when none were checked', () => {
    expect(accuracyOf(0, 0)).toBe(1);
    expect(accuracyOf(4, 3)).toBe(0.75);
    expect(accuracyOf(2, 0)).toBe(0);
  });
});
