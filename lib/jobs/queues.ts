/**
 * Queues as their owning service declares them: retry governance, expiry, a dead-letter queue
 * each, and fair shares per tenant. Declarations are code; `npm run migrate` creates or updates
 * the queues from them as the owner role (see migrate.ts), and workers only use them.
 *
 * Fairness: every job belongs to its tenant's group (`group.id` = tenant id) with the tenant's
 * tier as the group tier. pg-boss then runs at most `perTenant[tier]` jobs of one tenant at a
 * time on a queue, across all workers, so one tenant's backlog cannot occupy every worker; and it
 * fetches higher tiers first (job priority), so a critical tenant's job overtakes a standard
 * backlog.
 *
 * Retries back off exponentially with jitter, as pg-boss computes it with `retryBackoff`:
 * delay(n) = min(retryDelayMax, retryDelay · (2^n / 2 + 2^n / 2 · random())) for the n-th retry,
 * so retries of jobs that failed together spread out instead of arriving together.
 */
import type { TenantContext } from '../tenant-context.js';

export const TIERS = ['standard', 'enhanced', 'critical'] as const;
export type Tier = (typeof TIERS)[number];

/** Job priority per tier: pg-boss fetches higher numbers first. */
export const TIER_PRIORITY: Readonly<Record<Tier, number>> = Object.freeze({ standard: 0, enhanced: 10, critical: 20 });

/** Group of jobs that act at platform level (no tenant). */
export const PLATFORM_GROUP = 'platform';

export interface QueueDeclaration {
  /** `<service>.<purpose>`, e.g. `tenancy.events`. */
  readonly name: string;
  /** Attempts after the first before the job goes to the dead-letter queue. */
  readonly retryLimit: number;
  /** Base of the exponential backoff, in seconds. */
  readonly retryDelaySeconds: number;
  /** Ceiling of one backoff delay, in seconds. */
  readonly retryDelayMaxSeconds: number;
  /** How long one attempt may run before it is failed (and retried); also how long a crashed worker holds a job. */
  readonly expireInSeconds: number;
  /** How long a job may wait to start before pg-boss deletes it. */
  readonly retentionSeconds: number;
  /** Event types delivered to this queue (its pg-boss subscriptions); set by the worker definition from its consumers. */
  readonly events: readonly string[];
  readonly concurrency: Readonly<{
    /** Jobs one worker process runs at once on this queue. */
    perWorker: number;
    /** Jobs of one tenant running at once on this queue across all workers, by tier. */
    perTenant: Readonly<Record<Tier, number>>;
  }>;
}

const DEFAULTS = {
  retryLimit: 5,
  retryDelaySeconds: 5,
  retryDelayMaxSeconds: 300,
  expireInSeconds: 300,
  retentionSeconds: 14 * 24 * 3600,
  concurrency: { perWorker: 4, perTenant: { standard: 1, enhanced: 2, critical: 4 } },
} as const;

/** How long dead-lettered jobs are kept for inspection and replay. */
export const DEAD_LETTER_RETENTION_SECONDS = 30 * 24 * 3600;

export type QueueInput = Partial<Omit<QueueDeclaration, 'name' | 'events' | 'concurrency'>> & {
  name: string;
  concurrency?: Partial<Pick<QueueDeclaration['concurrency'], 'perWorker'>> & { perTenant?: Partial<Record<Tier, number>> };
};

const NAME = /^[a-z][a-z0-9-]*(\.[a-z0-9][a-z0-9-]*)+$/;

/** A queue with the platform's defaults filled in; throws on a name or number pg-boss would refuse later. */
export function defineQueue(input: QueueInput): QueueDeclaration {
  if (!NAME.test(input.name) || input.name.endsWith('.dead')) {
    throw new Error(`Queue name ${input.name} must be <service>.<purpose> in lower case (and not end in .dead)`);
  }
  const queue: QueueDeclaration = {
    name: input.name,
    retryLimit: input.retryLimit ?? DEFAULTS.retryLimit,
    retryDelaySeconds: input.retryDelaySeconds ?? DEFAULTS.retryDelaySeconds,
    retryDelayMaxSeconds: input.retryDelayMaxSeconds ?? DEFAULTS.retryDelayMaxSeconds,
    expireInSeconds: input.expireInSeconds ?? DEFAULTS.expireInSeconds,
    retentionSeconds: input.retentionSeconds ?? DEFAULTS.retentionSeconds,
    events: [],
    concurrency: {
      perWorker: input.concurrency?.perWorker ?? DEFAULTS.concurrency.perWorker,
      perTenant: { ...DEFAULTS.concurrency.perTenant, ...input.concurrency?.perTenant },
    },
  };
  const counts = [queue.retryLimit, queue.retryDelaySeconds, queue.retryDelayMaxSeconds, queue.concurrency.perWorker, ...Object.values(queue.concurrency.perTenant)];
  if (!counts.every((n) => Number.isInteger(n) && n >= 0) || queue.expireInSeconds < 1 || queue.retentionSeconds < 1) {
    throw new Error(`Queue ${input.name}: retries, delays and concurrency must be whole numbers ≥ 0, expiry and retention ≥ 1 s`);
  }
  if (queue.concurrency.perWorker < 1 || Object.values(queue.concurrency.perTenant).some((n) => n < 1)) {
    throw new Error(`Queue ${input.name}: concurrency must be at least 1`);
  }
  return Object.freeze(queue);
}

/** The dead-letter queue of a queue. */
export const deadLetterOf = (queue: string): string => `${queue}.dead`;

/** The tier of a context; platform-level work and unknown tiers count as standard. */
export function tierOf(context: Pick<TenantContext, 'tier'> | null): Tier {
  const tier = context?.tier;
  return (TIERS as readonly string[]).includes(tier ?? '') ? (tier as Tier) : 'standard';
}

/** pg-boss send options that place a job in its tenant's group, at its tier's priority. */
export function fairShare(tenantId: string | null, tier: Tier): { group: { id: string; tier: Tier }; priority: number } {
  return { group: { id: tenantId ?? PLATFORM_GROUP, tier }, priority: TIER_PRIORITY[tier] };
}

/**
 * pg-boss `groupConcurrency` of a queue: the per-tenant limit, checked in the database when
 * jobs are fetched, so it holds across worker processes. Fetchers polling at the same instant
 * can each pass the check, so a tenant may briefly exceed its limit by the number of
 * concurrent fetchers; it never takes the whole queue.
 */
export function groupConcurrency(queue: QueueDeclaration): { default: number; tiers: Record<Tier, number> } {
  return { default: queue.concurrency.perTenant.standard, tiers: { ...queue.concurrency.perTenant } };
}
