/**
 * Rate limits per API key, per user and per tenant, counted in a store every gateway replica
 * shares (postgres-store.ts), with the arithmetic of sliding-window.ts.
 *
 * - A bucket found over its limit is remembered in this replica until it would be under again:
 *   a flood from one key is refused from memory, without a store round trip per request.
 * - Only served requests count: a refused one is taken off its buckets again (in the next
 *   batch, without waiting), so a caller that waits its `Retry-After` is served, and a
 *   refused burst of one key does not spend its tenant's limit.
 * - When the store cannot answer, the limiter fails open: requests pass, for at most
 *   `failOpenMs`, and the change is logged. Past that it counts in this replica's memory (each
 *   replica then enforces the limits alone, so together they admit up to one limit per
 *   replica) until the store answers again. While failing, one request per second tries the
 *   store; the others do not wait for it.
 * - Every answer carries the `RateLimit-Policy` and `RateLimit` fields of the IETF draft
 *   (draft-ietf-httpapi-ratelimit-headers-10): `"tenant";q=600;w=60` and `"tenant";r=512;t=14`.
 */
import type { Logger } from '../logger.js';
import { estimate, msUntilBelow, type WindowCounts } from './sliding-window.js';
import { MemoryCounterStore, type CounterStore } from './store.js';

/** One limit a request counts against. */
export interface LimitRule {
  /** The policy's name in the headers: `key`, `user` or `tenant`. */
  policy: string;
  /** The counter: one per API key, user or tenant. */
  bucket: string;
  /** Requests allowed per window. */
  limit: number;
}

export interface LimitDecision {
  allowed: boolean;
  /** Seconds until a refused request may be retried. */
  retryAfterSeconds?: number;
  /** The rule that refused it. */
  refusedBy?: LimitRule;
  /** `RateLimit-Policy` and `RateLimit` (absent while failing open: nothing was counted). */
  headers: Record<string, string>;
}

/** How the limiter counts now, for /readyz and the logs. */
export type LimiterMode = 'shared' | 'failing open' | 'local';

export interface RateLimiterOptions {
  /** The shared store; none: counts in this replica only (a single-replica deployment). */
  store?: CounterStore;
  windowMs: number;
  /** How long requests pass uncounted while the shared store is unreachable. */
  failOpenMs: number;
  logger: Pick<Logger, 'warn' | 'info'>;
  now?: () => number;
}

/** While the store is failing, how often one request tries it again. */
const PROBE_INTERVAL_MS = 1_000;
/** Added to `limit - 1` so that "below it" means "one more request fits", estimates being fractional. */
const ROOM_FOR_ONE = 1e-6;
/** Remembered refusals kept before expired ones are swept. */
const MAX_BLOCKED = 10_000;

export class RateLimiter {
  private readonly shared: CounterStore | undefined;
  private readonly local: MemoryCounterStore;
  private readonly windowMs: number;
  private readonly now: () => number;
  /** Buckets over their limit, by the time they are under again. */
  private readonly blocked = new Map<string, number>();
  private failingSince: number | undefined;
  private lastProbe = 0;

  constructor(private readonly options: RateLimiterOptions) {
    this.shared = options.store;
    this.windowMs = options.windowMs;
    this.now = options.now ?? Date.now;
    this.local = new MemoryCounterStore(options.windowMs, this.now);
  }

  mode(): LimiterMode {
    if (!this.shared) return 'local';
    if (this.failingSince === undefined) return 'shared';
    return this.now() - this.failingSince < this.options.failOpenMs ? 'failing open' : 'local';
  }

  async check(rules: readonly LimitRule[]): Promise<LimitDecision> {
    if (rules.length === 0) return { allowed: true, headers: {} };
    const now = this.now();
    const blockedRule = this.blockedRule(rules, now);
    if (blockedRule) return this.refusal(rules, blockedRule.rule, blockedRule.until - now, now);

    const counted = await this.count(rules, now);
    if (!counted) return { allowed: true, headers: { 'ratelimit-policy': this.policyHeader(rules) } };
    const { counts, store } = counted;
    let refused: { rule: LimitRule; waitMs: number } | undefined;
    for (const rule of rules) {
      const bucket = counts.get(rule.bucket)!;
      if (estimate(bucket, this.windowMs) <= rule.limit) continue;
      // The wait until one more request fits: this one is taken back, and so are the others
      // refused with it, so the bucket will hold what was served, at most the limit.
      const served = { ...bucket, current: Math.min(bucket.current - 1, rule.limit) };
      const waitMs = Math.max(1, msUntilBelow(served, rule.limit - 1 + ROOM_FOR_ONE, this.windowMs));
      this.block(rule.bucket, now + waitMs);
      if (!refused || waitMs > refused.waitMs) refused = { rule, waitMs };
    }
    if (refused) {
      this.uncount(store, rules, counts.get(rules[0]!.bucket)!.window);
      return this.refusal(rules, refused.rule, refused.waitMs, now);
    }
    return { allowed: true, headers: this.headers(rules, counts) };
  }

