/**
 * The cache the gateway keeps API-key lookups, verified tokens and tenant facts in: how long
 * an answer lives (revocations apply within the TTL), loads shared while in flight, failures
 * never kept, and a bounded number of entries.
 */
import { describe, expect, it } from 'vitest';
import { TtlCache } from './ttl-cache.js';

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** A load function that counts its calls and answers `value` (or what `answer` makes). */
function counter<V>(answer: (call: number) => Promise<V>) {
  const load = () => answer(++load.calls);
  load.calls = 0;
  return load;
}

describe('TtlCache', () => {
  it('answers from the cache within the TTL, and loads again once it has passed', async () => {
    const cache = new TtlCache<number>(100);
    const load = counter(async (call) => call);
    expect(await cache.get('k', load)).toBe(1);
    expect(await cache.get('k', load)).toBe(1);
    expect(load.calls).toBe(1);
    await sleep(150);
    expect(await cache.get('k', load)).toBe(2);
    expect(load.calls).toBe(2);
  });

  it('keeps keys apart', async () => {
    const cache = new TtlCache<string>(10_000);
    expect(await cache.get('a', async () => 'A')).toBe('A');
    expect(await cache.get('b', async () => 'B')).toBe('B');
    expect(await cache.get('a', async () => 'other')).toBe('A');
  });

  it('expires a value earlier when expiresAt says it is good for less than the TTL', async () => {
    const cache = new TtlCache<number>(10_000);
    const load = counter(async (call) => call);
    const soon = () => Date.now() + 50;
    await cache.get('token', load, soon);
    expect(await cache.get('token', load, soon)).toBe(1);
    await sleep(100);
    expect(await cache.get('token', load, soon)).toBe(2);
  });

  it('never keeps a value past the TTL, whatever expiresAt says', async () => {
    const cache = new TtlCache<number>(50);
    const load = counter(async (call) => call);
    const late = () => Date.now() + 60_000;
    await cache.get('token', load, late);
    await sleep(100);
    expect(await cache.get('token', load, late)).toBe(2);
  });

  it('does not keep a value that has already expired when it arrives', async () => {
    const cache = new TtlCache<number>(10_000);
    const load = counter(async (call) => call);
    await cache.get('token', load, () => Date.now() - 1);
    expect(await cache.get('token', load)).toBe(2);
  });

  it('shares one load between concurrent misses for a key', async () => {
    const cache = new TtlCache<string>(10_000);
    let release!: (value: string) => void;
    const load = counter(() => new Promise<string>((resolve) => (release = resolve)));
    const first = cache.get('k', load);
    const second = cache.get('k', load);
    expect(second).toBe(first);
    release('v');
    expect(await Promise.all([first, second])).toEqual(['v', 'v']);
    expect(load.calls).toBe(1);
  });

  it('does not cache a failed load: the next get tries again', async () => {
    const cache = new TtlCache<string>(10_000);
    const load = counter(async (call) => {
      if (call === 1) throw new Error('tenancy unreachable');
      return 'ok';
    });
    await expect(cache.get('k', load)).rejects.toThrow('tenancy unreachable');
    expect(await cache.get('k', load)).toBe('ok');
    expect(await cache.get('k', load)).toBe('ok');
    expect(load.calls).toBe(2);
  });

  it('lets a late failure of an expired load leave the entry that replaced it', async () => {
    const cache = new TtlCache<string>(50);
    let fail!: (error: Error) => void;
    const slow = cache.get('k', () => new Promise<string>((_resolve, reject) => (fail = reject)));
    await sleep(100);
    // The slow load's entry has expired: this one replaces it.
    expect(await cache.get('k', async () => 'fresh')).toBe('fresh');
    fail(new Error('timed out'));
    await expect(slow).rejects.toThrow('timed out');
    const load = counter(async () => 'reloaded');
    expect(await cache.get('k', load)).toBe('fresh');
    expect(load.calls).toBe(0);
  });

  it('holds at most maxEntries, dropping the least recently used', async () => {
    const cache = new TtlCache<string>(10_000, 3);
    for (const key of ['a', 'b', 'c']) await cache.get(key, async () => key);
    await cache.get('a', async () => 'reloaded'); // a is now the most recently used
    await cache.get('d', async () => 'd'); // evicts b
    const load = counter(async () => 'reloaded');
    expect(await cache.get('a', load)).toBe('a');
    expect(await cache.get('c', load)).toBe('c');
    expect(await cache.get('d', load)).toBe('d');
    expect(load.calls).toBe(0);
    expect(await cache.get('b', load)).toBe('reloaded');
  });

  it('stays bounded under a flood of distinct keys', async () => {
    const cache = new TtlCache<number>(10_000, 100);
    for (let i = 0; i < 10_000; i++) await cache.get(`key-${i}`, async () => i);
    const load = counter(async () => -1);
    for (let i = 0; i < 10_000; i++) await cache.get(`key-${i}`, load);
    // Only what fits was still there; everything else had to be loaded again.
    expect(load.calls).toBeGreaterThanOrEqual(10_000 - 100);
  });

  it('with a TTL of 0 caches nothing', async () => {
    const cache = new TtlCache<number>(0);
    const load = counter(async (call) => call);
    expect(await cache.get('k', load)).toBe(1);
    expect(await cache.get('k', load)).toBe(2);
  });

  it('forgets everything on clear()', async () => {
    const cache = new TtlCache<number>(10_000);
    const load = counter(async (call) => call);
    await cache.get('k', load);
    cache.clear();
    expect(await cache.get('k', load)).toBe(2);
  });
});
