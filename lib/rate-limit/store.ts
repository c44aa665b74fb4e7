/**
 * Where rate-limit counters live. The gateway's replicas share one PostgreSQL store
 * (postgres-store.ts); the memory store is what one replica falls back to when that store
 * has been unreachable for too long, and what runs when no store is configured.
 */
import type { WindowCounts } from './sliding-window.js';

export interface CounterStore {
  /** Length of a counting window, in milliseconds. */
  readonly windowMs: number;
  /**
  /**
   * Adds `hits` to each bucket's counter in the current window and returns each bucket's
   * counts after the addition. Rejects when the store cannot answer; nothing may be assumed
   * to have been counted then.
   */
  hit(hits: ReadonlyMap<string, number>): Promise<Map<string, WindowCounts>>;
  /**
   * Takes one hit off each bucket's counter of `window` (never below zero): a refused request's,
   * in the window it was counted in, even when the next one has begun since.
   */
  takeBack(buckets: readonly string[], window: number): Promise<void>;
  close(): Promise<void>;
}

/** Counters in this process only: exact for one replica, not shared with any other. */
export class MemoryCounterStore implements CounterStore {
  private readonly windows = new Map<string, { index: number; current: number; previous: number }>();
  private pruneAt = 0;

  constructor(
    readonly windowMs: number,
    private readonly now: () => number = Date.now,
  ) {}

  async hit(hits: ReadonlyMap<string, number>): Promise<Map<string, WindowCounts>> {
    const { windowMs } = this;
    const now = this.now();
    const index = Math.floor(now / windowMs);
    const elapsedMs = now - index * windowMs;
    if (now >= this.pruneAt) this.prune(index, windowMs, now);
    const counts = new Map<string, WindowCounts>();
    for (const [bucket, added] of hits) {
      let entry = this.windows.get(bucket);
      if (!entry || entry.index < index - 1) entry = { index, current: 0, previous: 0 };
      else if (entry.index === index - 1) entry = { index, current: 0, previous: entry.current };
      entry.current += added;
      this.windows.set(bucket, entry);
      counts.set(bucket, { current: entry.current, previous: entry.previous, elapsedMs, window: index });
    }
    return counts;
  }

  async takeBack(buckets: readonly string[], window: number): Promise<void> {
    for (const bucket of buckets) {
      const entry = this.windows.get(bucket);
      if (entry?.index === window) entry.current = Math.max(0, entry.current - 1);
      else if (entry?.index === window + 1) entry.previous = Math.max(0, entry.previous - 1);
    }
  }

  /** Drops buckets idle for two windows: a flood of distinct keys cannot grow memory past two windows' worth. */
  private prune(index: number, windowMs: number, now: number): void {
    for (const [bucket, entry] of this.windows) if (entry.index < index - 1) this.windows.delete(bucket);
    this.pruneAt = now + windowMs;
  }

  async close(): Promise<void> {
    this.windows.clear();
  }
}
