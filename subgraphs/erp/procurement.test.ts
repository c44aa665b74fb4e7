/** Procurement's pure parts (procurement.ts): the date window costs and margins are read over. The workflow is in test/e2e/procurement.e2e.test.ts. */
import { describe, expect, it } from 'vitest';
import { COST_STATUSES, dateWindow } from './procurement.js';

describe('dateWindow', () => {
  it('takes two real dates, both days included, the first not after the second', () => {
    expect(dateWindow('2026-01-01', '2026-01-31')).toEqual({ from: '2026-01-01', to: '2026-01-31' });
    expect(dateWindow('2026-03-05', '2026-03-05')).toEqual({ from: '2026-03-05', to: '2026-03-05' });
  });

  it('refuses anything else with BAD_USER_INPUT naming the argument', () => {
    for (const [from, to, argument] of [
      ['2026-02-30', '2026-03-01', 'from'],
      ['2026-01-01', '31/01/2026', 'to'],
      ['2026-02-01', '2026-01-31', 'from'],
    ] as const) {
      expect(() => dateWindow(from, to)).toThrow(expect.objectContaining({ extensions: expect.objectContaining({ code: 'BAD_USER_INPUT', argument }) as unknown }) as Error);
    }
  });
});

describe('costs', () => {
  it('count received and billed orders only', () => {
    expect([...COST_STATUSES]).toEqual(['received', 'billed']);
  });
});
