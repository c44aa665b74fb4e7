/**
 * Which rate limits a gateway request counts against, from the tenant plan's limits (erp's
 * catalog, docs/policies.md "Rate limits"), and the refusal when one is spent. Counting is the
 * limiter's business (lib/rate-limit/): shared by every replica through PostgreSQL when the
 * gateway has its database role, in this replica's memory otherwise.
 *
 * - An API key counts per tenant it acts on (`key:<id>@<tenant>`), against
 *   `api_key_requests_per_minute`; acting on no tenant, against the largest plan's.
 * - A user counts against `user_requests_per_minute` of the tenant's plan.
 * - Both also count against the tenant's `api_requests_per_minute`: many keys of one tenant
 *   together get no more than the tenant's plan.
 * - Platform staff count against their own bucket only: supporting a tenant never spends the
 *   tenant's budget, and a tenant's flood never locks its support out.
 */
import type { Config } from '../lib/config.js';
import { RateLimitedError } from '../lib/errors.js';
import type { Logger } from '../lib/logger.js';
import { PLATFORM_ROLES } from '../lib/policy/spec.js';
import { RateLimiter, type LimiterMode, type LimitRule } from '../lib/rate-limit/limiter.js';
import { PostgresCounterStore } from '../lib/rate-limit/postgres-store.js';
import type { Principal } from './authenticate.js';
import type { PlanLimits } from './tenant-access.js';

/**
 * Per-minute limits where the tenant's plan sets none, or the request acts on no tenant: the
 * largest plan's (erp migration 003), so that no caller is unlimited.
 */
export const DEFAULT_RATE_LIMITS = Object.freeze({
  api_key_requests_per_minute: 10_000,
  user_requests_per_minute: 2_000,
});

const POLICY_NAMES: Record<string, string> = { key: 'this API key', user: 'this user', tenant: 'this tenant' };

export class RequestRateLimits {
  private readonly limiter: RateLimiter;
  private readonly windowMs: number;

  constructor(config: Pick<Config, 'rateLimits'>, logger: Pick<Logger, 'warn' | 'info'>, storeUrl: string | undefined) {
    const { windowMs, failOpenMs } = config.rateLimits;
    this.windowMs = windowMs;
    this.limiter = new RateLimiter({
      store: storeUrl ? new PostgresCounterStore({ url: storeUrl, windowMs }) : undefined,
      windowMs,
      failOpenMs,
      logger,
    });
  }

  /** How counting works now: `shared` across replicas, `failing open`, or `local` to this replica. */
  mode(): LimiterMode {
    return this.limiter.mode();
  }

  /**
   * Counts the request; resolves to the `RateLimit` headers of its answer, or throws
   * RATE_LIMITED (429, with `Retry-After`) when a limit is spent.
   */
  async enforce(principal: Principal, tenantId: string | null, limits: PlanLimits | undefined): Promise<Record<string, string>> {
    const rules = this.rules(principal, tenantId, limits ?? {});
    const decision = await this.limiter.check(rules);
    if (decision.allowed) return decision.headers;
    const rule = decision.refusedBy!;
    const windowSeconds = Math.round(this.windowMs / 1000);
    throw new RateLimitedError(
      `Rate limit reached for ${POLICY_NAMES[rule.policy] ?? rule.policy}: ${rule.limit} requests per ${windowSeconds} s; retry after ${decision.retryAfterSeconds} s`,
      { policy: rule.policy, limit: rule.limit, windowSeconds, retryAfterSeconds: decision.retryAfterSeconds },
      decision.headers,
    );
  }

  /** The rules of one request, in the order its `RateLimit` header lists them. */
  rules(principal: Principal, tenantId: string | null, limits: PlanLimits): LimitRule[] {
    const platformStaff = principal.roles.some((role) => PLATFORM_ROLES.includes(role));
    if (platformStaff) return [this.rule('user', `user:${principal.id}`, DEFAULT_RATE_LIMITS.user_requests_per_minute)];
    const rules: LimitRule[] = [];
    if (principal.kind === 'api_key') {
      const bucket = tenantId ? `key:${principal.id}@${tenantId}` : `key:${principal.id}`;
      rules.push(this.rule('key', bucket, (tenantId && limits.api_key_requests_per_minute) || DEFAULT_RATE_LIMITS.api_key_requests_per_minute));
    } else {
      rules.push(this.rule('user', `user:${principal.id}`, limits.user_requests_per_minute || DEFAULT_RATE_LIMITS.user_requests_per_minute));
    }
    if (tenantId && limits.api_requests_per_minute) rules.push(this.rule('tenant', `tenant:${tenantId}`, limits.api_requests_per_minute));
    return rules;
  }

  /** A per-minute limit scaled to the configured window (at least one request). */
  private rule(policy: string, bucket: string, perMinute: number): LimitRule {
    return { policy, bucket, limit: Math.max(1, Math.round((perMinute * this.windowMs) / 60_000)) };
  }

  close(): Promise<void> {
    return this.limiter.close();
  }
}
