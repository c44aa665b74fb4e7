/**
 * A small time-bounded cache with in-flight de-duplication: concurrent misses for one key
 * share one load. Entries expire after `ttlMs`, which bounds how stale an answer can be (the
 * gateway uses it for API keys and entitlements: revocations apply within the TTL), or
 * earlier when `expiresAt` says a value is good for less (a verified token past its `exp`).
 */
export class TtlCache<V> {
  private readonly entries = new Map<string, { value: Promise<V>; expiresAt: number }>();

  constructor(
    private readonly ttlMs: number,
    private readonly maxEntries = 10_000,
  ) {}

  get(key: string, load: () => Promise<V>, expiresAt?: (value: V) => number): Promise<V> {
    const now = Date.now();
    const hit = this.entries.get(key);
    if (hit && hit.expiresAt > now) return hit.value;
    const value = load();
    if (this.ttlMs > 0) {
      if (this.entries.size >= this.maxEntries) this.evictExpired(now);
      const entry = { value, expiresAt: now + this.ttlMs };
      this.entries.set(key, entry);
      value.then(
        (loaded) => {
          if (expiresAt) entry.expiresAt = Math.min(entry.expiresAt, expiresAt(loaded));
        },
        // A failed load is not cached: the next request tries again.
        () => this.entries.delete(key),
      );
    }
    return value;
  }

  clear(): void {
    this.entries.clear();
  }

  private evictExpired(now: number): void {
    for (const [key, entry] of this.entries) if (entry.expiresAt <= now) this.entries.delete(key);
    // Still full: drop the oldest insertions (Map keeps insertion order).
    for (const key of this.entries.keys()) {
      if (this.entries.size < this.maxEntries) break;
      this.entries.delete(key);
    }
  }
}
