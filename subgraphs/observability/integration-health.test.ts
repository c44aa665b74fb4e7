/** Percentiles of integration latency from the catalogue's buckets, as Prometheus' histogram_quantile estimates them. */
import { describe, expect, it } from 'vitest';
import { INTEGRATION_LATENCY_BUCKETS_MS } from '../../lib/events/catalog.js';
import { quantileOf } from './integration-health.js';

const buckets = (counts: Record<number, number>) => Array.from({ length: INTEGRATION_LATENCY_BUCKETS_MS.length + 1 }, (_, index) => counts[index] ?? 0);

describe('quantileOf', () => {
  it('is null without calls', () => {
    expect(quantileOf(buckets({}), 0.95)).toBeNull();
  });

  it('interpolates within the bucket the rank falls in', () => {
    // 100 calls: 90 at or under 10 ms, 10 in (50, 100]: the 95th is halfway into that bucket.
    expect(quantileOf(buckets({ 0: 90, 3: 10 }), 0.95)).toBe(75);
    expect(quantileOf(buckets({ 0: 100 }), 0.95)).toBe(9.5);
  });

  it('answers the last bound when the rank falls past it', () => {
    expect(quantileOf(buckets({ 0: 1, [INTEGRATION_LATENCY_BUCKETS_MS.length]: 99 }), 0.95)).toBe(30_000);
  });
});
