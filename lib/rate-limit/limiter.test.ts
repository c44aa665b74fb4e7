import { describe, expect, it } from 'vitest';
import { RateLimiter, type LimitRule } from './limiter.js';
import { estimate, msUntilBelow } from './sliding-window.js';
import type { CounterStore } from './store.js';

const WINDOW = 60_000;
const quiet = { warn: () => undefined, info: () => undefined };

function clock(start = 1_000 * WINDOW) {
  let now = start;
  return { now: () => now, advance: (ms: number) => void (now += ms) };
}

/** A shared store that can be switched off, counting like the real one (same window arithmetic). */
class SwitchableStore implements CounterStore {
  readonly windowMs = WINDOW;
  up = true;
  calls = 0;
  private readonly counts = new Map<string, number>();
  constructor(private readonly now: () => number) {}
  async hit(hits: ReadonlyMap<string, number>) {
    this.calls += 1;
    if (!this.up) throw new Error('connect ECONNREFUSED');
    const index = Math.floor(this.now() / WINDOW);
    const out = new Map();
    for (const [bucket, n] of hits) {
      const key = `${bucket}@${index}`;
      this.counts.set(key, (this.counts.get(key) ?? 0) + n);
      out.set(bucket, { current: this.counts.get(key)!, previous: this.counts.get(`${bucket}@${index - 1}`) ?? 0, elapsedMs: this.now() % WINDOW, window: index });
    }
    return out;
  }
  async takeBack(buckets: readonly string[], window: number) {
    for (const bucket of buckets) {
      const key = `${bucket}@${window}`;
      if (this.counts.has(key)) this.counts.set(key, Math.max(0, this.counts.get(key)! - 1));
    }
  }
  async close() {}
}

const key: LimitRule = { policy: 'key', bucket: 'key:k1', limit: 5 };
const tenant: LimitRule = { policy: 'tenant', bucket: 'tenant:t1', limit: 8 };

describe('sliding window', () => {
  it('weights the previous window by the part of it still within one window', () => {
    expect(estimate({ current: 2, previous: 10, elapsedMs: WINDOW / 4 }, WINDOW)).toBe(9.5);
    expect(estimate({ current: 2, previous: 10, elapsedMs: WINDOW }, WINDOW)).toBe(2);
  });
  it('says how long until the estimate is under the limit again', () => {
    expect(msUntilBelow({ current: 1, previous: 10, elapsedMs: 0 }, 5, WINDOW)).toBe(Math.ceil(WINDOW * 0.6));
    // Over within the current window alone: the rest of it, then part of the next.
    expect(msUntilBelow({ current: 10, previous: 0, elapsedMs: WINDOW / 2 }, 5, WINDOW)).toBe(WINDOW / 2 + WINDOW / 2);
    expect(msUntilBelow({ current: 1, previous: 0, elapsedMs: 0 }, 5, WINDOW)).toBe(0);
  });
});

describe('RateLimiter', () => {
  it('allows up to the limit, then refuses with Retry-After and the draft headers', async () => {
    const time = clock();
    const store = new SwitchableStore(time.now);
    const limiter = new RateLimiter({ store, windowMs: WINDOW, failOpenMs: 30_000, logger: quiet, now: time.now });
    for (let i = 0; i < 5; i += 1) expect((await limiter.check([key, tenant])).allowed).toBe(true);
    const last = await limiter.check([key, tenant]);
    expect(last).toMatchObject({ allowed: false, refusedBy: key });
    expect(last.headers['ratelimit-policy']).toBe('"key";q=5;w=60, "tenant";q=8;w=60');
    expect(last.headers.ratelimit).toMatch(/^"key";r=0;t=\d+, "tenant";r=1;t=\d+$/);
    expect(Number(last.headers['retry-after'])).toBe(last.retryAfterSeconds);
    expect(last.retryAfterSeconds).toBeGreaterThanOrEqual(1);
  });

  it('refuses a blocked bucket from memory, without a store round trip, until it is under again', async () => {
    const time = clock();
    const store = new SwitchableStore(time.now);
    const limiter = new RateLimiter({ store, windowMs: WINDOW, failOpenMs: 30_000, logger: quiet, now: time.now });
    for (let i = 0; i < 6; i += 1) await limiter.check([key]);
    const calls = store.calls;
    for (let i = 0; i < 100; i += 1) expect((await limiter.check([key])).allowed).toBe(false);
    expect(store.calls).toBe(calls);
    time.advance(2 * WINDOW);
    expect((await limiter.check([key])).allowed).toBe(true);
  });

  it('counts served requests only: a refused hit is taken off every bucket it was added to', async () => {
    const time = clock();
    const store = new SwitchableStore(time.now);
    const limiter = new RateLimiter({ store, windowMs: WINDOW, failOpenMs: 30_000, logger: quiet, now: time.now });
    const decisions = await Promise.all(Array.from({ length: 9 }, () => limiter.check([key, tenant])));
    expect(decisions.filter((decision) => decision.allowed)).toHaveLength(5);
    await new Promise((resolve) => setImmediate(resolve));
    // Four refusals taken back: the tenant holds the five served requests, not nine.
    const counts = await store.hit(new Map([['key:k1', 0], ['tenant:t1', 0]]));
    expect(counts.get('key:k1')!.current).toBe(5);
    expect(counts.get('tenant:t1')!.current).toBe(5);
  });

  it('reports the remaining quota per policy', async () => {
    const time = clock();
    const limiter = new RateLimiter({ store: new SwitchableStore(time.now), windowMs: WINDOW, failOpenMs: 30_000, logger: quiet, now: time.now });
    const decision = await limiter.check([key, tenant]);
    expect(decision.headers.ratelimit).toBe('"key";r=4;t=60, "tenant";r=7;t=60');
  });

  it('fails open for a bounded time when the store is unreachable, then counts in memory, and says so', async () => {
    const time = clock();
    const store = new SwitchableStore(time.now);
    const warnings: unknown[][] = [];
    const logger = { ...quiet, warn: (...args: unknown[]) => void warnings.push(args) };
    const limiter = new RateLimiter({ store, windowMs: WINDOW, failOpenMs: 10_000, logger, now: time.now });
    store.up = false;
    for (let i = 0; i < 20; i += 1) expect((await limiter.check([key])).allowed).toBe(true);
    expect(limiter.mode()).toBe('failing open');
    expect(warnings).toHaveLength(1);
    time.advance(10_001);
    expect(limiter.mode()).toBe('local');
    const decisions = [];
    for (let i = 0; i < 8; i += 1) decisions.push((await limiter.check([key])).allowed);
    expect(decisions.filter(Boolean)).toHaveLength(5);
    store.up = true;
    time.advance(WINDOW * 2);
    expect((await limiter.check([key])).allowed).toBe(true);
    expect(limiter.mode()).toBe('shared');
  });

  it('does not wait on a failing store more than once a second', async () => {
    const time = clock();
    const store = new SwitchableStore(time.now);
    const limiter = new RateLimiter({ store, windowMs: WINDOW, failOpenMs: 30_000, logger: quiet, now: time.now });
    store.up = false;
    for (let i = 0; i < 50; i += 1) await limiter.check([key]);
    expect(store.calls).toBe(1);
    time.advance(1_000);
    await limiter.check([key]);
    expect(store.calls).toBe(2);
  });
});
