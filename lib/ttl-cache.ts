/**
 * A small time-bounded cache with in-flight de-duplication: concurrent misses for one key
 * share one load. Entries expire after `ttlMs`, which bounds how stale an answer can be (the
 * gateway uses it for API keys and entitlements: revocations apply within the TTL), or
 * earlier when `expiresAt` says a value is good for less (a verified token past its `exp`).
 *
 * Built on lru-cache: past `maxEntries` the least recently used entry goes, in constant time,
 * so a flood of distinct keys (random API keys, say) costs each miss the same.
 */
import { LRUCache } from 'lru-cache';

interface Entry<V> {
  value: Promise<V>;
}

export class TtlCache<V> {
  private readonly entries: LRUCache<string, Entry<V>> | undefined;

  /** `ttlMs` of 0 (or less) caches nothing: every `get` loads. */
  constructor(ttlMs: number, maxEntries = 10_000) {
    this.entries = ttlMs > 0 ? new LRUCache({ max: maxEntries, ttl: ttlMs }) : undefined;
  }

  /**
   * The cached value of `key`, or the one `load` gives. A load that fails is not cached: the
   * next `get` tries again. `expiresAt` (epoch milliseconds) may shorten a value's life, never
   * lengthen it.
   */
  get(key: string, load: () => Promise<V>, expiresAt?: (value: V) => number): Promise<V> {
    const entries = this.entries;
    if (!entries) return load();
    const hit = entries.get(key);
    if (hit) return hit.value;
    const entry: Entry<V> = { value: load() };
    entries.set(key, entry);
    entry.value.then(
      (loaded) => {
        // Only this entry: it may have expired and been replaced while it loaded.
        if (!expiresAt || entries.peek(key) !== entry) return;
        const left = expiresAt(loaded) - Date.now();
        if (left <= 0) entries.delete(key);
        else if (left < entries.getRemainingTTL(key)) entries.set(key, entry, { ttl: left });
      },
      () => {
        if (entries.peek(key) === entry) entries.delete(key);
      },
    );
    return entry.value;
  }

  /** Forgets one key: its next `get` loads. */
  delete(key: string): void {
    this.entries?.delete(key);
  }

  clear(): void {
    this.entries?.clear();
  }
}
