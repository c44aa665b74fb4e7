/**
 * The shared counter store on a real PostgreSQL: two stores (two gateway replicas) counting
 * the same buckets concurrently agree exactly, and a store that cannot reach its server
 * rejects rather than hangs.
 */
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { migrate } from '../db/migrate.js';
import { scratchDatabase } from '../../test/support/platform.js';
import { PostgresCounterStore } from './postgres-store.js';

const WINDOW = 60_000;
let database: Awaited<ReturnType<typeof scratchDatabase>>;

beforeAll(async () => {
  database = await scratchDatabase('ratelimit');
  await migrate(database.url, { schema: 'gateway', directory: path.resolve('gateway/migrations') });
});
afterAll(async () => {
  await database?.drop();
});

describe('PostgresCounterStore', () => {
  it('counts every hit exactly once across two replicas hitting the same buckets at once', async () => {
    const replicas = [new PostgresCounterStore({ url: database.url, windowMs: WINDOW }), new PostgresCounterStore({ url: database.url, windowMs: WINDOW })];
    try {
      const hits = await Promise.all(
        Array.from({ length: 200 }, (_, i) => replicas[i % 2]!.hit(new Map([['key:a', 1], ['tenant:t', 1]]))),
      );
      const seenByKey = hits.map((counts) => counts.get('key:a')!.current).sort((a, b) => a - b);
      // Each hit saw its own position: 1..200, no two alike, none lost.
      expect(seenByKey).toEqual(Array.from({ length: 200 }, (_, i) => i + 1));
      const again = await replicas[0]!.hit(new Map([['tenant:t', 2]]));
      expect(again.get('tenant:t')).toMatchObject({ current: 202, previous: 0 });
      expect(again.get('tenant:t')!.elapsedMs).toBeGreaterThanOrEqual(0);
      expect(again.get('tenant:t')!.elapsedMs).toBeLessThan(WINDOW);
    } finally {
      await Promise.all(replicas.map((store) => store.close()));
    }
  });

  it('takes a hit back in the window it was counted in, never below zero, whatever window is current', async () => {
    const store = new PostgresCounterStore({ url: database.url, windowMs: WINDOW });
    try {
      const counted = (await store.hit(new Map([['key:back', 3]]))).get('key:back')!;
      await store.takeBack(['key:back', 'key:never'], counted.window);
      expect((await store.hit(new Map([['key:back', 0]]))).get('key:back')!.current).toBe(2);
      // A take-back for the window before leaves the current one alone.
      await store.takeBack(['key:back'], counted.window - 1);
      for (let i = 0; i < 5; i += 1) await store.takeBack(['key:back'], counted.window);
      const after = (await store.hit(new Map([['key:back', 0], ['key:never', 1]])));
      expect(after.get('key:back')!.current).toBe(0);
      expect(after.get('key:never')!.current).toBe(1);
    } finally {
      await store.close();
    }
  });

  it('rejects promptly when its server cannot be reached', async () => {
    const url = new URL(database.url);
    url.port = '1';
    const store = new PostgresCounterStore({ url: url.toString(), windowMs: WINDOW, timeoutMs: 500 });
    const started = Date.now();
    await expect(store.hit(new Map([['key:b', 1]]))).rejects.toThrow();
    expect(Date.now() - started).toBeLessThan(5_000);
    await store.close();
  });
});
