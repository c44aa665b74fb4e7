import { describe, expect, it } from 'vitest';
import { drawsFor, hash32, idFrom, mulberry32, pick } from './random.js';

const take = (draws: () => number, n: number) => Array.from({ length: n }, () => draws());

describe('the seeded draws', () => {
  it('are the same for the same parts, on every run: pinned values', () => {
    // Pinned, so that a change of hash or generator (which would change every simulated outcome
    // the connector tests rely on) is a decision and not an accident.
    expect(take(drawsFor(42, 'payer_claims', 'key-1', 1), 3)).toEqual(take(drawsFor(42, 'payer_claims', 'key-1', 1), 3));
    expect(take(mulberry32(42), 3).map((value) => value.toFixed(6))).toEqual(['0.601104', '0.448291', '0.852466']);
    expect(hash32('claim-1')).toBe(1_634_954_019);
  });

  it('differ with the seed, with any part, and with how the parts are split', () => {
    const first = (...parts: (string | number)[]) => drawsFor(42, ...parts)();
    expect(drawsFor(7, 'ehr', 'x')()).not.toBe(first('ehr', 'x'));
    expect(first('ehr', 'x', 1)).not.toBe(first('ehr', 'x', 2));
    expect(first('a-b', 'c')).not.toBe(first('a', 'b-c'));
    // Keys that differ in their last character only land far apart.
    const neighbours = Array.from({ length: 50 }, (_, i) => first('payer_claims', `claim-${i}`, 1));
    expect(Math.max(...neighbours) - Math.min(...neighbours)).toBeGreaterThan(0.8);
  });

  it('spread evenly over [0, 1)', () => {
    const values = take(drawsFor(42, 'spread'), 10_000);
    expect(Math.min(...values)).toBeGreaterThanOrEqual(0);
    expect(Math.max(...values)).toBeLessThan(1);
    const deciles = Array.from({ length: 10 }, (_, d) => values.filter((v) => Math.floor(v * 10) === d).length);
    for (const count of deciles) expect(count).toBeGreaterThan(900);
    for (const count of deciles) expect(count).toBeLessThan(1100);
  });

  it('pick from a list and make ids of the alphabet', () => {
    const draws = drawsFor(1, 'pick');
    const picked = new Set(Array.from({ length: 100 }, () => pick(draws, ['a', 'b', 'c'] as const)));
    expect([...picked].sort()).toEqual(['a', 'b', 'c']);
    const id = idFrom(drawsFor(1, 'id'), 12);
    expect(id).toMatch(/^[A-HJ-NP-Z2-9]{12}$/);
    expect(idFrom(drawsFor(1, 'id'), 12)).toBe(id);
  });
});