  /**
   * Takes a refused request's hit off its buckets, in the window it was counted in; if that
   * fails, the buckets only stay refused a little longer.
   */
  private uncount(store: CounterStore, rules: readonly LimitRule[], window: number): void {
    store.takeBack(rules.map((rule) => rule.bucket), window).catch(() => undefined);
  }

  /** The counts after this hit and the store that counted it (the shared one when it answers); undefined: failing open. */
  private async count(rules: readonly LimitRule[], now: number): Promise<{ counts: Map<string, WindowCounts>; store: CounterStore } | undefined> {
    const hits = new Map(rules.map((rule) => [rule.bucket, 1]));
    const local = async () => ({ counts: await this.local.hit(hits), store: this.local });
    if (!this.shared) return local();
    const probing = this.failingSince === undefined || now - this.lastProbe >= PROBE_INTERVAL_MS;
    if (probing) {
      this.lastProbe = now;
      try {
        const counts = await this.shared.hit(hits);
        if (this.failingSince !== undefined) {
          this.options.logger.info({ failedForMs: this.now() - this.failingSince }, 'rate limits: the shared store answers again');
          this.failingSince = undefined;
        }
        return { counts, store: this.shared };
      } catch (error) {
        if (this.failingSince === undefined) {
          this.failingSince = now;
          this.options.logger.warn(
            { err: { message: (error as Error).message }, failOpenMs: this.options.failOpenMs },
            'rate limits: the shared store is unreachable; failing open, then counting in this replica',
          );
        }
      }
    }
    if (this.now() - this.failingSince! < this.options.failOpenMs) return undefined;
    return local();
  }

  private blockedRule(rules: readonly LimitRule[], now: number): { rule: LimitRule; until: number } | undefined {
    let found: { rule: LimitRule; until: number } | undefined;
    for (const rule of rules) {
      const until = this.blocked.get(rule.bucket);
      if (until === undefined) continue;
      if (until <= now) this.blocked.delete(rule.bucket);
      else if (!found || until > found.until) found = { rule, until };
    }
    return found;
  }

  private block(bucket: string, until: number): void {
    if (this.blocked.size >= MAX_BLOCKED) {
      const now = this.now();
      for (const [key, expiry] of this.blocked) if (expiry <= now) this.blocked.delete(key);
      // Still full of live refusals: the oldest go; their buckets are checked in the store again.
      for (const key of this.blocked.keys()) {
        if (this.blocked.size < MAX_BLOCKED) break;
        this.blocked.delete(key);
      }
    }
    // Concurrent refusals each compute a wait: the longest stands.
    this.blocked.set(bucket, Math.max(until, this.blocked.get(bucket) ?? 0));
  }

  private refusal(rules: readonly LimitRule[], rule: LimitRule, waitMs: number, now: number): LimitDecision {
    const retryAfterSeconds = Math.max(1, Math.ceil(waitMs / 1000));
    const items = rules.map((r) => {
      const until = this.blocked.get(r.bucket);
      const t = until !== undefined && until > now ? Math.ceil((until - now) / 1000) : this.secondsLeftInWindow(now);
      return `"${r.policy}";r=${r === rule || until !== undefined ? 0 : 1};t=${t}`;
    });
    return {
      allowed: false,
      retryAfterSeconds,
      refusedBy: rule,
      headers: { 'ratelimit-policy': this.policyHeader(rules), ratelimit: items.join(', '), 'retry-after': String(retryAfterSeconds) },
    };
  }

  private headers(rules: readonly LimitRule[], counts: Map<string, WindowCounts>): Record<string, string> {
    const t = this.secondsLeftInWindow(this.now(), counts.get(rules[0]!.bucket)?.elapsedMs);
    const items = rules.map((rule) => {
      const remaining = Math.max(0, Math.floor(rule.limit - estimate(counts.get(rule.bucket)!, this.windowMs)));
      return `"${rule.policy}";r=${remaining};t=${t}`;
    });
    return { 'ratelimit-policy': this.policyHeader(rules), ratelimit: items.join(', ') };
  }

  private policyHeader(rules: readonly LimitRule[]): string {
    const w = Math.round(this.windowMs / 1000);
    return rules.map((rule) => `"${rule.policy}";q=${rule.limit};w=${w}`).join(', ');
  }

  /** Seconds until the current window ends, by the store's clock when known. */
  private secondsLeftInWindow(now: number, elapsedMs = now % this.windowMs): number {
    return Math.max(1, Math.ceil((this.windowMs - elapsedMs) / 1000));
  }

  async close(): Promise<void> {
    await Promise.all([this.shared?.close(), this.local.close()]);
  }
}
